import { paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it } from '@jest/globals';
import { bareVerifyingReceiver } from '../bench/bare-verifying';
import { startDynamoDbProxy } from '../bench/dynamodb-proxy';
import { seedByBatches } from '../bench/reconcile-seed';
import { goalCell } from '../bench/report';
import { BENCH_SECRETS, changeOf, newDelivery, signedHeaders } from '../bench/support';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { ensureConnectionTable } from '../local/embedded-dynamodb';
import { startFakeCodatApi } from '../local/fake-codat-api/server';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { CodatApi } from '../src/reconcile/codat-api';
import { InMemoryWalkJournal } from '../src/reconcile/journal';
import { runWalk } from '../src/reconcile/run-walk';
import { type EmbeddedTable, startEmbeddedTable } from './support/embedded-table';

/** What differs between two walks of the same account: their ids and times. */
const WALK_OWN = ['storedAt', 'firstStoredAt', 'lastEventId', 'lastEventGeneratedDate', 'eventOrder'];

async function itemsOf(table: EmbeddedTable) {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client: table.client }, { TableName: table.tableName })) {
    for (const item of page.Items ?? []) {
      const plain = unmarshall(item);
      for (const attribute of WALK_OWN) {
        expect(plain[attribute]).toBeDefined();
        delete plain[attribute];
      }
      items.push(plain);
    }
  }
  return items.sort((a, b) =>
    `${a.companyId}/${a.connectionId}`.localeCompare(`${b.companyId}/${b.connectionId}`),
  );
}

describe('the bench’s helpers', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('seeds by batches the items a first walk writes, so that the next walk writes nothing', async () => {
    const api = await startFakeCodatApi({ accountOptions: { companies: 30, connectionsPerCompany: 3 } });
    const seeded = await startEmbeddedTable();
    const walked = await startEmbeddedTable();
    closing.push(api.close, seeded.close, walked.close);
    const walk = (table: EmbeddedTable, walkId: string) =>
      runWalk(
        {
          api: new CodatApi({ apiKey: api.apiKey, baseUrl: api.url }),
          reader: table.store,
          writer: table.store,
          journal: new InMemoryWalkJournal(),
          companies: table.store,
          clock: { walkId, lagAllowanceMs: 5 * 60_000 },
          tombstoneTtlDays: 30,
          concurrency: 4,
          now: () => new Date(),
        },
        {},
      );

    const stored = await seedByBatches({
      client: seeded.client,
      tableName: seeded.tableName,
      apiUrl: api.url,
      apiKey: api.apiKey,
    });
    await walk(walked, 'first');
    const second = await walk(seeded, 'second');

    expect(stored).toBe(90);
    expect(await itemsOf(seeded)).toEqual(await itemsOf(walked));
    expect(second.complete).toBe(true);
    expect(second.progress.totals).toMatchObject({ connections: 90, unchanged: 90, created: 0, updated: 0 });
  });

  it('counts the calls through the proxy and sums the capacity units the database reports', async () => {
    const table = await startEmbeddedTable();
    const proxy = await startDynamoDbProxy(table.endpoint);
    const client = localDynamoDbClient(proxy.endpoint);
    closing.push(table.close, proxy.close, async () => client.destroy());
    await ensureConnectionTable(client, table.tableName);
    const store = new DynamoDbConnectionStore(client, table.tableName);
    proxy.reset();

    const change = changeOf(newDelivery().event);
    await store.write(change);
    await store.write(change);
    await store.get(change.companyId, change.connection.id);
    await store.listByCompany(change.companyId);
    await store.listByCompany(change.companyId, { consistentRead: false });

    expect(proxy.tally.calls).toEqual({ UpdateItem: 2, GetItem: 1, Query: 2 });
    // An item under 1 KB: one write unit, one read unit for each consistent read of it, and
    // half a unit for the eventually consistent Query (the walk's).
    expect(proxy.tally.units).toEqual({ UpdateItem: 1, GetItem: 1, Query: 1.5 });
    // The repeat failed its condition: DynamoDB's error answer carries no units.
    expect(proxy.tally.unmetered).toEqual({ UpdateItem: 1 });
  });

  it('has a verifying floor that refuses a bad signature, an old timestamp and an invalid body, and stores a valid one', async () => {
    const table = await startEmbeddedTable();
    closing.push(table.close);
    const [secret] = BENCH_SECRETS;
    if (!secret) throw new Error('the bench has no secret');
    const floor = bareVerifyingReceiver(table.client, table.tableName, secret);
    const valid = newDelivery();
    const tampered = `${valid.body.slice(0, -1)} }`;
    const invalid = JSON.stringify({ ...valid.event, eventType: 'connection.unknown' });
    const old = { ...valid.headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 301) };

    const answers = [
      await floor(apiGatewayEvent({ headers: valid.headers, body: tampered })),
      await floor(apiGatewayEvent({ headers: old, body: valid.body })),
      await floor(apiGatewayEvent({ headers: signedHeaders(invalid), body: invalid })),
      await floor(apiGatewayEvent({ headers: signedHeaders('{'), body: '{' })),
    ].map((answer) => answer.statusCode);
    const stored = await floor(apiGatewayEvent({ headers: valid.headers, body: valid.body }));
    const repeated = await floor(apiGatewayEvent({ headers: valid.headers, body: valid.body }));

    expect(answers).toEqual([401, 401, 400, 400]);
    expect([stored.body, repeated.body]).toEqual(['{"result":"applied"}', '{"result":"stale"}']);
    const item = await table.store.get(
      valid.event.payload.referenceCompany.id,
      valid.event.payload.connection.id,
    );
    expect(item?.connection).toEqual(valid.event.payload.connection);
  });

  it('writes a goal as docs/performance.md does: the goal and whether it was met, or reported alone', () => {
    expect(goalCell({ goal: '≤ 1.05', met: true })).toBe('≤ 1.05, met');
    expect(goalCell({ goal: '≤ 1.05', met: false })).toBe('≤ 1.05, not met');
    expect(goalCell({ goal: 'reported', met: undefined })).toBe('reported');
  });
});

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { LocalChangeEvent } from '../local/change-stream';
import { type FakeCodatApi, startFakeCodatApi } from '../local/fake-codat-api/server';
import { sampleCompanyEvent, sampleEvent } from '../local/sample-events';
import type { LocalServer } from '../local/server';
import type { HistoryItem } from '../src/history/history-item';
import { ENGINES } from './support/engines';
import { type ReceiverHarness, startReceiverHarness } from './support/receiver-harness';
import { postSigned } from './support/signed-request';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');

interface HistoryAnswer {
  changes: HistoryItem[];
  timeInStatus?: { inStatusMs: Record<string, number>; deletedMs: number };
}

/**
 * `npm run reconcile` against the fake API, in a process of its own, as one runs it beside
 * `npm start`: asynchronously, since the server it walks in runs in this process.
 */
async function reconcile(server: LocalServer, fake: FakeCodatApi) {
  const { stdout } = await promisify(execFile)(join(BIN, 'tsx'), ['local/reconcile.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`,
      CODAT_API_KEY: fake.apiKey,
      CODAT_API_URL: fake.url,
      LOCAL_URL: server.url,
    },
    timeout: 60_000,
  });
  return stdout;
}

/** An hour of the past, `hoursAgo` before now: older than what a walk reads now. */
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

describe.each(ENGINES)('the history of the local server, on %s', (engine) => {
  let harness: ReceiverHarness;
  let server: LocalServer;
  let fake: FakeCodatApi;

  beforeAll(async () => {
    [harness, fake] = await Promise.all([
      startReceiverHarness(engine),
      startFakeCodatApi({ accountOptions: { companies: 0 } }),
    ]);
    server = harness.server;
  });

  afterAll(async () => {
    await harness.close();
    await fake.close();
  });

  async function send(event: unknown) {
    const answer = await postSigned(server.webhookUrl, harness.secret, JSON.stringify(event));
    expect(answer.json).toMatchObject({ result: 'applied' });
  }

  /** The history route's answer, once every write so far has reached the history writer. */
  async function historyOf(key: { companyId: string; connectionId: string }): Promise<HistoryAnswer> {
    await server.changeEventsSettled();
    const response = await fetch(
      `${server.url}/companies/${key.companyId}/connections/${key.connectionId}/history`,
    );
    expect(response.status).toBe(200);
    return (await response.json()) as HistoryAnswer;
  }

  /** The cause of each change event `GET /events` shows for a connection, oldest first. */
  async function eventTypesOf(connectionId: string) {
    const { events } = (await (await fetch(`${server.url}/events`)).json()) as { events: LocalChangeEvent[] };
    return events
      .filter((event) => event.detail.connectionId === connectionId)
      .map((event) => (event.detail as { cause: { eventType: string } }).cause.eventType);
  }

  const story = (changes: HistoryItem[]) =>
    changes.map(({ previousStatus, status, deleted, cause }) => ({
      previousStatus,
      status,
      deleted,
      eventType: cause.eventType,
    }));

  it('keeps webhook Linked, Deauthorized, Linked and two walks as history, newest first, and a retried batch adds nothing', async () => {
    const key = { companyId: randomUUID(), connectionId: randomUUID() };
    const webhooks = [
      sampleEvent({ eventType: 'connection.connected', ...key, generatedDate: hoursAgo(3) }),
      sampleEvent({
        eventType: 'connection.disconnected',
        ...key,
        status: 'Deauthorized',
        generatedDate: hoursAgo(2),
      }),
      sampleEvent({ eventType: 'connection.reconnected', ...key, generatedDate: hoursAgo(1) }),
    ];
    for (const event of webhooks) await send(event);
    fake.account.addCompany({ id: key.companyId, name: 'Toft stores' });
    fake.account.addConnection(key.companyId, { id: key.connectionId, status: 'Unlinked' });

    const observed = await reconcile(server, fake);
    fake.account.deleteConnection(key.companyId, key.connectionId);
    const absent = await reconcile(server, fake);
    const { changes, timeInStatus } = await historyOf(key);

    expect(observed).toMatch(/^Complete walk .*\n.*\n {2}created 0, updated 1,/);
    expect(absent).toMatch(/^Complete walk .*\n.*\n.* tombstoned 1,/);
    expect(story(changes)).toEqual([
      { previousStatus: 'Unlinked', status: 'Unlinked', deleted: true, eventType: 'reconcile.absent' },
      { previousStatus: 'Linked', status: 'Unlinked', deleted: false, eventType: 'reconcile.observed' },
      {
        previousStatus: 'Deauthorized',
        status: 'Linked',
        deleted: false,
        eventType: 'connection.reconnected',
      },
      {
        previousStatus: 'Linked',
        status: 'Deauthorized',
        deleted: false,
        eventType: 'connection.disconnected',
      },
      { previousStatus: undefined, status: 'Linked', deleted: false, eventType: 'connection.connected' },
    ]);
    expect(changes.slice(2).map((change) => change.cause.eventId)).toEqual(
      webhooks.map((event) => event.id).reverse(),
    );
    expect(changes[1]?.cause.walkId).toMatch(/^cli-/);
    expect(await eventTypesOf(key.connectionId)).toEqual([
      'connection.connected',
      'connection.disconnected',
      'connection.reconnected',
      'reconcile.observed',
      'reconcile.absent',
    ]);
    expect(timeInStatus?.inStatusMs.Deauthorized).toBeGreaterThan(3_500_000);

    const records = server.stream
      .records()
      .filter((record) => record.dynamodb?.Keys?.connectionId?.S === key.connectionId);
    await server.stream.redeliver(records);
    await server.stream.redeliver([...records].reverse());

    expect(records).toHaveLength(5);
    expect((await historyOf(key)).changes).toEqual(changes);
  });

  it("records company.deleted as the change that deleted each of the company's connections", async () => {
    const companyId = randomUUID();
    const connectionIds = [randomUUID(), randomUUID()];
    for (const connectionId of connectionIds) {
      await send(sampleEvent({ eventType: 'connection.connected', companyId, connectionId }));
    }

    await send(sampleCompanyEvent({ eventType: 'company.deleted', companyId }));

    for (const connectionId of connectionIds) {
      const { changes } = await historyOf({ companyId, connectionId });
      expect(story(changes)).toEqual([
        { previousStatus: 'Linked', status: 'Linked', deleted: true, eventType: 'company.deleted' },
        { previousStatus: undefined, status: 'Linked', deleted: false, eventType: 'connection.connected' },
      ]);
    }
  });

  it.each([
    ['since=yesterday', 'since'],
    ['limit=0', 'limit'],
    ['limit=2&limit=3', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('answers 400 to ?%s naming %s, as the read API does', async (query, parameter) => {
    const response = await fetch(
      `${server.url}/companies/${randomUUID()}/connections/${randomUUID()}/history?${query}`,
    );

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid request', parameter });
  });
});

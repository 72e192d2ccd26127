import { randomUUID } from 'node:crypto';
import { startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { sampleEvent } from '../local/sample-events';
import { startLocalServer } from '../local/server';
import type { StoredConnection } from '../src/connection/store';
import { ENGINES } from './support/engines';
import { type ReceiverHarness, startReceiverHarness } from './support/receiver-harness';
import { postSigned } from './support/signed-request';

let harness: ReceiverHarness;

const send = (event: unknown) => postSigned(harness.server.webhookUrl, harness.secret, JSON.stringify(event));

/** `company.deleted` as the provider sends it: the payload is the company, with no referenceCompany. */
function companyDeleted(companyId: string, generatedDate: string, id = randomUUID()) {
  return {
    id,
    eventType: 'company.deleted',
    generatedDate,
    payload: { id: companyId, name: 'Toft stores', description: null, tags: {} },
  };
}

/** Every stored connection of the company, tombstones included. */
async function storedOf(companyId: string): Promise<StoredConnection[]> {
  const response = await fetch(
    `${harness.server.url}/companies/${companyId}/connections?includeDeleted=true`,
  );
  return ((await response.json()) as { connections: StoredConnection[] }).connections;
}

async function companyWithTwoConnections(generatedDate = '2026-11-28T10:00:00Z') {
  const companyId = randomUUID();
  const connectionIds = [randomUUID(), randomUUID()];
  for (const connectionId of connectionIds) {
    await send(sampleEvent({ eventType: 'connection.connected', companyId, connectionId, generatedDate }));
  }
  return { companyId, connectionIds };
}

describe.each(ENGINES)('company.deleted, end to end over the local server, on %s', (engine) => {
  beforeAll(async () => {
    harness = await startReceiverHarness(engine);
  });

  afterAll(async () => {
    await harness.close();
  });

  it('makes a tombstone of every connection of the company and says how many', async () => {
    const { companyId } = await companyWithTwoConnections();
    const event = companyDeleted(companyId, '2026-11-28T11:00:00Z');

    const answer = await send(event);

    expect(answer).toMatchObject({ status: 200, json: { result: 'applied', tombstoned: 2, unchanged: 0 } });
    const stored = await storedOf(companyId);
    expect(stored.map((item) => [item.deleted, item.lastEvent.type, item.lastEvent.id])).toEqual([
      [true, 'company.deleted', event.id],
      [true, 'company.deleted', event.id],
    ]);
    expect(stored.every((item) => typeof item.expiresAt === 'number')).toBe(true);
  });

  it('changes nothing when the same event comes again', async () => {
    const { companyId } = await companyWithTwoConnections();
    const event = companyDeleted(companyId, '2026-11-28T11:00:00Z');
    await send(event);
    const before = await storedOf(companyId);

    const again = await send(event);

    expect(again).toMatchObject({ status: 200, json: { result: 'applied', tombstoned: 0, unchanged: 2 } });
    expect(await storedOf(companyId)).toEqual(before);
  });

  it('does not let an older connection event arriving later bring a connection back', async () => {
    const { companyId, connectionIds } = await companyWithTwoConnections();
    await send(companyDeleted(companyId, '2026-11-28T11:00:00Z'));

    const late = await send(
      sampleEvent({
        eventType: 'connection.reconnected',
        companyId,
        connectionId: connectionIds[0],
        generatedDate: '2026-11-28T10:30:00Z',
      }),
    );

    expect(late.json).toEqual({ result: 'stale' });
    expect((await storedOf(companyId)).every((item) => item.deleted)).toBe(true);
  });

  it('leaves a connection alone whose stored event is newer than the deletion', async () => {
    const { companyId } = await companyWithTwoConnections('2026-11-28T12:00:00Z');

    const answer = await send(companyDeleted(companyId, '2026-11-28T11:00:00Z'));

    expect(answer.json).toEqual({ result: 'applied', tombstoned: 0, unchanged: 2 });
    expect((await storedOf(companyId)).some((item) => item.deleted)).toBe(false);
  });

  it('answers applied with nothing tombstoned for a company with nothing stored', async () => {
    const answer = await send(companyDeleted(randomUUID(), '2026-11-28T11:00:00Z'));

    expect(answer).toMatchObject({ status: 200, json: { result: 'applied', tombstoned: 0, unchanged: 0 } });
  });

  it('answers 400 naming payload.id when the company id is missing, and writes nothing', async () => {
    const before = await harness.itemCount();
    const { payload: _, ...event } = companyDeleted(randomUUID(), '2026-11-28T11:00:00Z');

    const answer = await send({ ...event, payload: { name: 'no id' } });

    expect(answer).toMatchObject({ status: 400, json: { problems: [{ path: 'payload.id' }] } });
    expect(await harness.itemCount()).toBe(before);
  });

  it('still acknowledges company.created as ignored', async () => {
    const answer = await send({
      ...companyDeleted(randomUUID(), '2026-11-28T11:00:00Z'),
      eventType: 'company.created',
    });

    expect(answer).toMatchObject({ status: 200, json: { result: 'ignored' } });
  });

  it('logs the company id of the deletion', async () => {
    const companyId = randomUUID();
    const answer = await send(companyDeleted(companyId, '2026-11-28T11:00:00Z'));

    const line = harness.logger
      .logLines('delivery')
      .find((entry) => entry.webhookId === answer.headers['webhook-id']);

    expect(line).toMatchObject({
      eventType: 'company.deleted',
      companyId,
      result: 'applied',
      statusCode: 200,
    });
  });
});

describe('company.deleted when the database fails', () => {
  it('answers 503, so that the provider retries and finishes the job', async () => {
    const database = await startEmbeddedDynamoDb();
    const local = await startLocalServer({
      port: 0,
      signingSecret: harness.secret,
      dynamoDbEndpoint: database.endpoint,
    });
    try {
      await database.close();

      const answer = await postSigned(
        local.webhookUrl,
        harness.secret,
        JSON.stringify(companyDeleted(randomUUID(), '2026-11-28T11:00:00Z')),
      );

      expect(answer).toMatchObject({ status: 503, json: { error: 'storage unavailable, retry later' } });
    } finally {
      await local.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { jest } from '@jest/globals';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { companyDeletedEvent, tombstoneOf } from '../src/connection/connection-change';
import { storageError } from '../src/connection/dynamodb-errors';
import { type AppliedWrite, DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import type { CompanyTombstone, ConnectionChange } from '../src/connection/store';
import { StorageRejectedError, StorageUnavailableError } from '../src/errors';
import { changeOf } from './support/changes';
import { type EmbeddedTable, ENGINES, startTable } from './support/engines';

/** Each test works on a connection of its own. */
function ids() {
  return { companyId: randomUUID(), connectionId: randomUUID() };
}

/** A change of connection `key` by a `connection.<type>` event generated at `time` (UTC) on 28 November. */
function eventAt(
  type: string,
  key: ReturnType<typeof ids>,
  time: string,
  at?: Parameters<typeof changeOf>[1],
) {
  return changeOf({ eventType: `connection.${type}`, ...key, generatedDate: `2026-11-28T${time}Z` }, at);
}

describe.each(ENGINES)('the DynamoDB connection store on %s', (engine) => {
  let table: EmbeddedTable;

  beforeAll(async () => {
    table = await startTable(engine);
  });

  afterAll(async () => {
    await table.close();
  });

  /** The stored item of connection `key`, as DynamoDB holds it. */
  async function storedItem(key: ReturnType<typeof ids>) {
    const { Item } = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: { companyId: { S: key.companyId }, connectionId: { S: key.connectionId } },
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  it('stores a new connection and reports it applied', async () => {
    const change = changeOf({ eventType: 'connection.connected', ...ids() });

    const outcome = await table.store.write(change);

    expect(outcome).toBe('applied');
    const stored = await table.store.get(change.companyId, change.connection.id);
    expect(stored).toEqual({
      companyId: change.companyId,
      company: { name: 'Toft stores', tags: { region: 'us' } },
      connection: change.connection,
      lastEvent: {
        id: change.event.id,
        type: 'connection.connected',
        generatedDate: change.event.generatedDate,
        order: change.event.order,
      },
      deleted: false,
      storedAt: '2026-11-28T12:00:00.000Z',
      firstStoredAt: '2026-11-28T12:00:00.000Z',
    });
  });

  it('reports the same event again as a duplicate and leaves the item as it was', async () => {
    const change = changeOf({ eventType: 'connection.connected', ...ids() });
    await table.store.write(change);
    const before = await table.store.get(change.companyId, change.connection.id);

    const outcome = await table.store.write({ ...change, receivedAt: '2026-11-28T12:05:00.000Z' });

    expect(outcome).toBe('duplicate');
    expect(await table.store.get(change.companyId, change.connection.id)).toEqual(before);
  });

  it('reports an older event arriving late as stale and changes nothing', async () => {
    const key = ids();
    const newer = eventAt('disconnected', key, '10:00:00');
    const older = eventAt('connected', key, '09:00:00');
    await table.store.write(newer);

    const outcome = await table.store.write(older);

    expect(outcome).toBe('stale');
    expect((await table.store.get(key.companyId, key.connectionId))?.connection.status).toBe('Unlinked');
  });

  it('applies a newer event over an older one and keeps when the connection was first stored', async () => {
    const key = ids();
    await table.store.write(eventAt('created', key, '09:00:00'));
    const connected = eventAt('connected', key, '09:01:00', { receivedAt: new Date('2026-11-28T13:00:00Z') });

    expect(await table.store.write(connected)).toBe('applied');

    const stored = await table.store.get(key.companyId, key.connectionId);
    expect(stored?.connection.status).toBe('Linked');
    expect(stored?.firstStoredAt).toBe('2026-11-28T12:00:00.000Z');
    expect(stored?.storedAt).toBe('2026-11-28T13:00:00.000Z');
  });

  it('hands onApplied the old item and the new one exactly as the write leaves them', async () => {
    const images: AppliedWrite[] = [];
    const store = new DynamoDbConnectionStore(table.client, table.tableName, {
      onApplied: (write) => images.push(write),
    });
    const key = ids();
    await store.write(eventAt('created', key, '09:00:00'));
    const first = await storedItem(key);
    await store.write(
      eventAt('connected', key, '09:01:00', { receivedAt: new Date('2026-11-28T13:00:00Z') }),
    );

    expect(images).toEqual([{ newImage: first }, { oldImage: first, newImage: await storedItem(key) }]);
    expect(images[1]?.newImage.firstStoredAt).toEqual({ S: '2026-11-28T12:00:00.000Z' });
  });

  it('orders events by time, not by how the time is written', async () => {
    const key = ids();
    // 10:00-05:00 is 15:00 UTC: later than 14:00Z although its text sorts first.
    await table.store.write(
      changeOf({ eventType: 'connection.connected', ...key, generatedDate: '2026-11-28T10:00:00-05:00' }),
    );

    const outcome = await table.store.write(eventAt('disconnected', key, '14:00:00'));

    expect(outcome).toBe('stale');
  });

  it('breaks a tie of generatedDate by event id, the same way whatever the arrival order', async () => {
    const key = ids();
    const at = '2026-11-28T10:00:00Z';
    const low = changeOf({ eventType: 'connection.connected', ...key, generatedDate: at, eventId: 'aaaa' });
    const high = changeOf({
      eventType: 'connection.disconnected',
      ...key,
      generatedDate: at,
      eventId: 'bbbb',
    });

    await table.store.write(high);
    expect(await table.store.write(low)).toBe('stale');
    expect((await table.store.get(key.companyId, key.connectionId))?.lastEvent.id).toBe('bbbb');
  });

  it('removes fields that the newer event leaves out, so the item is that event and not a blend', async () => {
    const key = ids();
    await table.store.write(eventAt('failed', key, '09:00:00'));
    const later = eventAt('connected', key, '09:05:00');
    delete later.connection.integrationKey;
    delete later.connection.dataConnectionErrors;

    await table.store.write(later);

    const stored = await table.store.get(key.companyId, key.connectionId);
    expect(stored?.connection).toEqual(later.connection);
    expect(stored?.connection).not.toHaveProperty('integrationKey');
    expect(stored?.connection).not.toHaveProperty('dataConnectionErrors');
  });

  it('keeps a deleted connection as a tombstone with an expiry, and refuses older events after it', async () => {
    const key = ids();
    await table.store.write(eventAt('connected', key, '09:00:00'));
    const deleted = eventAt('deleted', key, '10:00:00', {
      receivedAt: new Date('2026-11-28T12:00:00Z'),
      tombstoneTtlDays: 30,
    });
    expect(await table.store.write(deleted)).toBe('applied');

    const late = eventAt('reconnected', key, '09:30:00');
    expect(await table.store.write(late)).toBe('stale');

    const stored = await table.store.get(key.companyId, key.connectionId);
    expect(stored?.deleted).toBe(true);
    expect(stored?.expiresAt).toBe(Date.parse('2026-12-28T12:00:00Z') / 1000);
  });

  it('lifts the tombstone when a newer event for the same connection arrives', async () => {
    const key = ids();
    await table.store.write(eventAt('deleted', key, '10:00:00'));

    await table.store.write(eventAt('created', key, '11:00:00'));

    const stored = await table.store.get(key.companyId, key.connectionId);
    expect(stored?.deleted).toBe(false);
    expect(stored).not.toHaveProperty('expiresAt');
  });

  it('ends with the newest event whatever order a history arrives in', async () => {
    const key = ids();
    const history = ['created', 'connected', 'disconnected', 'reconnected', 'failed'].map((type, index) =>
      changeOf({ eventType: `connection.${type}`, ...key, generatedDate: `2026-11-28T10:00:0${index}Z` }),
    );
    const arrival = [3, 0, 4, 1, 4, 2, 0].map((index) => history[index] as ConnectionChange);

    const outcomes = [];
    for (const change of arrival) outcomes.push(await table.store.write(change));

    expect(outcomes).toEqual(['applied', 'stale', 'applied', 'stale', 'duplicate', 'stale', 'stale']);
    expect((await table.store.get(key.companyId, key.connectionId))?.lastEvent.type).toBe(
      'connection.failed',
    );
  });

  it('stores a number in connectionInfo beyond the safe integer range as JSON.parse read it', async () => {
    const change = changeOf({ eventType: 'connection.connected', ...ids() });
    change.connection.connectionInfo = { accountNumber: -9007199254740992, big: 1e21 };

    expect(await table.store.write(change)).toBe('applied');

    const stored = await table.store.get(change.companyId, change.connection.id);
    expect(stored?.connection.connectionInfo).toEqual({ accountNumber: -9007199254740992, big: 1e21 });
  });

  it('lists the connections of one company and no other', async () => {
    const companyId = randomUUID();
    const first = changeOf({ eventType: 'connection.connected', companyId, connectionId: randomUUID() });
    const second = changeOf({ eventType: 'connection.created', companyId, connectionId: randomUUID() });
    await table.store.write(first);
    await table.store.write(second);
    await table.store.write(changeOf({ eventType: 'connection.connected', ...ids() }));

    const listed = await table.store.listByCompany(companyId);

    expect(listed.map((stored) => stored.connection.id).sort()).toEqual(
      [first.connection.id, second.connection.id].sort(),
    );
  });

  /** A company of `connections` live connections, stored, and its company.deleted tombstone. */
  const companyOf = async (connections: number) => {
    const companyId = randomUUID();
    for (let index = 0; index < connections; index += 1) {
      await table.store.write(
        changeOf({
          eventType: 'connection.connected',
          companyId,
          connectionId: randomUUID(),
          generatedDate: '2026-11-28T10:00:00Z',
        }),
      );
    }
    const tombstone: CompanyTombstone = {
      companyId,
      event: companyDeletedEvent({ id: randomUUID(), generatedDate: '2026-11-28T13:00:00Z' } as never),
      expiresAt: 1_800_000_000,
      receivedAt: '2026-11-28T13:00:01.000Z',
    };
    return { companyId, tombstone };
  };

  it('makes on a retry of company.deleted only the tombstones an earlier attempt left, with no write for the others', async () => {
    const { companyId, tombstone } = await companyOf(10);
    // The first attempt was cut off after four of them.
    for (const stored of (await table.store.listByCompany(companyId)).slice(0, 4)) {
      await table.store.write(tombstoneOf(stored, tombstone));
    }
    const client = localDynamoDbClient(table.endpoint);
    let writes = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') writes += 1;
        return next(args);
      },
      { step: 'initialize' },
    );

    try {
      const outcome = await new DynamoDbConnectionStore(client, table.tableName).tombstoneCompany(tombstone);

      expect(outcome).toEqual({ tombstoned: 6, unchanged: 4 });
      expect(writes).toBe(6);
      expect((await table.store.listByCompany(companyId)).every((item) => item.deleted)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it("starts no further tombstone once the function's time is up, and a retry finishes the rest", async () => {
    const { companyId, tombstone } = await companyOf(120);
    const timeUp = new AbortController();
    const client = localDynamoDbClient(table.endpoint);
    let started = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'UpdateItemCommand') return next(args);
        started += 1;
        const output = await next(args);
        timeUp.abort();
        return output;
      },
      { step: 'initialize' },
    );
    const store = new DynamoDbConnectionStore(client, table.tableName);

    try {
      await expect(store.tombstoneCompany(tombstone, { signal: timeUp.signal })).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      const startedBeforeTimeUp = started;
      const retry = await table.store.tombstoneCompany(tombstone);

      expect(startedBeforeTimeUp).toBeLessThan(120);
      expect(retry.unchanged).toBeGreaterThan(0);
      expect(retry.tombstoned + retry.unchanged).toBe(120);
      expect((await table.store.listByCompany(companyId)).every((item) => item.deleted)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('resolves the client’s middleware once for all its writes, not on every delivery', async () => {
    const client = localDynamoDbClient(table.endpoint);
    const store = new DynamoDbConnectionStore(client, table.tableName);
    const resolve = jest.spyOn(UpdateItemCommand.prototype, 'resolveMiddleware');
    try {
      for (const type of ['connected', 'disconnected', 'reconnected']) {
        await store.write(eventAt(type, ids(), '10:00:00'));
      }

      expect(resolve).toHaveBeenCalledTimes(1);
    } finally {
      resolve.mockRestore();
      client.destroy();
    }
  });

  it('gives nothing for a connection it does not hold', async () => {
    expect(await table.store.get(randomUUID(), randomUUID())).toBeUndefined();
  });

  it('reports a database it cannot reach as unavailable, so that the delivery is retried', async () => {
    // Nothing listens on port 9 (discard) here.
    const unreachable = localDynamoDbClient('http://127.0.0.1:9');
    const store = new DynamoDbConnectionStore(unreachable, table.tableName);

    await expect(
      store.write(changeOf({ eventType: 'connection.connected', ...ids() })),
    ).rejects.toBeInstanceOf(StorageUnavailableError);
    unreachable.destroy();
  });

  it('reports a request the database refuses (a missing table) as rejected, not unavailable, so it reads as a bug', async () => {
    const store = new DynamoDbConnectionStore(table.client, `missing-${randomUUID()}`);

    const failure = store.write(changeOf({ eventType: 'connection.connected', ...ids() }));

    await expect(failure).rejects.toBeInstanceOf(StorageRejectedError);
    await expect(failure).rejects.toThrow(/ResourceNotFoundException/);
  });

  it('refuses before the write a change DynamoDB could not store, naming the path, and stores nothing', async () => {
    const change = changeOf({ eventType: 'connection.connected', ...ids() });
    change.connection.connectionInfo = { outer: { '': 1 } };

    await expect(table.store.write(change)).rejects.toMatchObject({
      name: 'UnstorableChangeError',
      problems: [{ path: 'payload.connection.connectionInfo.outer.', message: expect.any(String) }],
    });
    expect(await table.store.get(change.companyId, change.connection.id)).toBeUndefined();
  });
});

describe('what a failed DynamoDB call means', () => {
  const fault = (name: string, status: number, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${name} happened`), {
      name,
      $fault: status < 500 ? 'client' : 'server',
      $metadata: { httpStatusCode: status },
      ...extra,
    });

  it.each([
    ['throttling', fault('ProvisionedThroughputExceededException', 400)],
    ['a 5xx', fault('InternalServerError', 500)],
    ['a retryable client fault', fault('SomethingTransient', 400, { $retryable: {} })],
    ['a broken connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a request time-out', Object.assign(new Error('request timed out'), { name: 'TimeoutError' })],
  ])('counts %s as the database unavailable: the provider should retry', (_, error) => {
    expect(storageError(error)).toBeInstanceOf(StorageUnavailableError);
  });

  it('counts a ValidationException as refused, naming the attribute behind its placeholder', () => {
    const error = fault('ValidationException', 400);
    error.message = 'ExpressionAttributeValues contains invalid value: Empty key for :a10 at #a10';

    const mapped = storageError(error, { '#a10': 'connectionInfo' });

    expect(mapped).toBeInstanceOf(StorageRejectedError);
    expect(mapped).toMatchObject({ attribute: 'connectionInfo' });
  });
});

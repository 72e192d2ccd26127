import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { InvalidQueryParameterError, StorageUnavailableError } from '../src/errors';
import { HISTORY_TABLE, historyPartitionKey } from '../src/history/history-table';
import { type RecordOutcome, recordHistory } from '../src/history/record-history';
import { statusDurations } from '../src/history/status-durations';
import { ENGINES } from './support/engines';
import {
  freshIds,
  type HistoryTable,
  linkedDeauthorizedLinkedThenWalk,
  recordsOf,
  startHistoryTable,
  storeWithThrottledPuts,
} from './support/history';

const historyDays = 400;
const sequenceOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber ?? '';

describe.each(ENGINES)('the connection history on %s', (engine) => {
  let table: HistoryTable;

  beforeAll(async () => {
    table = await startHistoryTable(engine);
  });

  afterAll(async () => {
    await table.close();
  });

  /** The story's four changes as stream records, and a reader of the connection's history. */
  function story() {
    const key = freshIds();
    const changes = linkedDeauthorizedLinkedThenWalk(key);
    const records = recordsOf(changes);
    const read = async () =>
      (await table.store.connectionHistory(key.companyId, key.connectionId, { limit: 100 })).items;
    return { key, changes, records, read };
  }

  const record = (records: DynamoDBRecord[], store = table.store) =>
    recordHistory(records, { store, historyDays });

  it('keeps the same change recorded twice as one item', async () => {
    const { records, read } = story();
    const first = records[0] as DynamoDBRecord;

    await record([first]);
    await record([first, first]);

    expect(await read()).toHaveLength(1);
  });

  it('reads a webhook Linked, Deauthorized, Linked and a walk back newest first', async () => {
    const { records, read, changes } = story();

    const answer = await record(records);

    expect(answer).toEqual({ batchItemFailures: [] });
    const items = await read();
    expect(items.map((item) => [item.previousStatus, item.status, item.cause.eventType])).toEqual([
      ['Linked', 'Unlinked', 'reconcile.observed'],
      ['Deauthorized', 'Linked', 'connection.reconnected'],
      ['Linked', 'Deauthorized', 'connection.disconnected'],
      [undefined, 'Linked', 'connection.connected'],
    ]);
    expect(items.map((item) => item.order)).toEqual(changes.map((change) => change.event.order).reverse());
  });

  it('reports only the throttled record of a batch, and its retry leaves each change once', async () => {
    const { records, read, changes } = story();
    const failingOrder = changes[1]?.event.order;
    const throttled = storeWithThrottledPuts(table, (sortKey) => sortKey === failingOrder);
    const outcomes: RecordOutcome['result'][] = [];

    const first = await recordHistory(records, {
      store: throttled.store,
      historyDays,
      onRecord: (outcome) => outcomes.push(outcome.result),
    });
    throttled.close();
    // Lambda retries from the first failed record to the end of the batch.
    const retried = await record(records.slice(1));

    expect(first).toEqual({
      batchItemFailures: [{ itemIdentifier: sequenceOf(records[1] as DynamoDBRecord) }],
    });
    expect(outcomes).toEqual(['recorded', 'failed', 'recorded', 'recorded']);
    expect(retried).toEqual({ batchItemFailures: [] });
    expect((await read()).map((item) => item.order)).toEqual(
      changes.map((change) => change.event.order).reverse(),
    );
  });

  it('gives no duplicate and none missing when a failed batch is bisected and retried out of order', async () => {
    const { records, read, changes } = story();

    // The later half first, then the earlier, then the whole batch again, as retries may land.
    await record(records.slice(2));
    await record(records.slice(0, 2));
    await record(records);

    const orders = (await read()).map((item) => item.order);
    expect(orders).toEqual(changes.map((change) => change.event.order).reverse());
  });

  it('fails a record it cannot read and still writes the others of its batch', async () => {
    const { records, read } = story();
    const unreadable: DynamoDBRecord = { eventName: 'MODIFY', dynamodb: { SequenceNumber: '42' } };

    const answer = await record([records[0] as DynamoDBRecord, unreadable, records[1] as DynamoDBRecord]);

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '42' }] });
    expect(await read()).toHaveLength(2);
  });

  it('fails every record whose write DynamoDB throttles, as errors the caller may retry', async () => {
    const { records } = story();
    const throttled = storeWithThrottledPuts(table, () => true);

    const outcomes: RecordOutcome[] = [];
    const answer = await recordHistory(records, {
      store: throttled.store,
      historyDays,
      onRecord: (outcome) => outcomes.push(outcome),
    });
    throttled.close();

    expect(answer.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      records.map(sequenceOf),
    );
    expect(
      outcomes.every(
        (outcome) => outcome.result === 'failed' && outcome.error instanceof StorageUnavailableError,
      ),
    ).toBe(true);
  });

  it('sets the TTL attribute to historyDays after the change was stored, in Unix seconds', async () => {
    const { key, records, changes } = story();
    await record(records.slice(0, 1));

    const { Item } = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: {
          [HISTORY_TABLE.partitionKey]: { S: historyPartitionKey(key.companyId, key.connectionId) },
          [HISTORY_TABLE.sortKey]: { S: changes[0]?.event.order ?? '' },
        },
      }),
    );

    const storedSeconds = Math.floor(Date.parse(changes[0]?.receivedAt ?? '') / 1000);
    expect(Item?.[HISTORY_TABLE.expiryAttribute]).toEqual({
      N: String(storedSeconds + historyDays * 86_400),
    });
  });

  it('pages through the history with a cursor, newest first, each change once', async () => {
    const { key, records, changes } = story();
    await record(records);
    const pages = [];

    let cursor: string | undefined;
    do {
      const page = await table.store.connectionHistory(key.companyId, key.connectionId, {
        limit: 3,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor && pages.length < 5);

    expect(pages.map((page) => page.items.length)).toEqual([3, 1]);
    expect(pages.flatMap((page) => page.items.map((item) => item.order))).toEqual(
      changes.map((change) => change.event.order).reverse(),
    );
    expect(pages[0]?.newerChangeAt).toBeUndefined();
    expect(pages[1]?.newerChangeAt).toBe(pages[0]?.items.at(-1)?.at);
  });

  it("refuses a cursor of another connection's history, naming the cursor", async () => {
    const one = story();
    const other = story();
    await record([...one.records, ...other.records]);
    const page = await table.store.connectionHistory(one.key.companyId, one.key.connectionId, { limit: 1 });

    const reading = table.store.connectionHistory(other.key.companyId, other.key.connectionId, {
      cursor: page.nextCursor ?? '',
    });

    await expect(reading).rejects.toThrow(InvalidQueryParameterError);
    await expect(reading).rejects.toMatchObject({ parameter: 'cursor' });
  });

  it('reads only the changes at or after since', async () => {
    const { key, records } = story();
    await record(records);

    const page = await table.store.connectionHistory(key.companyId, key.connectionId, {
      since: '2026-11-28T09:00:00Z',
    });

    expect(page.items.map((item) => item.at)).toEqual([
      '2026-11-28T11:00:00.0000000Z',
      '2026-11-28T10:00:00.0000000Z',
      '2026-11-28T09:00:00.0000000Z',
    ]);
  });

  it('gives the time in each status over a page read back, the newest still open until now', async () => {
    const { key, records } = story();
    await record(records);
    const page = await table.store.connectionHistory(key.companyId, key.connectionId);

    const durations = statusDurations(page.items, page.newerChangeAt ?? '2026-11-28T12:00:00Z');

    const HOUR = 3_600_000;
    expect(durations?.inStatusMs).toEqual({ Linked: 2 * HOUR, Deauthorized: HOUR, Unlinked: HOUR });
  });
});

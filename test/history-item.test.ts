import { companyDeletedEvent, tombstoneOf } from '../src/connection/connection-change';
import type { ConnectionChange } from '../src/connection/store';
import { toStoredConnection } from '../src/connection/stored-item';
import { DEFAULT_HISTORY_DAYS } from '../src/defaults';
import { UnreadableStreamRecordError } from '../src/errors';
import { historyDecisionOfRecord, MAX_HISTORY_ERRORS, MAX_HISTORY_TEXT } from '../src/history/history-item';
import { historyPartitionKey, historySortKey } from '../src/history/history-table';
import { changeOf } from './support/changes';
import { freshIds, linkedDeauthorizedLinkedThenWalk, recordsOf, writeRecord } from './support/history';
import { imageOf, streamRecord } from './support/stream-records';

const options = { historyDays: DEFAULT_HISTORY_DAYS };

function itemOf(record: Parameters<typeof historyDecisionOfRecord>[0]) {
  const decision = historyDecisionOfRecord(record, options);
  if (!decision.record) throw new Error(`expected a history item, got ${decision.reason}`);
  return decision.item;
}

/** Two events of one fresh connection, an hour apart. */
function oneConnection(first: string, second: string): [ConnectionChange, ConnectionChange] {
  const key = freshIds();
  return [
    changeOf({ eventType: first, ...key, generatedDate: '2026-11-28T08:00:00Z' }),
    changeOf({ eventType: second, ...key, generatedDate: '2026-11-28T09:00:00Z' }),
  ];
}

describe('the history item of a Connection stream record', () => {
  it('makes a first write a created change with the status, cause, platform and order key', () => {
    const [linked] = linkedDeauthorizedLinkedThenWalk();
    if (!linked) throw new Error('no change');

    const item = itemOf(writeRecord(linked));

    expect(item).toEqual({
      companyId: linked.companyId,
      connectionId: linked.connection.id,
      changeId: expect.stringMatching(/^[0-9a-f]{32}$/),
      change: 'created',
      status: 'Linked',
      deleted: false,
      at: '2026-11-28T08:00:00.0000000Z',
      order: linked.event.order,
      cause: {
        eventId: linked.event.id,
        eventType: 'connection.connected',
        generatedDate: '2026-11-28T08:00:00Z',
      },
      platformName: 'Basiq',
      sourceType: 'Banking',
      integrationId: linked.connection.integrationId,
      integrationKey: 'dfxm',
      dataConnectionErrors: [],
      storedAt: '2026-11-28T08:00:00.500Z',
      expiresAt: Date.parse('2026-11-28T08:00:00Z') / 1000 + DEFAULT_HISTORY_DAYS * 86_400,
    });
  });

  it('gives a webhook change the previous and the new status and names its event', () => {
    const [linked, broken] = linkedDeauthorizedLinkedThenWalk();
    if (!linked || !broken) throw new Error('no change');

    const item = itemOf(writeRecord(broken, linked));

    expect(item).toMatchObject({
      change: 'updated',
      previousStatus: 'Linked',
      status: 'Deauthorized',
      cause: {
        eventId: broken.event.id,
        eventType: 'connection.disconnected',
        generatedDate: broken.event.generatedDate,
      },
    });
  });

  it("names the reconciliation walk that wrote a change, from the item's event id", () => {
    const records = recordsOf(linkedDeauthorizedLinkedThenWalk());

    const item = itemOf(records[3] as (typeof records)[number]);

    expect(item).toMatchObject({ previousStatus: 'Linked', status: 'Unlinked' });
    expect(item.cause).toEqual({
      eventId: 'reconcile:walk-1',
      eventType: 'reconcile.observed',
      generatedDate: '2026-11-28T11:00:00.000Z',
      walkId: 'walk-1',
    });
  });

  it('shows a tombstone as the change that deleted, with the last status the connection had', () => {
    const [live, gone] = oneConnection('connection.connected', 'connection.deleted');

    const item = itemOf(writeRecord(gone, live));

    expect(item).toMatchObject({
      change: 'deleted',
      deleted: true,
      previousStatus: 'Linked',
      status: 'Linked',
    });
  });

  it("names company.deleted as the cause of a company's tombstones", () => {
    const live = changeOf({
      eventType: 'connection.connected',
      ...freshIds(),
      generatedDate: '2026-11-28T08:00:00Z',
    });
    const event = companyDeletedEvent({
      id: 'company-gone',
      eventType: 'company.deleted',
      generatedDate: '2026-11-28T12:00:00Z',
      payload: { id: live.companyId },
    });
    const tombstone = tombstoneOf(toStoredConnection(imageOf(live) as never), {
      event,
      expiresAt: 1_800_000_000,
      receivedAt: '2026-11-28T12:00:01.000Z',
    });

    const item = itemOf(writeRecord(tombstone, live));

    expect(item).toMatchObject({ change: 'deleted', deleted: true });
    expect(item.cause).toEqual({
      eventId: 'company-gone',
      eventType: 'company.deleted',
      generatedDate: '2026-11-28T12:00:00Z',
    });
  });

  it('keeps a failed attempt even when it leaves the status and the errors as they were', () => {
    const [failed, again] = oneConnection('connection.failed', 'connection.failed');

    const item = itemOf(writeRecord(again, failed));

    expect(item).toMatchObject({ change: 'updated', previousStatus: 'PendingAuth', status: 'PendingAuth' });
    expect(item.dataConnectionErrors).toHaveLength(1);
  });

  it('keeps at most the bounded number of errors, each text cut, and counts those left out', () => {
    const change = changeOf({ eventType: 'connection.failed', ...freshIds() });
    const error = { statusCode: '401', statusText: 'Unauthorized', errorMessage: 'x'.repeat(5_000) };
    const many = {
      ...change,
      connection: { ...change.connection, dataConnectionErrors: Array(15).fill(error) },
    };

    const item = itemOf(writeRecord(many));

    expect(item.dataConnectionErrors).toHaveLength(MAX_HISTORY_ERRORS);
    expect(item.dataConnectionErrorsOmitted).toBe(15 - MAX_HISTORY_ERRORS);
    expect(item.dataConnectionErrors[0]?.errorMessage).toBe(`${'x'.repeat(MAX_HISTORY_TEXT)}…`);
  });

  it('builds the same item from the same record every time: a retry writes identical content', () => {
    const records = recordsOf(linkedDeauthorizedLinkedThenWalk());
    const record = records[1] as (typeof records)[number];

    const first = itemOf(record);
    const again = itemOf(structuredClone(record));

    expect(again).toEqual(first);
  });
});

describe('the stream records that make no history item', () => {
  const [linked, broken] = linkedDeauthorizedLinkedThenWalk();
  if (!linked || !broken) throw new Error('no change');
  const gone = { ...broken, deleted: true, expiresAt: 1_800_000_000 };

  it.each([
    ['a removal by TTL', streamRecord('REMOVE', { old: imageOf(gone) }, { ttl: true }), 'ttl-expiry'],
    ['a removal by hand', streamRecord('REMOVE', { old: imageOf(gone) }), 'removed'],
    [
      'a tombstone rewritten as a tombstone',
      writeRecord({ ...gone, event: { ...gone.event, id: 'later', order: `${gone.event.order}z` } }, gone),
      'still-deleted',
    ],
    [
      'a newer event that changes only bookkeeping',
      writeRecord(
        { ...linked, event: { ...linked.event, id: 'same-state', order: `${linked.event.order}z` } },
        linked,
      ),
      'unchanged',
    ],
    [
      'a change of fields the history does not follow (lastSync)',
      writeRecord(
        {
          ...linked,
          connection: { ...linked.connection, lastSync: '2026-11-28T08:30:00Z' },
          event: { ...linked.event, id: 'synced', order: `${linked.event.order}z` },
        },
        linked,
      ),
      'untracked-fields',
    ],
  ])('skips %s', (_name, record, reason) => {
    expect(historyDecisionOfRecord(record, options)).toEqual({ record: false, reason });
  });

  it('refuses a MODIFY without its old image: the stream must carry both images', () => {
    const record = streamRecord('MODIFY', { new: imageOf(broken) });

    expect(() => historyDecisionOfRecord(record, options)).toThrow(UnreadableStreamRecordError);
  });

  it('refuses an item that is not a Connection item, naming what it lacks', () => {
    const record = streamRecord('INSERT', { new: { companyId: { S: 'c' }, connectionId: { S: 'n' } } });

    expect(() => historyDecisionOfRecord(record, options)).toThrow(/not a Connection item: no status/);
  });
});

describe('the history keys', () => {
  it('keeps a company#connection key readable and apart from ids that hold #', () => {
    expect(historyPartitionKey('c1', 'n1')).toBe('c1#n1');
    expect(historyPartitionKey('a#b', 'c')).not.toBe(historyPartitionKey('a', 'b#c'));
  });

  it('hashes a pair of ids too long for a partition key into one that fits', () => {
    const key = historyPartitionKey('c'.repeat(2048), 'n'.repeat(1024));

    expect(key).toMatch(/^#sha256:[0-9a-f]{64}$/);
    expect(key).not.toBe(historyPartitionKey('c'.repeat(2048), 'm'.repeat(1024)));
  });

  it('keeps the time first when an order key is too long for a sort key', () => {
    const order = `2026-11-28T08:00:00.0000000Z#${'e'.repeat(1024)}`;

    const key = historySortKey(order);

    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
    expect(key.startsWith('2026-11-28T08:00:00.0000000Z#sha256:')).toBe(true);
    expect(historySortKey('2026-11-28T08:00:00.0000000Z#e1')).toBe('2026-11-28T08:00:00.0000000Z#e1');
  });
});

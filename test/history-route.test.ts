import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { StorageUnavailableError } from '../src/errors';
import type { HistoryItem } from '../src/history/history-item';
import { encodeCursor } from '../src/history/history-query';
import { historyPartitionKey } from '../src/history/history-table';
import { recordHistory } from '../src/history/record-history';
import { createHistoryReader, HISTORY_ROUTE } from '../src/http/read-history';
import { changeOf } from './support/changes';
import { ENGINES } from './support/engines';
import {
  freshIds,
  type HistoryTable,
  linkedDeauthorizedLinkedThenWalk,
  recordsOf,
  startHistoryTable,
} from './support/history';

/** A GET of the history route as the HTTP API and the local server hand it over: the raw query string. */
function historyGet(ids: { companyId: string; connectionId: string }, query = '') {
  return apiGatewayEvent({
    method: 'GET',
    path: `/companies/${ids.companyId}/connections/${ids.connectionId}/history`,
    route: HISTORY_ROUTE,
    pathParameters: ids,
    rawQueryString: query,
  });
}

const body = (answer: APIGatewayProxyStructuredResultV2) => JSON.parse(answer.body ?? '{}');
const HOUR = 3_600_000;
/** "Now" for every read: an hour after the story's walk, so that every duration is whole hours. */
const NOW = new Date('2026-11-28T12:00:00.000Z');

/**
 * `GET /companies/{companyId}/connections/{connectionId}/history` (src/http/read-history.ts), the
 * code the Lambda reader and the local server share, over a real history table on each engine.
 */
describe.each(ENGINES)('the history route on %s', (engine) => {
  let table: HistoryTable;
  let read: (event: ReturnType<typeof historyGet>) => Promise<APIGatewayProxyStructuredResultV2>;
  /** The issue's story: Linked 08:00, Deauthorized 09:00, Linked 10:00, a walk's Unlinked 11:00. */
  const story = freshIds();
  /** Linked at 08:00, deleted at 09:00. */
  const deleted = freshIds();

  beforeAll(async () => {
    table = await startHistoryTable(engine);
    const reader = createHistoryReader(table.store, () => NOW);
    read = async (event) => (await reader(event)).response;
    const tombstoned = [
      changeOf({ eventType: 'connection.connected', ...deleted, generatedDate: '2026-11-28T08:00:00Z' }),
      changeOf({ eventType: 'connection.deleted', ...deleted, generatedDate: '2026-11-28T09:00:00Z' }),
    ];
    const records = [...recordsOf(linkedDeauthorizedLinkedThenWalk(story)), ...recordsOf(tombstoned)];
    expect(await recordHistory(records, { store: table.store, historyDays: 400 })).toEqual({
      batchItemFailures: [],
    });
  });

  afterAll(async () => {
    await table.close();
  });

  it('answers the changes newest first, with the time in each status from the oldest until now', async () => {
    const answer = await read(historyGet(story));

    expect(answer.statusCode).toBe(200);
    expect(answer.headers).toEqual({ 'content-type': 'application/json' });
    const { changes, timeInStatus, nextCursor, ...rest } = body(answer);
    expect(rest).toEqual(story);
    expect(nextCursor).toBeUndefined();
    expect(changes.map((change: HistoryItem) => [change.at, change.previousStatus, change.status])).toEqual([
      ['2026-11-28T11:00:00.0000000Z', 'Linked', 'Unlinked'],
      ['2026-11-28T10:00:00.0000000Z', 'Deauthorized', 'Linked'],
      ['2026-11-28T09:00:00.0000000Z', 'Linked', 'Deauthorized'],
      ['2026-11-28T08:00:00.0000000Z', undefined, 'Linked'],
    ]);
    expect(changes[0]).not.toHaveProperty('pk');
    expect(changes[0]).not.toHaveProperty('sk');
    expect(changes[0].cause).toMatchObject({ eventType: 'reconcile.observed', walkId: 'walk-1' });
    expect(timeInStatus).toEqual({
      from: '2026-11-28T08:00:00.0000000Z',
      to: NOW.toISOString(),
      inStatusMs: { Linked: 2 * HOUR, Deauthorized: HOUR, Unlinked: HOUR },
      deletedMs: 0,
    });
  });

  it('pages with an opaque cursor, each page timed until the change just above it', async () => {
    const first = body(await read(historyGet(story, 'limit=3')));
    const second = body(await read(historyGet(story, `limit=3&cursor=${first.nextCursor}`)));

    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(first.nextCursor).not.toContain(story.companyId);
    expect(first.changes.map((change: HistoryItem) => change.status)).toEqual([
      'Unlinked',
      'Linked',
      'Deauthorized',
    ]);
    expect(first.timeInStatus.inStatusMs).toEqual({ Unlinked: HOUR, Linked: HOUR, Deauthorized: HOUR });
    expect(second.changes.map((change: HistoryItem) => change.at)).toEqual(['2026-11-28T08:00:00.0000000Z']);
    expect(second.nextCursor).toBeUndefined();
    // The second page's span ends where the first page's oldest change began, not now.
    expect(second.timeInStatus).toEqual({
      from: '2026-11-28T08:00:00.0000000Z',
      to: '2026-11-28T09:00:00.0000000Z',
      inStatusMs: { Linked: HOUR },
      deletedMs: 0,
    });
  });

  it('reads every change exactly once by following nextCursor, one change a page', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    while (pages < 10) {
      const answer = body(await read(historyGet(story, `limit=1${cursor ? `&cursor=${cursor}` : ''}`)));
      pages += 1;
      expect(answer.changes.length).toBeLessThanOrEqual(1);
      seen.push(...answer.changes.map((change: HistoryItem) => change.order));
      cursor = answer.nextCursor;
      if (!cursor) break;
    }

    expect(cursor).toBeUndefined();
    // Four pages of one, and perhaps an empty fifth: DynamoDB cannot tell a full last page from more.
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    expect(seen).toEqual([...seen].sort().reverse());
  });

  it.each([
    ['in UTC', 'since=2026-11-28T09:30:00Z'],
    ['with an offset, its + sent as %2B', 'since=2026-11-28T10:30:00%2B01:00'],
  ])('answers only the changes at or after ?since= given %s', async (_form, query) => {
    const answer = body(await read(historyGet(story, query)));

    expect(answer.changes.map((change: HistoryItem) => change.at)).toEqual([
      '2026-11-28T11:00:00.0000000Z',
      '2026-11-28T10:00:00.0000000Z',
    ]);
    expect(answer.timeInStatus).toMatchObject({
      from: '2026-11-28T10:00:00.0000000Z',
      inStatusMs: { Linked: HOUR, Unlinked: HOUR },
    });
  });

  it('shows a tombstone as the change that deleted, and counts the time since as deleted', async () => {
    const answer = body(await read(historyGet(deleted)));

    expect(answer.changes).toEqual([
      expect.objectContaining({
        change: 'deleted',
        deleted: true,
        previousStatus: 'Linked',
        status: 'Linked',
        cause: expect.objectContaining({ eventType: 'connection.deleted' }),
      }),
      expect.objectContaining({ change: 'created', deleted: false, status: 'Linked' }),
    ]);
    expect(answer.timeInStatus).toMatchObject({ inStatusMs: { Linked: HOUR }, deletedMs: 3 * HOUR });
  });

  it('answers 200 with no changes, no cursor and no durations for a connection it has no history of', async () => {
    const unknown = freshIds();

    const answer = await read(historyGet(unknown));

    expect(answer.statusCode).toBe(200);
    expect(body(answer)).toEqual({ ...unknown, changes: [] });
  });

  const otherCursor = encodeCursor({
    pk: historyPartitionKey(deleted.companyId, deleted.connectionId),
    sk: '2026-11-28T09:00:00.0000000Z#x',
  });
  it.each([
    ['a cursor that is not base64url', 'cursor=not%20a%20cursor', 'cursor'],
    [
      'a cursor that is base64url of something else',
      `cursor=${Buffer.from('[1]').toString('base64url')}`,
      'cursor',
    ],
    ["a cursor of another connection's history", `cursor=${otherCursor}`, 'cursor'],
    ['a since that is no date-time', 'since=yesterday', 'since'],
    ['a since whose + offset was not encoded', 'since=2026-11-28T10:30:00+01:00', 'since'],
    ['since given twice', 'since=2026-11-28T09:00:00Z&since=2026-11-28T10:00:00Z', 'since'],
    ['a limit of 0', 'limit=0', 'limit'],
    ['a limit over the largest page', 'limit=201', 'limit'],
    ['an unknown parameter', 'includeDeleted=true', 'includeDeleted'],
  ])('answers 400 naming the parameter for %s', async (_name, query, parameter) => {
    const answer = await read(historyGet(story, query));

    expect(answer.statusCode).toBe(400);
    expect(body(answer)).toEqual({
      error: 'invalid request',
      parameter,
      reason: expect.stringContaining(parameter),
    });
  });

  it('says to write + as %2B when a since offset arrives as a space', async () => {
    const answer = body(await read(historyGet(story, 'since=2026-11-28T10:30:00+01:00')));

    expect(answer.reason).toContain('%2B');
  });

  it.each([
    [
      'a connection id longer than DynamoDB keeps',
      { companyId: 'c', connectionId: 'c'.repeat(1025) },
      /connectionId/,
    ],
    ['a company id with a lone surrogate', { companyId: '\ud800', connectionId: 'c' }, /companyId/],
  ])('answers 400, not 500, to %s', async (_name, ids, reason) => {
    const answer = await read(historyGet(ids));

    expect(answer.statusCode).toBe(400);
    expect(body(answer)).toEqual({ error: 'invalid request', reason: expect.stringMatching(reason) });
  });
});

describe('the history route when the database fails', () => {
  it('answers 503 and returns why with the answer, which the answer itself does not say', async () => {
    const read = createHistoryReader({
      connectionHistory: async () => {
        throw new StorageUnavailableError('DynamoDB did not complete the request (TimeoutError)');
      },
    });

    const { response, failure } = await read(historyGet(freshIds()));

    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain('TimeoutError');
    expect(failure).toEqual({ reasonCode: 'storage', reason: expect.stringContaining('TimeoutError') });
  });
});

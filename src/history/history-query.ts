import { toSortableUtc } from '../connection/date-time';
import { DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT } from '../defaults';
import { InvalidQueryParameterError } from '../errors';

/** What a reader asks of one connection's history, validated (see `parseHistoryQuery`). */
export interface HistoryQuery {
  /** Only changes at or after this ISO 8601 date-time (any form `isDateTime` accepts). */
  since?: string;
  /** Where the previous page ended, as `nextCursor` gave it. */
  cursor?: string;
  /** At most this many items. @default DEFAULT_HISTORY_LIMIT */
  limit?: number;
}

/** A key of the history table, as a cursor carries it. */
export interface HistoryKey {
  pk: string;
  sk: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A page's LastEvaluatedKey as an opaque cursor: base64url of its JSON, so it survives a query string. */
export function encodeCursor(key: HistoryKey): string {
  return Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk })).toString('base64url');
}

/**
 * The key a cursor stands for. Anything that is not a cursor this code gave out is refused with
 * the parameter named, before DynamoDB sees it: its own message for a bad ExclusiveStartKey
 * names no parameter and would read as a fault of ours.
 */
export function decodeCursor(cursor: string): HistoryKey {
  const refuse = (why: string) =>
    new InvalidQueryParameterError('cursor', `${why}; pass nextCursor as it was given`);
  if (!BASE64URL.test(cursor)) throw refuse('is not base64url');
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse('is not a cursor of this route');
  }
  const { pk, sk, ...rest } = (key ?? {}) as Record<string, unknown>;
  const isKey = typeof key === 'object' && !Array.isArray(key) && Object.keys(rest).length === 0;
  if (
    !isKey ||
    typeof pk !== 'string' ||
    typeof sk !== 'string' ||
    toSortableUtc(sk.split('#')[0] ?? '') === undefined
  ) {
    throw refuse('is not a cursor of this route');
  }
  return { pk, sk };
}

/** `since` as the start of a sort key range (fixed-width UTC); refused, named, unless it is a date-time. */
export function sinceKey(since: string): string {
  const utc = toSortableUtc(since);
  if (utc !== undefined) return utc;
  // A `+01:00` offset sent unencoded arrives as ` 01:00`: say so, it is the usual slip.
  const hint = /\s\d{2}:\d{2}$/.test(since) ? ' (write + as %2B in a URL)' : '';
  throw new InvalidQueryParameterError(
    'since',
    `must be an ISO 8601 date-time such as 2026-11-28T09:00:00Z${hint}, not ${JSON.stringify(since)}`,
  );
}

function limitOf(limit: string): number {
  const value = /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
  if (!(value >= 1 && value <= MAX_HISTORY_LIMIT)) {
    throw new InvalidQueryParameterError(
      'limit',
      `must be a whole number from 1 to ${MAX_HISTORY_LIMIT}, not ${JSON.stringify(limit)}`,
    );
  }
  return value;
}

/**
 * The history route's query string (`since`, `cursor`, `limit`), validated in one place for
 * the Lambda and the local server. Throws `InvalidQueryParameterError` naming the first bad
 * parameter. It reads only these three: any other is refused with a 400 before it, by the
 * route (`queryOf` in src/http/read-history.ts), as the other read routes refuse one.
 */
export function parseHistoryQuery(
  parameters: Readonly<Record<string, string | undefined>> | null | undefined,
): Required<Pick<HistoryQuery, 'limit'>> & HistoryQuery {
  const { since, cursor, limit } = parameters ?? {};
  if (cursor !== undefined) decodeCursor(cursor);
  return {
    ...(since !== undefined ? { since: sinceKey(since) } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    limit: limit === undefined ? DEFAULT_HISTORY_LIMIT : limitOf(limit),
  };
}

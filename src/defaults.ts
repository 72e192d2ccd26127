/**
 * Every default the project's parts share, in one place (plain values, no AWS libraries), so
 * that the stack, the Lambda entry, the local run, the tools and the tests cannot drift apart.
 */

/** Where Codat posts its webhooks, in the deployed API and the local server alike. */
export const WEBHOOK_PATH = '/webhooks/codat';

/** Days a deleted connection's tombstone stays before DynamoDB TTL removes it. */
export const DEFAULT_TOMBSTONE_TTL_DAYS = 30;

/** Codat's payloads are a few kilobytes; anything this large is not a connection event. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** Deliveries signed more than this long ago, or this far ahead, are refused as replays. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/** How long the function uses a signing secret it read before reading it again. */
export const DEFAULT_SECRET_CACHE_SECONDS = 300;

/** The table the local run creates, and `npm run load` and the tools use. */
export const DEFAULT_LOCAL_TABLE_NAME = 'codat-connections';

/** The local server's port. */
export const DEFAULT_LOCAL_PORT = 3000;

/**
 * The port of `npm start`'s embedded DynamoDB, fixed so that `npm run reconcile` finds it: the
 * server holds the database's folder open, so a second process must talk to it over HTTP.
 */
export const DEFAULT_LOCAL_DYNAMODB_PORT = 3001;

/** How long the local server lets one request run, as the function's timeout does in Lambda. */
export const DEFAULT_LOCAL_TIMEOUT_MS = 10_000;

/** The log levels every part accepts, lower case as in `LOG_LEVEL`. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** At most this many problems are listed in a 400 answer (its count says how many there were). */
export const MAX_PROBLEMS_LISTED = 20;

/** Days a connection's history item is kept before DynamoDB TTL removes it (`-c historyDays=`). */
export const DEFAULT_HISTORY_DAYS = 400;

/** History items a page holds when the caller names no `limit`, and the most it may ask for. */
export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 200;
// The reconciler's defaults: the walk in the stack, `npm run reconcile`, the tests and the bench.

/** The provider's API. */
export const DEFAULT_CODAT_API_URL = 'https://api.codat.io';

/** Companies a page of a walk: 2,000 is what the OpenAPI file's PagingInfo allows; fewer pages, fewer requests. */
export const DEFAULT_RECONCILE_PAGE_SIZE = 2000;

/** Companies reconciled at once: one Query each, then their writes. */
export const DEFAULT_RECONCILE_CONCURRENCY = 8;

/** How far the provider's API may lag behind the events it sends (snapshot.ts). */
export const DEFAULT_LAG_ALLOWANCE_MS = 5 * 60_000;

/** A whole walk gives up, incomplete, after this long. */
export const DEFAULT_WALK_BUDGET_MS = 60 * 60_000;

/**
 * How a call to the provider's API retries (retry.ts): `Retry-After` on 429, otherwise
 * exponential backoff with full jitter, every attempt and wait inside the call's budget.
 */
export const DEFAULT_RETRY_POLICY = {
  /** Each attempt's timeout. */
  attemptTimeoutMs: 10_000,
  /** All attempts and waits of one call (one page) together: a page that keeps failing is given up on after this long. */
  budgetMs: 3 * 60_000,
  /** The first backoff's ceiling; each retry doubles it. */
  initialBackoffMs: 500,
  /** The backoff's ceiling never grows past this. */
  maxBackoffMs: 30_000,
};

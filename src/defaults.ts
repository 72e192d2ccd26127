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

/** Companies a page of the reconciler's walk: 2,000 is what the OpenAPI file's PagingInfo allows; fewer pages, fewer requests. */
export const DEFAULT_RECONCILE_PAGE_SIZE = 2000;

/** At most this many problems are listed in a 400 answer (its count says how many there were). */
export const MAX_PROBLEMS_LISTED = 20;

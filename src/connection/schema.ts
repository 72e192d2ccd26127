import * as v from 'valibot';
import { isDateTime, toSortableUtc } from './date-time';
import { isUtf8Text, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from './dynamodb-limits';

/**
 * Schemas of what Codat delivers, per the provider's contract (shared/PROVIDER.md).
 * Where the provider may send `null` or leave a field out, both are accepted: a delivery
 * rejected for a harmless null is retried for days and then disables the endpoint.
 */

const nonEmptyString = (maxBytes: number) =>
  v.pipe(
    v.string(),
    v.nonEmpty('must not be empty'),
    v.maxBytes(maxBytes, `must be at most ${maxBytes} bytes`),
    v.check(isUtf8Text, 'must be well-formed Unicode (no lone surrogates)'),
  );

export const DateTime = v.pipe(
  v.string(),
  v.check(
    isDateTime,
    'must be an ISO 8601 date-time such as 2021-11-15T06:00:00Z, 2021-11-15T01:00:00 or 2021-11-15T01:00:00-05:00',
  ),
);

export const SOURCE_TYPES = [
  'Accounting',
  'Banking',
  'BankFeed',
  'Commerce',
  'Expense',
  'Other',
  'Unknown',
] as const;
export const CONNECTION_STATUSES = ['PendingAuth', 'Linked', 'Unlinked', 'Deauthorized'] as const;
export const ERROR_STATUSES = ['Active', 'Resolved'] as const;

export const DataConnectionError = v.object({
  statusCode: v.nullish(v.string()),
  statusText: v.nullish(v.string()),
  errorMessage: v.nullish(v.string()),
  erroredOnUtc: v.nullish(DateTime),
  status: v.nullish(v.picklist(ERROR_STATUSES)),
  resolvedOnUtc: v.nullish(DateTime),
});

export const Connection = v.object({
  id: nonEmptyString(MAX_SORT_KEY_BYTES),
  integrationId: v.string(),
  /** Required in the seed model; optional in the provider's schema since 2026-04. */
  integrationKey: v.nullish(v.string()),
  sourceId: v.string(),
  sourceType: v.picklist(SOURCE_TYPES),
  platformName: v.string(),
  linkUrl: v.string(),
  status: v.picklist(CONNECTION_STATUSES),
  lastSync: v.nullish(DateTime),
  created: DateTime,
  dataConnectionErrors: v.nullish(v.array(DataConnectionError)),
  /**
   * Any values since 2026-01 (strings only before). Whether DynamoDB can hold them (nesting,
   * numbers, keys) is the store's to decide, on the whole item (item-limits.ts).
   */
  connectionInfo: v.nullish(v.record(v.string(), v.unknown())),
});

export const ReferenceCompany = v.object({
  id: nonEmptyString(MAX_PARTITION_KEY_BYTES),
  name: v.string(),
  description: v.nullish(v.string()),
  links: v.nullish(v.object({ portal: v.nullish(v.string()) })),
  tags: v.nullish(v.record(v.string(), v.string())),
});

export const CONNECTION_EVENT_TYPES = [
  'connection.created',
  'connection.connected',
  'connection.disconnected',
  'connection.reconnected',
  'connection.failed',
  'connection.deleted',
] as const;

export type ConnectionEventType = (typeof CONNECTION_EVENT_TYPES)[number];

/** Only the event type is read before deciding whether a delivery concerns us at all. */
export const EventTypeOnly = v.object({ eventType: v.pipe(v.string(), v.nonEmpty('must not be empty')) });

const EventId = nonEmptyString(1024);

const GeneratedDate = v.pipe(
  v.string(),
  v.check(
    (value) => toSortableUtc(value) !== undefined,
    'must be an ISO 8601 date-time such as 2024-08-08T17:10:34.015Z',
  ),
);

export const ConnectionEvent = v.object({
  id: EventId,
  eventType: v.picklist(CONNECTION_EVENT_TYPES),
  generatedDate: GeneratedDate,
  payload: v.object({
    referenceCompany: ReferenceCompany,
    connection: Connection,
  }),
});

/**
 * `company.deleted`: the payload is the company itself (`payload.id`), with no
 * `referenceCompany`; only its id is read, the rest of the company is not needed to delete it.
 */
export const CompanyDeletedEvent = v.object({
  id: EventId,
  eventType: v.literal('company.deleted'),
  generatedDate: GeneratedDate,
  payload: v.object({ id: ReferenceCompany.entries.id }),
});

export type CompanyDeletedEvent = v.InferOutput<typeof CompanyDeletedEvent>;
export type Connection = v.InferOutput<typeof Connection>;
export type ReferenceCompany = v.InferOutput<typeof ReferenceCompany>;
export type ConnectionEvent = v.InferOutput<typeof ConnectionEvent>;

const CONNECTION_EVENT_TYPE_SET: ReadonlySet<string> = new Set(CONNECTION_EVENT_TYPES);

export function isConnectionEventType(eventType: string): eventType is ConnectionEventType {
  return CONNECTION_EVENT_TYPE_SET.has(eventType);
}

/** One thing wrong with a delivery: where (`payload.connection.status`) and what. */
export interface Problem {
  path: string;
  message: string;
}

/** Turns valibot's issues into problems a person can act on. */
export function toProblems(issues: readonly v.BaseIssue<unknown>[]): Problem[] {
  return issues.map((issue) => ({
    path: v.getDotPath(issue) ?? '(body)',
    message: issue.message,
  }));
}

import { createHash } from 'node:crypto';
import type { ChangeType, StoredConnection } from '../connection/store';
import { CONNECTION_FIELDS } from '../connection/stored-item';

export type ChangeKind = 'created' | 'updated' | 'deleted';
type Status = StoredConnection['connection']['status'];
type DataConnectionErrors = NonNullable<StoredConnection['connection']['dataConnectionErrors']>;

/** What a change event's `detail` holds: enough that most consumers need no read. */
export interface ConnectionChangeDetail {
  /** The same for every delivery of this change: drop repeats by it. */
  changeId: string;
  change: ChangeKind;
  companyId: string;
  companyName: string;
  companyTags?: Record<string, string>;
  connectionId: string;
  /** Absent when `change` is `created`. */
  previousStatus?: Status;
  status: Status;
  /** True when `status` differs from `previousStatus`, and for every `created`. */
  statusChanged: boolean;
  deleted: boolean;
  /** The attributes of substance that differ from the previous state; every one present for `created`. */
  changedFields: string[];
  platformName: string;
  sourceType: string;
  integrationId: string;
  integrationKey?: string;
  dataConnectionErrors: DataConnectionErrors;
  /** Set when the errors were too large for one event and left out; read the connection for them. */
  dataConnectionErrorsOmitted?: number;
  /** Set when the tags were too many for one event and left out: how many there were. */
  companyTagsOmitted?: number;
  /**
   * Set when the change was too large for one EventBridge entry (256 KB): the fields left out
   * or cut short, in the order they were (see `toEntry` in event-entry.ts). A cut string ends
   * in `…`; read the connection for the whole of it.
   */
  truncated?: TruncatedField[];
  /** One readable line: company, platform, status, errors. For e-mails and chat. */
  summary: string;
  /** What caused this state: the stored item's `lastEvent*` and its order key. */
  cause: { eventId: string; eventType: ChangeType; generatedDate: string; order: string };
  /** When the change was applied to the table (ISO 8601 UTC). */
  storedAt: string;
}

/** A top-level field of the detail that `toEntry` can leave out or cut short. */
export type TruncatedField = Exclude<
  keyof ConnectionChangeDetail,
  'changeId' | 'change' | 'companyId' | 'connectionId' | 'truncated'
>;

/** Why a stream record publishes nothing. */
export type SkipReason = 'ttl-expiry' | 'removed' | 'still-deleted' | 'unchanged';

export type ChangeDecision =
  | { publish: true; detail: ConnectionChangeDetail }
  | { publish: false; reason: SkipReason };

/** Attributes whose change is news; the rest (`lastEvent*`, `eventOrder`, `storedAt`, `expiresAt`) is bookkeeping. */
function substance(stored: StoredConnection): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const field of CONNECTION_FIELDS) fields[field] = stored.connection[field] ?? null;
  return {
    ...fields,
    deleted: stored.deleted,
    companyName: stored.company.name,
    companyTags: stored.company.tags ?? null,
  };
}

/** JSON with sorted keys: DynamoDB gives a map's keys back in any order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** A deterministic id: one change of one connection, however often the stream delivers it. */
export function changeIdOf(companyId: string, connectionId: string, order: string): string {
  return createHash('sha256')
    .update(`${companyId}\u0000${connectionId}\u0000${order}`)
    .digest('hex')
    .slice(0, 32);
}

const MAX_ERRORS_IN_SUMMARY = 3;
const MAX_ERROR_TEXT = 200;

function errorLine(error: DataConnectionErrors[number]): string {
  const text = [error.statusCode, error.statusText].filter(Boolean).join(' ');
  const message = (error.errorMessage ?? '').slice(0, MAX_ERROR_TEXT);
  return `${text}${text && message ? ': ' : ''}${message}${error.status ? ` (${error.status})` : ''}`;
}

function summaryOf(detail: Omit<ConnectionChangeDetail, 'summary' | 'changeId'>): string {
  const where = `${detail.companyName}: ${detail.platformName} (${detail.sourceType}) connection ${detail.connectionId}`;
  const what =
    detail.change === 'deleted'
      ? `was deleted (last status ${detail.status})`
      : detail.change === 'created'
        ? `was added, status ${detail.status}`
        : detail.statusChanged
          ? `is now ${detail.status} (was ${detail.previousStatus})`
          : `changed (${detail.changedFields.join(', ') || 'no field'}), status ${detail.status}`;
  const errors = detail.dataConnectionErrors.slice(0, MAX_ERRORS_IN_SUMMARY).map(errorLine);
  const more = detail.dataConnectionErrors.length - errors.length;
  const errorText = errors.length
    ? ` Errors: ${errors.join('; ')}${more > 0 ? `; and ${more} more` : ''}.`
    : '';
  return `${where} ${what}, after ${detail.cause.eventType} of ${detail.cause.generatedDate}.${errorText}`;
}

/**
 * What one applied write means to consumers, from the item before it (`undefined` for a new
 * one) and after it. A tombstone rewritten as a tombstone, or a write that changed only
 * bookkeeping, publishes nothing, except a `connection.failed`: a failed attempt is news even
 * when it leaves the state as it was.
 */
export function changeOf(previous: StoredConnection | undefined, current: StoredConnection): ChangeDecision {
  const live = previous && !previous.deleted ? previous : undefined;
  if (previous?.deleted && current.deleted) return { publish: false, reason: 'still-deleted' };
  const change: ChangeKind = current.deleted ? 'deleted' : live ? 'updated' : 'created';
  const before = live ? substance(live) : {};
  const after = substance(current);
  const changedFields = Object.keys(after).filter(
    (field) =>
      (live ? canonical(before[field]) !== canonical(after[field]) : after[field] !== null) &&
      !(change === 'created' && field === 'deleted'),
  );
  const cause = current.lastEvent;
  if (change === 'updated' && changedFields.length === 0 && cause.type !== 'connection.failed') {
    return { publish: false, reason: 'unchanged' };
  }
  const { connection } = current;
  const detail = {
    change,
    companyId: current.companyId,
    companyName: current.company.name,
    ...(current.company.tags ? { companyTags: current.company.tags } : {}),
    connectionId: connection.id,
    ...(live ? { previousStatus: live.connection.status } : {}),
    status: connection.status,
    statusChanged: !live || live.connection.status !== connection.status,
    deleted: current.deleted,
    changedFields,
    platformName: connection.platformName,
    sourceType: connection.sourceType,
    integrationId: connection.integrationId,
    ...(connection.integrationKey ? { integrationKey: connection.integrationKey } : {}),
    dataConnectionErrors: connection.dataConnectionErrors ?? [],
    cause: {
      eventId: cause.id,
      eventType: cause.type,
      generatedDate: cause.generatedDate,
      order: cause.order,
    },
    storedAt: current.storedAt,
  };
  return {
    publish: true,
    detail: {
      changeId: changeIdOf(current.companyId, connection.id, cause.order),
      ...detail,
      summary: summaryOf(detail),
    },
  };
}

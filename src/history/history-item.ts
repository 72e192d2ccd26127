import type { ChangeType, StoredConnection } from '../connection/store';
import { UnreadableStreamRecordError } from '../errors';
import {
  type ChangeKind,
  type ConnectionChangeDetail,
  changeOf,
  type SkipReason,
} from '../events/change-event';
import { cut } from '../events/cut-strings';
import { type ChangeRecord, imagesOfRecord } from '../events/stream-record';
import { timeOfKey } from './history-table';

type Status = StoredConnection['connection']['status'];
type DataConnectionError = NonNullable<StoredConnection['connection']['dataConnectionErrors']>[number];

/** What caused a change, as the Connection item records it (`lastEvent*`, `eventOrder`). */
export interface HistoryCause {
  /** The webhook's event id; `reconcile:<walkId>` for a reconciliation walk. */
  eventId: string;
  /** The event type, or `reconcile.observed`, `reconcile.absent`, `company.deleted`. */
  eventType: ChangeType;
  /** As the provider sent it; for a walk, the read's time less the lag allowance. */
  generatedDate: string;
  /** Set when a reconciliation walk wrote the change: the walk's id. */
  walkId?: string;
}

/** One applied change of one connection, as the history keeps it. */
export interface HistoryItem {
  companyId: string;
  connectionId: string;
  /** The change event's `changeId` for the same change: a history item and its event can be joined. */
  changeId: string;
  change: ChangeKind;
  /** Absent when `change` is `created` (there was no live connection before). */
  previousStatus?: Status;
  /** The new status; for a deletion, the last status the connection had. */
  status: Status;
  /** True for the change that deleted the connection (its tombstone). */
  deleted: boolean;
  /** When the change happened, by the order key's clock (fixed-width UTC): what durations use. */
  at: string;
  /** The Connection table's order key of the change: `<at>#<eventId>`. */
  order: string;
  cause: HistoryCause;
  platformName: string;
  sourceType: string;
  integrationId: string;
  integrationKey?: string;
  /** The connection's errors at that moment: at most `MAX_HISTORY_ERRORS`, long texts cut. */
  dataConnectionErrors: DataConnectionError[];
  /** Set when the connection had more errors than are kept: how many were left out. */
  dataConnectionErrorsOmitted?: number;
  /** When the change was applied to the Connection table (ISO 8601 UTC). */
  storedAt: string;
  /** Unix seconds after which DynamoDB TTL removes the item: `historyDays` after `storedAt`. */
  expiresAt: number;
}

/**
 * Why a stream record makes no history item: the change events' reasons (a TTL removal, a
 * removal by hand, a tombstone rewritten as a tombstone, a write of bookkeeping only), and
 * `untracked-fields`: a change only of what the history does not keep (`lastSync`, `linkUrl`,
 * `connectionInfo`, the company's name or tags), which a walk writes whenever they drift.
 */
export type HistorySkipReason = SkipReason | 'untracked-fields';

export type HistoryDecision =
  | { record: true; item: HistoryItem }
  | { record: false; reason: HistorySkipReason };

/** At most this many errors are kept per item: the history answers "was it broken", not a log. */
export const MAX_HISTORY_ERRORS = 10;
/** Every text the item copies from the provider is cut to this many characters (ending in `…`). */
export const MAX_HISTORY_TEXT = 1000;

/** What the history follows: a change of none of these (and no failed attempt) is not history. */
const HISTORY_FIELDS: ReadonlySet<string> = new Set(['status', 'deleted', 'dataConnectionErrors']);

const SECONDS_PER_DAY = 86_400;

export interface HistoryItemOptions {
  /** Days the item is kept before DynamoDB TTL removes it. */
  historyDays: number;
}

const text = <T extends string | null | undefined>(value: T): T =>
  (typeof value === 'string' ? cut(value, MAX_HISTORY_TEXT) : value) as T;

function boundedErrors(errors: readonly DataConnectionError[]) {
  const kept = errors.slice(0, MAX_HISTORY_ERRORS).map((error) => ({
    ...error,
    statusCode: text(error.statusCode),
    statusText: text(error.statusText),
    errorMessage: text(error.errorMessage),
  }));
  const omitted = errors.length - kept.length;
  return { dataConnectionErrors: kept, ...(omitted > 0 ? { dataConnectionErrorsOmitted: omitted } : {}) };
}

const REQUIRED = ['companyId', 'connectionId', 'status', 'cause.order', 'cause.eventId', 'storedAt'] as const;

/** A record of another table, or an item written by hand, would make an item without a key. */
function assertConnectionItem(detail: ConnectionChangeDetail): void {
  const values: Record<(typeof REQUIRED)[number], unknown> = {
    companyId: detail.companyId,
    connectionId: detail.connectionId,
    status: detail.status,
    'cause.order': detail.cause.order,
    'cause.eventId': detail.cause.eventId,
    storedAt: detail.storedAt,
  };
  const missing = REQUIRED.filter((name) => typeof values[name] !== 'string' || values[name] === '');
  if (missing.length > 0) {
    throw new UnreadableStreamRecordError(`not a Connection item: no ${missing.join(', ')} in NewImage`);
  }
}

/** The item a published change makes, a pure function of the record: every retry writes the same. */
function itemOf(detail: ConnectionChangeDetail, options: HistoryItemOptions): HistoryItem {
  const { cause } = detail;
  const at = timeOfKey(cause.order);
  // From the stored time, never the writer's clock: a retried record must write identical content.
  const storedSeconds = Math.floor(Date.parse(detail.storedAt) / 1000);
  const fromSeconds = Number.isFinite(storedSeconds) ? storedSeconds : Math.floor(Date.parse(at) / 1000);
  const walkId =
    cause.eventType.startsWith('reconcile.') && cause.eventId.startsWith('reconcile:')
      ? cause.eventId.slice('reconcile:'.length)
      : undefined;
  return {
    companyId: detail.companyId,
    connectionId: detail.connectionId,
    changeId: detail.changeId,
    change: detail.change,
    ...(detail.previousStatus ? { previousStatus: detail.previousStatus } : {}),
    status: detail.status,
    deleted: detail.deleted,
    at,
    order: cause.order,
    cause: {
      eventId: cause.eventId,
      eventType: cause.eventType,
      generatedDate: cause.generatedDate,
      ...(walkId ? { walkId } : {}),
    },
    platformName: text(detail.platformName),
    sourceType: text(detail.sourceType),
    integrationId: text(detail.integrationId),
    ...(detail.integrationKey ? { integrationKey: text(detail.integrationKey) } : {}),
    ...boundedErrors(detail.dataConnectionErrors),
    storedAt: detail.storedAt,
    expiresAt: fromSeconds + options.historyDays * SECONDS_PER_DAY,
  };
}

/**
 * The one place that decides what a change means to the history, from the item before and
 * after a write. It starts from the change events' decision (`changeOf`), so that the two agree
 * on kind, cause and `changeId`, and then also skips a change of fields the history does not
 * follow. A `connection.failed` is kept even when nothing changed, as the events keep it: a
 * failed attempt is part of how a connection broke.
 */
export function historyDecision(
  previous: StoredConnection | undefined,
  current: StoredConnection,
  options: HistoryItemOptions,
): HistoryDecision {
  const decision = changeOf(previous, current);
  if (!decision.publish) return { record: false, reason: decision.reason };
  const { detail } = decision;
  assertConnectionItem(detail);
  const followed =
    detail.change !== 'updated' ||
    detail.cause.eventType === 'connection.failed' ||
    detail.changedFields.some((field) => HISTORY_FIELDS.has(field));
  if (!followed) return { record: false, reason: 'untracked-fields' };
  return { record: true, item: itemOf(detail, options) };
}

/**
 * The history item of one stream record of the Connection table (NEW_AND_OLD_IMAGES), or why
 * there is none. Throws `UnreadableStreamRecordError` for a record that is not one of a
 * Connection item's writes: that is a fault to retry and then dead-letter, never to skip.
 */
export function historyDecisionOfRecord(record: ChangeRecord, options: HistoryItemOptions): HistoryDecision {
  const images = imagesOfRecord(record);
  if (images.removed) return { record: false, reason: images.reason };
  return historyDecision(images.previous, images.current, options);
}

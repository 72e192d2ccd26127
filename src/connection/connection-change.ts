import { toSortableUtc } from './date-time';
import type { CompanyDeletedEvent, ConnectionEvent } from './schema';
import type { ConnectionChange, StoredConnection } from './store';

const SECONDS_PER_DAY = 86_400;

export interface ChangeOptions {
  receivedAt: Date;
  /** How long a deleted connection's tombstone is kept before DynamoDB TTL removes it. */
  tombstoneTtlDays: number;
}

/**
 * The order of an event: its `generatedDate` as fixed-width UTC, ties broken by event id.
 * Events of one connection are applied in this order, whatever order they arrive in.
 */
export function eventOrder(generatedDate: string, eventId: string): string {
  const utc = toSortableUtc(generatedDate);
  if (utc === undefined) throw new TypeError(`generatedDate is not a date-time: ${generatedDate}`);
  return `${utc}#${eventId}`;
}

/** Decides what a validated connection event should make of the stored record. */
export function toConnectionChange(event: ConnectionEvent, options: ChangeOptions): ConnectionChange {
  const { referenceCompany, connection } = event.payload;
  const deleted = event.eventType === 'connection.deleted';
  return {
    companyId: referenceCompany.id,
    company: { name: referenceCompany.name, tags: referenceCompany.tags },
    connection,
    event: {
      id: event.id,
      type: event.eventType,
      generatedDate: event.generatedDate,
      order: eventOrder(event.generatedDate, event.id),
    },
    deleted,
    expiresAt: deleted ? tombstoneExpiry(options.receivedAt, options.tombstoneTtlDays) : undefined,
    receivedAt: options.receivedAt.toISOString(),
  };
}

/** Unix seconds when a tombstone written at `at` may be removed by DynamoDB TTL. */
export function tombstoneExpiry(at: Date, tombstoneTtlDays: number): number {
  return Math.floor(at.getTime() / 1000) + tombstoneTtlDays * SECONDS_PER_DAY;
}

/**
 * A stored connection made a tombstone by `event`, as `connection.deleted` makes one: its last
 * known state kept, `deleted` set, removed by TTL at `expiresAt`. For `company.deleted` and for
 * connections a complete reconciliation no longer finds.
 */
export function tombstoneOf(
  stored: StoredConnection,
  tombstone: { event: ConnectionChange['event']; expiresAt: number; receivedAt: string },
): ConnectionChange {
  return {
    companyId: stored.companyId,
    company: stored.company,
    connection: stored.connection,
    event: tombstone.event,
    deleted: true,
    expiresAt: tombstone.expiresAt,
    receivedAt: tombstone.receivedAt,
  };
}

/** The event part of a change for `company.deleted`, ordered like any provider event. */
export function companyDeletedEvent(event: CompanyDeletedEvent): ConnectionChange['event'] {
  return {
    id: event.id,
    type: 'company.deleted',
    generatedDate: event.generatedDate,
    order: eventOrder(event.generatedDate, event.id),
  };
}

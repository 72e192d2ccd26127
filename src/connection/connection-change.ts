import { toSortableUtc } from './date-time';
import type { ConnectionEvent } from './schema';
import type { ConnectionChange } from './store';

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
  const receivedSeconds = Math.floor(options.receivedAt.getTime() / 1000);
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
    expiresAt: deleted ? receivedSeconds + options.tombstoneTtlDays * SECONDS_PER_DAY : undefined,
    receivedAt: options.receivedAt.toISOString(),
  };
}

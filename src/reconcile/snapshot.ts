import { isDeepStrictEqual } from 'node:util';
import { eventOrder } from '../connection/connection-change';
import type { Connection } from '../connection/schema';
import type { ConnectionChange, StoredConnection } from '../connection/store';
import type { Company } from './api-schema';

/**
 * How a reconciliation's reads are ordered against the provider's events. A read at time T is
 * given the order of an event generated at T minus the lag allowance, with the walk's id as its
 * event id: `2026-11-28T09:55:00.0000000Z#reconcile:<walkId>`. So an event generated after
 * T − allowance still wins over the read, even if the API had not caught up with it when it
 * was read, and an event generated earlier loses, since the read shows its effect already.
 */
export interface SnapshotClock {
  walkId: string;
  /** How far the API may lag behind the events it sends (DEFAULT_LAG_ALLOWANCE_MS). */
  lagAllowanceMs: number;
}

/** The event a read at `readAt` stands for, of `type`. */
export function snapshotEvent(
  clock: SnapshotClock,
  readAt: Date,
  type: 'reconcile.observed' | 'reconcile.absent',
): ConnectionChange['event'] {
  const generatedDate = new Date(readAt.getTime() - clock.lagAllowanceMs).toISOString();
  const id = `reconcile:${clock.walkId}`;
  return { id, type, generatedDate, order: eventOrder(generatedDate, id) };
}

/** The change that makes the stored item what the API showed at `readAt`. */
export function observedChange(
  company: Company,
  connection: Connection,
  event: ConnectionChange['event'],
  receivedAt: Date,
): ConnectionChange {
  return {
    companyId: company.id,
    company: { name: company.name, tags: company.tags },
    connection,
    event,
    deleted: false,
    receivedAt: receivedAt.toISOString(),
  };
}

/**
 * True when the stored item is live and holds what the API shows: the connection's fields and
 * the company's name and tags. Bookkeeping (event, storedAt) is not compared. A field left out
 * and a field set to null mean the same (the store keeps whichever was sent), and key order
 * inside `connectionInfo` is not significant.
 */
export function sameState(stored: StoredConnection, company: Company, connection: Connection): boolean {
  return (
    !stored.deleted &&
    stored.company.name === company.name &&
    isDeepStrictEqual(withoutNulls(stored.company.tags), withoutNulls(company.tags)) &&
    isDeepStrictEqual(withoutNulls(stored.connection), withoutNulls(connection))
  );
}

/** The value with every null or undefined object property left out, at any depth. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && item !== undefined) kept[key] = withoutNulls(item);
  }
  return kept;
}

import type { Connection, ConnectionEventType } from './schema';

/** What one delivery asks the store to record: the whole latest state of one connection. */
export interface ConnectionChange {
  companyId: string;
  company: { name: string; tags?: Record<string, string> | null | undefined };
  connection: Connection;
  event: {
    id: string;
    type: ConnectionEventType;
    /** As the provider sent it. */
    generatedDate: string;
    /** Fixed-width UTC time, then `#`, then the event id: string order is event order. */
    order: string;
  };
  /** True for `connection.deleted`: the item stays as a tombstone until `expiresAt`. */
  deleted: boolean;
  /** Unix seconds after which DynamoDB TTL may remove a tombstone. */
  expiresAt?: number;
  /** When this delivery was received, ISO 8601 UTC. */
  receivedAt: string;
}

/**
 * - `applied`: the change was newer than what was stored, and is now stored.
 * - `duplicate`: this very event is what is stored already.
 * - `stale`: a newer event is stored already; nothing changed.
 */
export type WriteOutcome = 'applied' | 'duplicate' | 'stale';

/** A stored connection, as the store gives it back. */
export interface StoredConnection {
  companyId: string;
  company: { name: string; tags?: Record<string, string> };
  connection: Connection;
  lastEvent: { id: string; type: ConnectionEventType; generatedDate: string; order: string };
  deleted: boolean;
  expiresAt?: number;
  storedAt: string;
  firstStoredAt: string;
}

/** What the receiver (and anything else that records changes) needs: one conditional write. */
export interface ConnectionWriter {
  /** Stores `change` only if it is newer than what is stored, in one conditional write. */
  write(change: ConnectionChange): Promise<WriteOutcome>;
}

/** What the read routes need. */
export interface ConnectionReader {
  get(companyId: string, connectionId: string): Promise<StoredConnection | undefined>;
  listByCompany(companyId: string): Promise<StoredConnection[]>;
}

/**
 * Storage as the domain sees it, implemented once, for DynamoDB. Each part depends only on the
 * half it uses, so that a writer can never read and a test fake stubs only what is called.
 */
export type ConnectionStore = ConnectionWriter & ConnectionReader;

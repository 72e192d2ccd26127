import type { Connection, ConnectionEventType } from './schema';

/**
 * What caused a stored state, besides the provider's connection events: a reconciliation walk
 * that saw the connection in the API (`reconcile.observed`) or saw it missing from a complete
 * read (`reconcile.absent`), or a `company.deleted` event. Stored as `lastEventType`, so that an
 * item says where its state came from (and issue 11's change events can name their cause).
 */
export const DERIVED_CHANGE_TYPES = ['reconcile.observed', 'reconcile.absent', 'company.deleted'] as const;
export type ChangeType = ConnectionEventType | (typeof DERIVED_CHANGE_TYPES)[number];

/** What one delivery (or one reconciliation finding) asks the store to record: the whole latest state of one connection. */
export interface ConnectionChange {
  companyId: string;
  company: { name: string; tags?: Record<string, string> | null | undefined };
  connection: Connection;
  event: {
    id: string;
    type: ChangeType;
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
  lastEvent: { id: string; type: ChangeType; generatedDate: string; order: string };
  deleted: boolean;
  expiresAt?: number;
  storedAt: string;
  firstStoredAt: string;
}

/** A whole company's connections to be made tombstones, as `company.deleted` asks. */
export interface CompanyTombstone {
  companyId: string;
  event: ConnectionChange['event'];
  /** Unix seconds after which DynamoDB TTL may remove the tombstones. */
  expiresAt: number;
  receivedAt: string;
}

/** How a company's tombstoning went, connection by connection. */
export interface CompanyTombstoneOutcome {
  /** Connections made tombstones by this call. */
  tombstoned: number;
  /** Connections whose stored event is this one already, or newer: left as they are. */
  unchanged: number;
}

/** What the receiver (and anything else that records changes) needs: conditional writes only. */
export interface ConnectionWriter {
  /** Stores `change` only if it is newer than what is stored, in one conditional write. */
  write(change: ConnectionChange): Promise<WriteOutcome>;
  /**
   * Makes every stored connection of a company a tombstone with `event`'s order, each by the
   * same conditional write as `write`: a newer stored event wins, and a repeat changes nothing.
   * Part of the writer (it reads only to know which keys to write) so that the receiver never
   * depends on a reader. Once `signal` aborts, it starts no further write and throws.
   */
  tombstoneCompany(
    tombstone: CompanyTombstone,
    options?: { signal?: AbortSignal },
  ): Promise<CompanyTombstoneOutcome>;
}

/** What the read routes need. */
export interface ConnectionReader {
  get(companyId: string, connectionId: string): Promise<StoredConnection | undefined>;
  listByCompany(companyId: string, options?: ListOptions): Promise<StoredConnection[]>;
}

export interface ListOptions {
  /**
   * Whether the read reflects every write that succeeded before it. An eventually consistent
   * read costs half the read units and may miss the last second's writes; only a caller whose
   * writes are conditional on what is stored, never on what it read, may ask for one.
   * @default true
   */
  consistentRead?: boolean;
}

/** What a reconciliation's sweep needs to find companies the API no longer lists. */
export interface CompanyLister {
  /**
   * The id of every company with at least one live (not deleted) connection, each once;
   * `onLive`, if given, is told the status, platform and source type of each live connection
   * read on the way (the sweep's census, src/health/connection-census.ts).
   */
  companiesWithLiveConnections(onLive?: (connection: LiveConnection) => void): AsyncIterable<string>;
}

/** What the sweep's Scan reads of each live connection besides its key. */
export interface LiveConnection {
  status: string;
  platformName: string;
  sourceType: string;
}

/**
 * Storage as the domain sees it, implemented once, for DynamoDB. Each part depends only on the
 * half it uses, so that a writer can never read and a test fake stubs only what is called.
 */
export type ConnectionStore = ConnectionWriter & ConnectionReader;

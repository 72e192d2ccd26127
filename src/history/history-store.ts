import type { StorageRejectedError, StorageUnavailableError } from '../errors';
import type { HistoryItem } from './history-item';
import type { HistoryQuery } from './history-query';

/** One item `append` could not write: its place in the batch, and why. */
export interface AppendFailure {
  index: number;
  error: StorageUnavailableError | StorageRejectedError;
}

/** What the stream consumer needs: writes only, so that its grant can be PutItem alone. */
export interface HistoryWriter {
  /**
   * Writes every item, each on its own, so that one failure never fails another; resolves
   * with the items that failed (none: `[]`). Writing an item again writes the same content.
   */
  append(items: readonly HistoryItem[]): Promise<AppendFailure[]>;
}

/** One page of a connection's history, newest first by order key. */
export interface HistoryPage {
  items: HistoryItem[];
  /** Set when older items may follow: pass it as `cursor` for the next page. */
  nextCursor?: string;
  /**
   * The time (fixed-width UTC) of the change just newer than this page, which ended the page's
   * newest status; read from the cursor. Absent for the first page, whose newest status lasts
   * until now.
   */
  newerChangeAt?: string;
}

/** What the read route needs. */
export interface HistoryReader {
  /**
   * One connection's history newest first. Throws `InvalidQueryParameterError` for a bad
   * `since` or `cursor` (one of another connection included).
   */
  connectionHistory(companyId: string, connectionId: string, query?: HistoryQuery): Promise<HistoryPage>;
}

/** The history table as the domain sees it, implemented once for DynamoDB. */
export type HistoryStore = HistoryWriter & HistoryReader;

import type { InvalidItem } from './api-schema';

/**
 * A walk's state between steps, small and plain (JSON), so that it can be handed from one
 * Lambda invocation to the next through a Step Functions state machine.
 */

export interface WalkTotals {
  pages: number;
  companies: number;
  connections: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Differences left alone because a newer event is stored: the webhook was first. */
  newerKept: number;
  tombstoned: number;
  /** Items the API answered that failed validation. */
  invalid: number;
}

export interface RequestTotals {
  requests: number;
  retries: number;
  throttles: number;
}

export interface FailedPage {
  page: number;
  reason: string;
  /** The API refused the key: no later run helps until it is set. */
  apiKeyRefused?: boolean;
}

/**
 * One item the walk could not read or store, named where it was: the page of the listing (none
 * for the sweep's `GET /companies/{id}`), its path in that answer, its company and connection
 * when their ids could be read, and why.
 */
export interface InvalidNote {
  page?: number;
  path: string;
  companyId?: string;
  connectionId?: string;
  reason: string;
}

/** An invalid item as one line: `page 2: results[1].dataConnections[0] (company …, connection …): why`. */
export function describeInvalid(note: InvalidNote): string {
  const where = note.page === undefined ? `GET /companies/${note.companyId ?? '?'}` : `page ${note.page}`;
  const ids = [
    note.companyId === undefined ? undefined : `company ${note.companyId}`,
    note.connectionId === undefined ? undefined : `connection ${note.connectionId}`,
  ].filter((id) => id !== undefined);
  return `${where}: ${note.path}${ids.length > 0 ? ` (${ids.join(', ')})` : ''}: ${note.reason}`;
}

/** An item the API answered that failed validation, as the walk names it. */
export function invalidNote(item: InvalidItem, page?: number): InvalidNote {
  // A connection's item carries its company's id; a company's item carries only its own.
  const isConnection = item.companyId !== undefined;
  return {
    ...(page === undefined ? {} : { page }),
    path: item.path,
    ...(isConnection || item.id !== undefined ? { companyId: isConnection ? item.companyId : item.id } : {}),
    ...(isConnection && item.id !== undefined ? { connectionId: item.id } : {}),
    reason: reasonOf(item.problems),
  };
}

export interface WalkProgress {
  walkId: string;
  /** ISO 8601; the walk's time budget counts from here. */
  startedAt: string;
  pageSize: number;
  /** The next page to read; null once the listing has ended (or the walk gave up). */
  nextPage: number | null;
  /** Companies in the account, as the last page read counted them. */
  totalResults?: number;
  totals: WalkTotals;
  requests: RequestTotals;
  /** The first few pages that could not be read, and why; `failedPageCount` counts them all. */
  failedPages: FailedPage[];
  failedPageCount: number;
  /** The first few invalid items, named; `totals.invalid` counts them all. Absent in a walk begun before it was added. */
  invalidItems?: InvalidNote[];
}

/** At most this many failed pages are named; the count says how many there were. */
const MAX_FAILED_PAGES_NAMED = 20;

/** At most this many invalid items are named, in the progress and in each page's journal record. */
export const MAX_INVALID_NAMED = 20;

/** A reason longer than this is cut: a problem can quote a value, and a value can be 400 KB. */
const MAX_REASON_CHARS = 500;

/** Totals with every count at zero. */
export function emptyTotals(): WalkTotals {
  return {
    pages: 0,
    companies: 0,
    connections: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    newerKept: 0,
    tombstoned: 0,
    invalid: 0,
  };
}

export function newProgress(walkId: string, startedAt: Date, pageSize: number): WalkProgress {
  return {
    walkId,
    startedAt: startedAt.toISOString(),
    pageSize,
    nextPage: 1,
    totals: emptyTotals(),
    requests: { requests: 0, retries: 0, throttles: 0 },
    failedPages: [],
    failedPageCount: 0,
    invalidItems: [],
  };
}

/** Names the first few invalid items in the progress (their count goes to `totals.invalid`). */
export function noteInvalid(progress: WalkProgress, notes: readonly InvalidNote[]): void {
  progress.invalidItems ??= [];
  const named = progress.invalidItems;
  for (const note of notes) if (named.length < MAX_INVALID_NAMED) named.push(note);
}

/** A reason from problems, cut to a length fit for a log line and a journal record. */
export function reasonOf(problems: readonly { path: string; message: string }[]): string {
  const text = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

export function noteFailedPage(progress: WalkProgress, failed: FailedPage): void {
  progress.failedPageCount += 1;
  if (progress.failedPages.length < MAX_FAILED_PAGES_NAMED) progress.failedPages.push(failed);
}

/** Adds what one step counted to the walk's totals. */
export function addTotals(totals: WalkTotals, more: Partial<WalkTotals>): void {
  for (const [key, value] of Object.entries(more) as [keyof WalkTotals, number][]) totals[key] += value;
}

/** Adds the requests a client made since `before` to the walk's counts. */
export function addRequests(progress: WalkProgress, now: RequestTotals, before: RequestTotals): void {
  progress.requests.requests += now.requests - before.requests;
  progress.requests.retries += now.retries - before.retries;
  progress.requests.throttles += now.throttles - before.throttles;
}

/** Runs `task` over `items`, at most `limit` at a time. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

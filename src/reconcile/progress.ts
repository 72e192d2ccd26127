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
}

/** At most this many failed pages are named; the count says how many there were. */
const MAX_FAILED_PAGES_NAMED = 20;

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
  };
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

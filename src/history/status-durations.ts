import type { HistoryItem } from './history-item';

type Status = HistoryItem['status'];

/** How a span of history divides among the statuses. */
export interface StatusDurations {
  /** The oldest change of the span (fixed-width UTC, as items have it). */
  from: string;
  /** Where the span ends: `until` as given. */
  to: string;
  /** Milliseconds in each status the span shows; a status never held is left out. */
  inStatusMs: Partial<Record<Status, number>>;
  /** Milliseconds after a deletion (until a re-creation or the span's end): no status then. */
  deletedMs: number;
}

const millis = (time: string | Date) => (typeof time === 'string' ? Date.parse(time) : time.getTime());

/**
 * The time spent in each status over `newestFirst` (a page as the store gives it), each item's
 * status lasting until the next newer change, and the newest until `until`: now for the first
 * page, the page's `newerChangeAt` for a later one. A deleted item's time counts as deleted,
 * not as its last status. Before the oldest item nothing is known, so the span starts there,
 * not at the query's `since`. An interval is never negative: a change stamped after `until`
 * (clocks disagree) adds nothing. `undefined` for no items: an empty span has no durations.
 */
export function statusDurations(
  newestFirst: readonly Pick<HistoryItem, 'at' | 'status' | 'deleted'>[],
  until: string | Date,
): StatusDurations | undefined {
  const oldest = newestFirst.at(-1);
  if (!oldest) return undefined;
  const inStatusMs: Partial<Record<Status, number>> = {};
  let deletedMs = 0;
  let end = millis(until);
  for (const item of newestFirst) {
    const start = millis(item.at);
    const length = Math.max(0, end - start);
    if (item.deleted) deletedMs += length;
    else inStatusMs[item.status] = (inStatusMs[item.status] ?? 0) + length;
    // The order key orders the items, so a later one never starts before an earlier one ends.
    end = Math.min(end, start);
  }
  return {
    from: oldest.at,
    to: typeof until === 'string' ? until : until.toISOString(),
    inStatusMs,
    deletedMs,
  };
}

import { tombstoneExpiry, tombstoneOf } from '../connection/connection-change';
import type { StoredConnection } from '../connection/store';
import { RequestFailedError } from './codat-api';
import { type AbsentConnection, isComplete } from './journal';
import {
  addRequests,
  addTotals,
  describeInvalid,
  forEachLimit,
  MAX_INVALID_NAMED,
  type WalkProgress,
} from './progress';
import { snapshotEvent } from './snapshot';
import { type ChangeNote, reconcileCompany, type WalkContext } from './walk';

export interface SweepResult {
  /** True when every page was read and valid, and every deletion could be checked. */
  complete: boolean;
  /** Why the walk is incomplete, in a few lines: failed pages, invalid items, unchecked companies. */
  problems: string[];
}

/**
 * The end of a walk: deletions, only after a complete read. If every page was read and every
 * item on it was valid, then (1) the stored connections a company no longer listed become
 * tombstones, and (2) every live connection of a company the listing did not show becomes a
 * tombstone once `GET /companies/{id}` confirms the company is gone (404): page-number paging
 * can skip a company when an earlier one is deleted during the walk, so absence from the list
 * alone is not proof. A company that is there after all is reconciled instead. A walk with any
 * failed or invalid page deletes nothing.
 */
export async function sweep(progress: WalkProgress, ctx: WalkContext): Promise<SweepResult> {
  if (progress.nextPage !== null) throw new Error('sweep() must come after the last page was walked');
  const problems = await incompleteness(progress, ctx);
  if (problems.length > 0) return { complete: false, problems };

  const seen = new Set<string>();
  const absent: AbsentConnection[] = [];
  for await (const page of ctx.journal.pages(progress.walkId)) {
    for (const companyId of page.companyIds) seen.add(companyId);
    absent.push(...page.absent);
  }
  const receivedAt = ctx.now();
  const expiresAt = tombstoneExpiry(receivedAt, ctx.tombstoneTtlDays);
  const bury = async (stored: StoredConnection, event: AbsentConnection['event']) => {
    const outcome = await ctx.writer.write(
      tombstoneOf(stored, { event, expiresAt, receivedAt: receivedAt.toISOString() }),
    );
    if (outcome !== 'applied') return;
    progress.totals.tombstoned += 1;
    const note: ChangeNote = {
      kind: 'tombstoned',
      companyId: stored.companyId,
      connectionId: stored.connection.id,
    };
    ctx.onChange?.(note);
  };
  /** An absent connection as the journal names it, read again: it may have changed since. */
  const buryAbsent = async ({ companyId, connectionId, event }: AbsentConnection) => {
    const stored = await ctx.reader.get(companyId, connectionId);
    if (stored && !stored.deleted && stored.lastEvent.order < event.order) await bury(stored, event);
  };
  await forEachLimit(absent, ctx.concurrency, buryAbsent);

  const missing: string[] = [];
  for await (const companyId of ctx.companies.companiesWithLiveConnections()) {
    if (!seen.has(companyId)) missing.push(companyId);
  }
  const before = { ...ctx.api.stats };
  const unchecked: string[] = [];
  let firstReason = '';
  await forEachLimit(missing, ctx.concurrency, async (companyId) => {
    try {
      const lookup = await ctx.api.getCompany(companyId);
      const readAt = ctx.now();
      if (lookup.found) {
        // The listing skipped it, but it is there: reconciled now, its own absent connections
        // buried like any other (the walk is complete, or the sweep would not run).
        const { counts, absent } = await reconcileCompany(lookup.value, readAt, ctx);
        addTotals(progress.totals, counts);
        for (const connection of absent) await buryAbsent(connection);
        return;
      }
      const event = snapshotEvent(ctx.clock, readAt, 'reconcile.absent');
      const live = (await ctx.reader.listByCompany(companyId)).filter(
        (item) => !item.deleted && item.lastEvent.order < event.order,
      );
      for (const item of live) await bury(item, event);
    } catch (error) {
      if (!(error instanceof RequestFailedError)) throw error;
      unchecked.push(companyId);
      firstReason ||= error.message;
    }
  });
  addRequests(progress, ctx.api.stats, before);
  if (unchecked.length > 0) {
    const named = unchecked.slice(0, 5).join(', ');
    return {
      complete: false,
      problems: [
        `${unchecked.length} unlisted companies could not be checked (${named}); left as they are. ` +
          `The first: ${firstReason}`,
      ],
    };
  }
  return { complete: true, problems: [] };
}

/** What makes the walk incomplete, from its progress and its journal; none when complete. */
async function incompleteness(progress: WalkProgress, ctx: WalkContext): Promise<string[]> {
  const problems = progress.failedPages.map((failed) => `page ${failed.page}: ${failed.reason}`);
  if (progress.failedPageCount > progress.failedPages.length) {
    problems.push(`and ${progress.failedPageCount - progress.failedPages.length} more failed pages`);
  }
  let invalid = 0;
  const named: string[] = [];
  for await (const page of ctx.journal.pages(progress.walkId)) {
    if (isComplete(page) || page.failure !== undefined) continue;
    invalid += page.invalid;
    for (const note of page.invalidItems ?? []) {
      if (named.length < MAX_INVALID_NAMED) named.push(describeInvalid(note));
    }
    // A record written before items were named: the page at least.
    if (page.invalidItems === undefined) named.push(`page ${page.page}: ${page.invalid} invalid items`);
  }
  problems.push(...named);
  if (invalid > named.length) problems.push(`and ${invalid - named.length} more invalid items`);
  return problems;
}

import { tombstoneExpiry, tombstoneOf } from '../connection/connection-change';
import type { StoredConnection } from '../connection/store';
import { CodatApiError, RequestFailedError } from '../errors';
import { ConnectionCensus, type ConnectionCounts } from '../health/connection-census';
import { CompanyIdCounts } from './company-ids';
import { type AbsentConnection, isComplete } from './journal';
import {
  addRequests,
  addTotals,
  describeInvalid,
  forEachLimit,
  type InvalidNote,
  invalidNote,
  MAX_INVALID_NAMED,
  noteInvalid,
  type WalkProgress,
} from './progress';
import { reconcileCompany } from './reconcile-company';
import { snapshotEvent } from './snapshot';
import type { ChangeNote, WalkContext } from './walk-context';

export interface SweepResult {
  /** True when every page was read and valid, and every deletion could be checked. */
  complete: boolean;
  /** Why the walk is incomplete, in a few lines: failed pages, invalid items, unchecked companies. */
  problems: string[];
  /** The live connections the walk leaves, by status, platform and source type; complete walks only. */
  counts?: ConnectionCounts;
}

/**
 * The end of a walk: deletions, only after a complete read. If every page was read and every
 * item on it was valid, the companies the listing did not show are looked up first
 * (`GET /companies/{id}`): page-number paging can skip a company when an earlier one is deleted
 * during the walk, so absence from the list alone is not proof. A company that is there after
 * all is reconciled; one that answers 404 is gone. Only when every lookup answered, and every
 * company it found was valid, do (1) the stored connections a company no longer listed become
 * tombstones, and (2) every live connection of a company that answered 404. A walk with any
 * failed or invalid page, or any lookup unanswered or invalid, deletes nothing.
 */
export async function sweep(progress: WalkProgress, ctx: WalkContext): Promise<SweepResult> {
  if (progress.nextPage !== null) throw new Error('sweep() must come after the last page was walked');
  const problems = await incompleteness(progress, ctx);
  if (problems.length > 0) return { complete: false, problems };

  // Every company the listing showed, as many times as it showed it: 16 bytes a company.
  const reads = new CompanyIdCounts();
  const absences: AbsentConnection[] = [];
  for await (const page of ctx.journal.pages(progress.walkId)) {
    for (const companyId of page.companyIds) reads.add(companyId);
    absences.push(...page.absent);
  }
  const missing: string[] = [];
  // The Scan reads every live item: counted on the way, for the health metrics.
  const census = new ConnectionCensus();
  for await (const companyId of ctx.companies.companiesWithLiveConnections(census.count)) {
    if (reads.count(companyId) === 0) missing.push(companyId);
  }
  const lookups = await lookUp(missing, progress, ctx);
  const absent = absentFromEveryRead([...absences, ...lookups.absent], reads);
  const invalid = lookups.invalid.slice(0, MAX_INVALID_NAMED).map(describeInvalid);
  if (lookups.invalid.length > invalid.length)
    invalid.push(`and ${lookups.invalid.length - invalid.length} more invalid items`);
  if (lookups.unchecked.length > 0) {
    const named = lookups.unchecked.slice(0, 5).join(', ');
    invalid.push(
      `${lookups.unchecked.length} unlisted companies could not be checked (${named}); left as they are. ` +
        `The first: ${lookups.firstReason}`,
    );
  }
  if (invalid.length > 0) return { complete: false, problems: invalid };

  const receivedAt = ctx.now();
  const expiresAt = tombstoneExpiry(receivedAt, ctx.tombstoneTtlDays);
  const bury = async (stored: StoredConnection, event: AbsentConnection['event']) => {
    if (stored.deleted || stored.lastEvent.order >= event.order) return;
    const outcome = await ctx.writer.write(
      tombstoneOf(stored, { event, expiresAt, receivedAt: receivedAt.toISOString() }),
    );
    if (outcome !== 'applied') return;
    census.forget(stored.connection);
    progress.totals.tombstoned += 1;
    const note: ChangeNote = {
      kind: 'tombstoned',
      companyId: stored.companyId,
      connectionId: stored.connection.id,
    };
    ctx.onChange?.(note);
  };
  // Each absent connection as the journal names it, read again: it may have changed since.
  await forEachLimit(absent, ctx.concurrency, async ({ companyId, connectionId, event }) => {
    const stored = await ctx.reader.get(companyId, connectionId);
    if (stored) await bury(stored, event);
  });
  await forEachLimit(lookups.gone, ctx.concurrency, async ({ companyId, event }) => {
    for (const item of await ctx.reader.listByCompany(companyId)) await bury(item, event);
  });
  return { complete: true, problems: [], counts: census.counts() };
}

/**
 * The connections missing from every read of their company: a company that shifting pages
 * listed twice is read twice, and a connection one read shows is not gone, whichever read
 * it was. Each is buried with its first absence's event, so that anything stored since wins.
 */
function absentFromEveryRead(
  absences: readonly AbsentConnection[],
  reads: CompanyIdCounts,
): AbsentConnection[] {
  const byKey = new Map<string, { first: AbsentConnection; count: number }>();
  for (const absence of absences) {
    const key = JSON.stringify([absence.companyId, absence.connectionId]);
    const known = byKey.get(key);
    if (!known) byKey.set(key, { first: absence, count: 1 });
    else {
      known.count += 1;
      if (absence.event.order < known.first.event.order) known.first = absence;
    }
  }
  return (
    [...byKey.values()]
      // A company the listing skipped was read once, by its lookup.
      .filter(({ first, count }) => count >= Math.max(1, reads.count(first.companyId)))
      .map(({ first }) => first)
  );
}

/**
 * Looks up the companies the listing did not show, at most `ctx.concurrency` at once. Found,
 * a company is reconciled (creates and updates only) and its absent connections returned;
 * one that answers 404 is returned as gone, with the event of that answer. Deletes nothing.
 */
async function lookUp(companyIds: readonly string[], progress: WalkProgress, ctx: WalkContext) {
  const before = { ...ctx.api.stats };
  const found = {
    absent: [] as AbsentConnection[],
    gone: [] as { companyId: string; event: AbsentConnection['event'] }[],
    invalid: [] as InvalidNote[],
    unchecked: [] as string[],
    firstReason: '',
  };
  await forEachLimit(companyIds, ctx.concurrency, async (companyId) => {
    try {
      const lookup = await ctx.api.getCompany(companyId);
      const readAt = ctx.now();
      if (!lookup.found) {
        found.gone.push({ companyId, event: snapshotEvent(ctx.clock, readAt, 'reconcile.absent') });
        return;
      }
      // The listing skipped it, but it is there: reconciled now. Its invalid connections are
      // left out of `lookup.value`, so what it no longer lists is only known if it was complete.
      const result = await reconcileCompany(lookup.value, readAt, ctx, { paths: lookup.paths });
      addTotals(progress.totals, result.counts);
      const invalid = [...lookup.invalid.map((item) => invalidNote(item)), ...result.invalid];
      progress.totals.invalid += lookup.invalid.length;
      noteInvalid(progress, invalid);
      found.invalid.push(...invalid);
      if (invalid.length === 0) found.absent.push(...result.absent);
    } catch (error) {
      if (!(error instanceof RequestFailedError || error instanceof CodatApiError)) throw error;
      found.unchecked.push(companyId);
      found.firstReason ||= error.message;
    }
  });
  addRequests(progress, ctx.api.stats, before);
  return found;
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

/**
 * A reconciliation walk: every page of `GET /companies`, each company's connections brought to
 * what the API showed, then the sweep (sweep.ts). Its invariants, held here and in sweep.ts:
 *
 * 1. A connection is tombstoned only when it is absent from every read of its company in that
 *    walk (a company that shifting pages list twice is read twice), and only when every page
 *    and every item on it was read and valid, and every `GET /companies/{id}` of a company the
 *    listing skipped answered, complete and valid. Any of these missing: nothing is deleted,
 *    and the walk is incomplete (exits non-zero, fails the execution in AWS).
 * 2. Every item goes through the receiver's own checks: the contract's schema, the refusal of
 *    prototype keys and lone surrogates at any depth (unsafe-values.ts) and, before each write,
 *    DynamoDB's limits (item-limits.ts). An item that fails them, or that cannot be read, is not
 *    written and is named (page, path, company, connection, reason) in the problems, the
 *    progress, the log lines and the `ReconcileInvalidItems` metric; the walk goes on with
 *    everything else, and is then incomplete.
 * 3. Paging defends itself (`checkPaging` in paging.ts): an answer for another page than
 *    asked, a `next` link that does not advance, a page larger than asked, a listing past its
 *    `totalResults` by more than a page end the walk at once, incomplete and named, after a
 *    request or two. A refused API key (401, 403) ends it too, saying where the key is set.
 * 4. Writes are the receiver's conditional writes, ordered as a read at T − lag allowance
 *    (snapshot.ts): a newer webhook always wins, an equal item is never written, so a second
 *    walk over an unchanged API writes nothing.
 */
import { ApiKeyRefusedError, CodatApiError, RequestFailedError, WalkStepTooShortError } from '../errors';
import type { Company } from './api-schema';
import type { CompanyPage } from './codat-api';
import type { AbsentConnection, PageRecord } from './journal';
import {
  addRequests,
  addTotals,
  emptyTotals,
  forEachLimit,
  type InvalidNote,
  invalidNote,
  MAX_INVALID_NAMED,
  noteFailedPage,
  noteInvalid,
  type WalkProgress,
  type WalkTotals,
} from './progress';
import { reconcileCompany } from './reconcile-company';
import type { WalkContext } from './walk-context';

/** Reconciles the companies of one page, a few at a time. */
async function reconcilePage(page: CompanyPage, readAt: Date, ctx: WalkContext) {
  const { companies } = page;
  const counts: WalkTotals = { ...emptyTotals(), pages: 1, companies: companies.length };
  const absent: AbsentConnection[] = [];
  const invalid: InvalidNote[] = [];
  await forEachLimit([...companies.keys()], ctx.concurrency, async (index) => {
    const company = companies[index] as Company;
    const where = { page: page.pageNumber, paths: page.paths[index] };
    try {
      const result = await reconcileCompany(company, readAt, ctx, where);
      addTotals(counts, result.counts);
      absent.push(...result.absent);
      invalid.push(...result.invalid);
    } catch (error) {
      // A storage failure ends the step; it says where, so that it can be found.
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`page ${page.pageNumber}, company ${company.id}: ${reason}`, { cause: error });
    }
  });
  return { counts, absent, invalid };
}

export interface WalkLimits {
  /** Epoch ms after which no new page is started: this step's share (a Lambda invocation's time). */
  stepDeadline: number;
  /** The whole walk's time budget from `progress.startedAt`; spent, the walk gives up, incomplete. */
  walkBudgetMs: number;
  /** Called after each page, for a progress line. */
  onPage?: (progress: WalkProgress) => void;
}

/**
 * Reads company pages from `progress.nextPage` on, reconciles each and records it in the
 * journal, until the listing ends or `stepDeadline` passes. A page that keeps failing after its
 * retry budget is recorded as failed and skipped (the pages after it are still read and
 * written, but the walk will delete nothing). An answer that no retry can mend (a wrong API key,
 * a capped page size) ends the walk, incomplete. Storage failures are thrown, and so is a step
 * that starts past its `stepDeadline` (`WalkStepTooShortError`): it could make no progress.
 */
export async function walkPages(progress: WalkProgress, ctx: WalkContext, limits: WalkLimits): Promise<void> {
  const walkDeadline = Date.parse(progress.startedAt) + limits.walkBudgetMs;
  if (progress.nextPage !== null && ctx.now().getTime() >= limits.stepDeadline)
    throw new WalkStepTooShortError(progress.nextPage);
  const before = { ...ctx.api.stats };
  try {
    while (progress.nextPage !== null && ctx.now().getTime() < limits.stepDeadline) {
      const first = progress.nextPage;
      try {
        if (ctx.now().getTime() >= walkDeadline) throw new WalkBudgetSpent(limits.walkBudgetMs);
        for await (const page of ctx.api.companyPages({ firstPage: first, pageSize: progress.pageSize })) {
          const readAt = ctx.now();
          const reconciled = await reconcilePage(page, readAt, ctx);
          const { counts, absent } = reconciled;
          const invalid = [
            ...page.invalid.map((item) => invalidNote(item, page.pageNumber)),
            ...reconciled.invalid,
          ];
          counts.invalid = invalid.length;
          const record: PageRecord = {
            page: page.pageNumber,
            companyIds: page.companies.map((company) => company.id),
            absent,
            invalid: invalid.length,
            invalidItems: invalid.slice(0, MAX_INVALID_NAMED),
          };
          await ctx.journal.record(progress.walkId, record);
          noteInvalid(progress, invalid);
          addTotals(progress.totals, counts);
          progress.totalResults = page.totalResults;
          const more = page.more;
          progress.nextPage = more ? page.pageNumber + 1 : null;
          limits.onPage?.(progress);
          if (!more || ctx.now().getTime() >= limits.stepDeadline) break;
          if (ctx.now().getTime() >= walkDeadline) throw new WalkBudgetSpent(limits.walkBudgetMs);
        }
      } catch (error) {
        const page = progress.nextPage ?? first;
        if (error instanceof RequestFailedError) {
          await failPage(progress, ctx, page, error.message);
          // Pages after it can still be read, as far as the listing is known to go.
          const known = progress.totalResults ?? 0;
          progress.nextPage = page * progress.pageSize < known ? page + 1 : null;
        } else if (error instanceof CodatApiError || error instanceof WalkBudgetSpent) {
          await failPage(progress, ctx, page, error.message, error instanceof ApiKeyRefusedError);
          progress.nextPage = null;
        } else throw error;
      }
    }
  } finally {
    addRequests(progress, ctx.api.stats, before);
  }
}

class WalkBudgetSpent extends Error {
  constructor(budgetMs: number) {
    super(`the walk's time budget (${Math.round(budgetMs / 1000)} s) was spent before the last page`);
  }
}

async function failPage(
  progress: WalkProgress,
  ctx: WalkContext,
  page: number,
  reason: string,
  apiKeyRefused = false,
) {
  noteFailedPage(progress, { page, reason, ...(apiKeyRefused ? { apiKeyRefused } : {}) });
  await ctx.journal.record(progress.walkId, {
    page,
    companyIds: [],
    absent: [],
    invalid: 0,
    failure: reason,
  });
}

import type { Context } from 'aws-lambda';
import { createLogger } from '../src/observability/powertools';
import { readReconcileConfig } from '../src/reconcile/lambda-config';
import { invocationDeadline, lambdaRuntime } from '../src/reconcile/lambda-walk';
import { newProgress, type WalkProgress } from '../src/reconcile/progress';
import { walkPages } from '../src/reconcile/walk';

// Built once per cold start and shared by every invocation of this container.
const config = readReconcileConfig(process.env);
const logger = createLogger({ stage: config.STAGE, logLevel: config.LOG_LEVEL });
const runtime = lambdaRuntime(config);

/**
 * Time kept back from the invocation's limit when deciding whether to start another page: one
 * page's retry budget (3 minutes) and its writes, so that a page is never cut off half-way.
 */
const PAGE_MARGIN_MS = 4 * 60_000;
/** No API call retries into the last half minute: the journal write and the log line come after. */
const RESERVE_MS = 30_000;

/** What the state machine starts a walk with: its execution's name and start time. */
export interface WalkStart {
  walkId: string;
  startedAt: string;
}

/**
 * One step of a walk, in a Step Functions loop: reads and reconciles company pages from
 * `nextPage` on until this invocation's time is nearly spent, records each in the journal, and
 * returns the walk's progress for the next step (`nextPage: null` once the listing has ended).
 * A step with no time for even one page throws `WalkStepTooShortError`: the execution fails,
 * rather than handing the same page to the next step for ever.
 */
export async function handler(input: WalkStart | WalkProgress, context: Context): Promise<WalkProgress> {
  logger.addContext(context);
  const progress =
    'totals' in input ? input : newProgress(input.walkId, new Date(input.startedAt), config.PAGE_SIZE);
  const ctx = await runtime.walkContext(progress.walkId, invocationDeadline(context, RESERVE_MS));
  await walkPages(progress, ctx, {
    stepDeadline: invocationDeadline(context, PAGE_MARGIN_MS),
    walkBudgetMs: config.WALK_BUDGET_MINUTES * 60_000,
  });
  logger.info('walk step', {
    walkId: progress.walkId,
    nextPage: progress.nextPage,
    totals: progress.totals,
    requests: progress.requests,
    failedPages: progress.failedPages,
    invalidItems: progress.invalidItems,
  });
  return progress;
}

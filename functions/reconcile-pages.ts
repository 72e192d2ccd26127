import { DEFAULT_RETRY_POLICY } from '../src/defaults';
import { createLogger } from '../src/observability/powertools';
import { readWalkPagesConfig } from '../src/reconcile/lambda-config';
import {
  invocationDeadline,
  lambdaWalkContext,
  pageMarginMs,
  reconcilerChain,
} from '../src/reconcile/lambda-walk';
import { newProgress, type WalkProgress } from '../src/reconcile/progress';
import { walkPages } from '../src/reconcile/walk';

// Built once per cold start and shared by every invocation of this container.
const config = readWalkPagesConfig(process.env);
const logger = createLogger({ stage: config.stage, logLevel: config.logLevel });
const retry = DEFAULT_RETRY_POLICY;
const walkContext = lambdaWalkContext(config, retry);

/** Time kept back from the invocation's limit when deciding whether to start another page. */
const PAGE_MARGIN_MS = pageMarginMs(retry);
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
 * rather than handing the same page to the next step for ever. It publishes no metrics: the
 * sweep publishes the walk's.
 */
export const handler = reconcilerChain<WalkStart | WalkProgress, WalkProgress>(logger).handler(
  async (input, context) => {
    const progress =
      'totals' in input ? input : newProgress(input.walkId, new Date(input.startedAt), config.pageSize);
    const ctx = await walkContext(progress.walkId, invocationDeadline(context, RESERVE_MS));
    await walkPages(progress, ctx, {
      stepDeadline: invocationDeadline(context, PAGE_MARGIN_MS),
      walkBudgetMs: config.walkBudgetMs,
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
  },
);

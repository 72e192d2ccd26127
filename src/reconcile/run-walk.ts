import { DEFAULT_RECONCILE_PAGE_SIZE, DEFAULT_WALK_BUDGET_MS } from '../defaults';
import type { WalkProgress } from './progress';
import { newProgress } from './progress';
import { type SweepResult, sweep } from './sweep';
import { walkPages } from './walk';
import type { WalkContext } from './walk-context';

export interface WalkOutcome extends SweepResult {
  progress: WalkProgress;
  seconds: number;
}

/**
 * A whole walk in one process, as `npm run reconcile`, the tests and the bench run it: every
 * page, then the sweep. In the stack the same two steps run in separate Lambda invocations.
 */
export async function runWalk(
  ctx: WalkContext,
  options: {
    pageSize?: number;
    walkBudgetMs?: number;
    onPage?: (progress: WalkProgress) => void;
  },
): Promise<WalkOutcome> {
  const started = ctx.now();
  const progress = newProgress(ctx.clock.walkId, started, options.pageSize ?? DEFAULT_RECONCILE_PAGE_SIZE);
  await walkPages(progress, ctx, {
    stepDeadline: Number.POSITIVE_INFINITY,
    walkBudgetMs: options.walkBudgetMs ?? DEFAULT_WALK_BUDGET_MS,
    onPage: options.onPage,
  });
  const result = await sweep(progress, ctx);
  return { ...result, progress, seconds: (ctx.now().getTime() - started.getTime()) / 1000 };
}

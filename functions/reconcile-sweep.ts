import { DEFAULT_RETRY_POLICY } from '../src/defaults';
import { WalkIncompleteError } from '../src/errors';
import { publishConnectionCounts } from '../src/health/health-metrics';
import { createLogger, createMetrics } from '../src/observability/powertools';
import { readSweepConfig } from '../src/reconcile/lambda-config';
import {
  invocationDeadline,
  lambdaWalkContext,
  reconcilerChain,
  recordWalkMetrics,
} from '../src/reconcile/lambda-walk';
import type { RequestTotals, WalkProgress, WalkTotals } from '../src/reconcile/progress';
import { sweep } from '../src/reconcile/sweep';

// Built once per cold start and shared by every invocation of this container.
const config = readSweepConfig(process.env);
const logger = createLogger({ stage: config.stage, logLevel: config.logLevel });
const metrics = createMetrics({ stage: config.stage });
const walkContext = lambdaWalkContext(config, DEFAULT_RETRY_POLICY);

/**
 * The sweep's lookups stop this long before the timeout: what they left unchecked is reported,
 * and the walk's log line and metrics still go out.
 */
const RESERVE_MS = 60_000;

/** What a complete walk ends its execution with. */
export interface WalkSummary {
  walkId: string;
  totals: WalkTotals;
  requests: RequestTotals;
  seconds: number;
}

/**
 * The last step of a walk: deletions if, and only if, every page was read and valid (see
 * `sweep`), then one log line and one set of metrics for the whole walk, and for a complete one
 * the connections it leaves by status (`Connections`). An incomplete walk throws, so that the
 * execution fails and the alarm on failed executions fires.
 */
export const handler = reconcilerChain<WalkProgress, WalkSummary>(logger, metrics).handler(
  async (progress, context) => {
    const ctx = await walkContext(progress.walkId, invocationDeadline(context, RESERVE_MS));
    const { counts, ...result } = await sweep(progress, ctx);
    const seconds = (Date.now() - Date.parse(progress.startedAt)) / 1000;
    recordWalkMetrics(metrics, progress, result.complete, seconds);
    if (counts) publishConnectionCounts(metrics, counts);
    const line = {
      walkId: progress.walkId,
      ...result,
      totals: progress.totals,
      requests: progress.requests,
      seconds,
    };
    if (!result.complete) {
      logger.error('walk incomplete: nothing deleted', line);
      throw new WalkIncompleteError(`walk ${progress.walkId} incomplete: ${result.problems.join('; ')}`);
    }
    logger.info('walk complete', line);
    return { walkId: progress.walkId, totals: progress.totals, requests: progress.requests, seconds };
  },
);

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createApiKeySecretClient, createDynamoDbClient } from '../aws/clients';
import { secretsManagerValue } from '../aws/secrets';
import { DynamoDbConnectionStore } from '../connection/dynamodb-store';
import { DIMENSION, RECONCILE_CHANGES, RECONCILE_METRIC } from '../observability/names';
import type { Logger, Metrics } from '../observability/powertools';
import { apiKeyFrom } from './api-key';
import { CodatApi, type RetryPolicy } from './codat-api';
import { DynamoDbWalkJournal } from './dynamodb-journal';
import type { ApiConfig, WalkTablesConfig } from './lambda-config';
import type { WalkProgress } from './progress';
import { createWalkContext, type WalkContext } from './walk-context';

/**
 * The middy chain of every reconciler function: the Lambda context on every log line, and, for
 * a function that counts, its metrics published once the handler has returned or thrown. No
 * early timeout: each function bounds its own waits (`invocationDeadline`), and a step that
 * still reaches its timeout is Lambda's to end, as Step Functions expects.
 */
export function reconcilerChain<Event, Result>(logger: Logger, metrics?: Metrics) {
  const chain = middy<Event, Result>({ timeoutEarlyInMillis: 0 }).use(
    injectLambdaContext(logger, { logEvent: false }),
  );
  return metrics ? chain.use(logMetrics(metrics)) : chain;
}

/**
 * The provider's API, as every reconciler function reads it: a client whose calls never retry
 * past `deadline` (see `invocationDeadline`), with the API key read from its secret at each
 * invocation (a daily job: no cache needed, and a key just set is used at once).
 */
export function lambdaApi(config: Pick<ApiConfig, 'apiKeySecretArn' | 'codatApiUrl'>, policy: RetryPolicy) {
  const readKey = secretsManagerValue(createApiKeySecretClient(), config.apiKeySecretArn);
  return async (deadline: number) =>
    new CodatApi({
      apiKey: apiKeyFrom(await readKey(), config.apiKeySecretArn),
      baseUrl: config.codatApiUrl,
      retry: policy,
      deadline,
    });
}

/**
 * The walking functions' context for one invocation: the API as `lambdaApi` reads it, and both
 * tables on one DynamoDB client, built once per cold start.
 */
export function lambdaWalkContext(config: ApiConfig & WalkTablesConfig, policy: RetryPolicy) {
  const api = lambdaApi(config, policy);
  const dynamoDb = createDynamoDbClient();
  const store = new DynamoDbConnectionStore(dynamoDb, config.tableName);
  const journal = new DynamoDbWalkJournal(dynamoDb, config.journalTableName);
  return async (walkId: string, deadline: number): Promise<WalkContext> =>
    createWalkContext({
      api: await api(deadline),
      store,
      journal,
      walkId,
      lagAllowanceMs: config.lagAllowanceMs,
      tombstoneTtlDays: config.tombstoneTtlDays,
    });
}

/**
 * Epoch ms by which an invocation's own work must be over: its timeout, less `reserveMs` kept to
 * log and publish its metrics. Lambda ends a function at its timeout without running a
 * `finally`, so every wait inside it (an API call's retries above all) must end before this.
 */
export function invocationDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>, reserveMs: number) {
  return Date.now() + context.getRemainingTimeInMillis() - reserveMs;
}

/** A page's writes and its journal record, after its read. */
const PAGE_WRITES_MS = 60_000;

/**
 * The longest one page takes: its read, whose every attempt and wait ends inside the retry
 * policy's budget (retry.ts), then its writes. A walk step starts no page with less than this
 * left, so that a page is never cut off half-way.
 */
export function pageMarginMs(policy: RetryPolicy): number {
  return policy.budgetMs + PAGE_WRITES_MS;
}

/** One data point per walk: what it read, what it changed, what it cost, and whether it completed. */
export function recordWalkMetrics(
  metrics: Metrics,
  progress: WalkProgress,
  complete: boolean,
  seconds: number,
) {
  const { totals, requests } = progress;
  metrics.addMetric(RECONCILE_METRIC.companies, MetricUnit.Count, totals.companies);
  metrics.addMetric(RECONCILE_METRIC.connections, MetricUnit.Count, totals.connections);
  metrics.addMetric(RECONCILE_METRIC.apiRequests, MetricUnit.Count, requests.requests);
  metrics.addMetric(RECONCILE_METRIC.apiThrottles, MetricUnit.Count, requests.throttles);
  metrics.addMetric(RECONCILE_METRIC.walkSeconds, MetricUnit.Seconds, seconds);
  metrics.addMetric(RECONCILE_METRIC.invalidItems, MetricUnit.Count, totals.invalid);
  metrics.addMetric(RECONCILE_METRIC.incomplete, MetricUnit.Count, complete ? 0 : 1);
  for (const change of RECONCILE_CHANGES) {
    const single = metrics.singleMetric();
    single.addDimension(DIMENSION.change, change);
    single.addMetric(RECONCILE_METRIC.changes, MetricUnit.Count, totals[change]);
  }
}

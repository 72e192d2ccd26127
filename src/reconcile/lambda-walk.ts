import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createApiKeySecretClient, createDynamoDbClient } from '../aws/clients';
import { secretsManagerValue } from '../aws/secrets';
import { DynamoDbConnectionStore } from '../connection/dynamodb-store';
import { DEFAULT_RECONCILE_CONCURRENCY } from '../defaults';
import { DIMENSION, RECONCILE_CHANGES, RECONCILE_METRIC } from '../observability/names';
import type { Metrics } from '../observability/powertools';
import { CodatApi } from './codat-api';
import { DynamoDbWalkJournal } from './dynamodb-journal';
import { apiKeyFrom, type ReconcileConfig, requireSetting } from './lambda-config';
import type { WalkProgress } from './progress';
import type { WalkContext } from './walk';

/**
 * What the reconciler's Lambda functions share: clients built once per cold start, and the API
 * key read from its secret at each invocation (a daily job: no cache needed, and a key just set
 * is used at once).
 */
export function lambdaRuntime(config: ReconcileConfig) {
  const dynamoDb = createDynamoDbClient();
  const secrets = createApiKeySecretClient();
  const readKey = secretsManagerValue(secrets, config.CODAT_API_KEY_SECRET_ARN);
  /** A client whose calls never retry past `deadline` (see `invocationDeadline`). */
  const api = async (deadline: number) =>
    new CodatApi({
      apiKey: apiKeyFrom(await readKey(), config.CODAT_API_KEY_SECRET_ARN),
      baseUrl: config.CODAT_API_URL,
      deadline,
    });
  const walkContext = async (walkId: string, deadline: number): Promise<WalkContext> => {
    // The walking functions are always given both tables; a missing one is a wiring fault,
    // never a reason to fall back (an in-memory journal would lose every page between steps).
    const store = new DynamoDbConnectionStore(dynamoDb, requireSetting(config.TABLE_NAME, 'TABLE_NAME'));
    return {
      api: await api(deadline),
      reader: store,
      writer: store,
      journal: new DynamoDbWalkJournal(
        dynamoDb,
        requireSetting(config.JOURNAL_TABLE_NAME, 'JOURNAL_TABLE_NAME'),
      ),
      companies: store,
      clock: { walkId, lagAllowanceMs: config.LAG_ALLOWANCE_SECONDS * 1000 },
      tombstoneTtlDays: config.TOMBSTONE_TTL_DAYS,
      concurrency: DEFAULT_RECONCILE_CONCURRENCY,
      now: () => new Date(),
    };
  };
  return { api, walkContext };
}

/**
 * Epoch ms by which an invocation's own work must be over: its timeout, less `reserveMs` kept to
 * log and publish its metrics. Lambda ends a function at its timeout without running a
 * `finally`, so every wait inside it (an API call's retries above all) must end before this.
 */
export function invocationDeadline(context: Pick<Context, 'getRemainingTimeInMillis'>, reserveMs: number) {
  return Date.now() + context.getRemainingTimeInMillis() - reserveMs;
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

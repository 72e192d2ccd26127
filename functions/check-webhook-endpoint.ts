import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { RECONCILE_METRIC } from '../src/observability/names';
import { createLogger, createMetrics } from '../src/observability/powertools';
import { type EndpointHealth, endpointHealth } from '../src/reconcile/endpoint-health';
import { readReconcileConfig, requireSetting } from '../src/reconcile/lambda-config';
import { invocationDeadline, lambdaRuntime } from '../src/reconcile/lambda-walk';

// Built once per cold start and shared by every invocation of this container.
const config = readReconcileConfig(process.env);
const webhookUrl = requireSetting(config.WEBHOOK_URL, 'WEBHOOK_URL');
const logger = createLogger({ stage: config.STAGE, logLevel: config.LOG_LEVEL });
const metrics = createMetrics({ stage: config.STAGE });
const runtime = lambdaRuntime(config);

/** Kept back from the timeout: the API call gives up this long before it, to log and publish. */
const RESERVE_MS = 5_000;

/**
 * Reads the provider's webhook consumers (`GET /webhooks`) and publishes whether this stack's
 * endpoint is enabled there: a disabled endpoint gets no deliveries and no error either, so
 * only this check, and its alarm, tell. A check that cannot ask the provider says so in a
 * metric of its own, published before the timeout, and fails (the walk goes on without it).
 */
export async function handler(_input: unknown, context: Context) {
  logger.addContext(context);
  let health: EndpointHealth | undefined;
  try {
    const api = await runtime.api(invocationDeadline(context, RESERVE_MS));
    const { consumers } = await api.listWebhookConsumers();
    health = endpointHealth(consumers, webhookUrl);
    const line = { webhookUrl, health, consumers: consumers.length };
    if (health === 'enabled') logger.info('webhook endpoint', line);
    else logger.error('webhook endpoint', line);
    return { health };
  } catch (error) {
    logger.error('webhook endpoint unchecked', { webhookUrl, error });
    throw error;
  } finally {
    if (health === undefined) metrics.addMetric(RECONCILE_METRIC.endpointUnchecked, MetricUnit.Count, 1);
    else {
      metrics.addMetric(RECONCILE_METRIC.endpointDisabled, MetricUnit.Count, health === 'disabled' ? 1 : 0);
      metrics.addMetric(RECONCILE_METRIC.endpointMissing, MetricUnit.Count, health === 'missing' ? 1 : 0);
      metrics.addMetric(RECONCILE_METRIC.endpointUnchecked, MetricUnit.Count, 0);
    }
    metrics.publishStoredMetrics();
  }
}

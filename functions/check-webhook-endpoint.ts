import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { RECONCILE_METRIC } from '../src/observability/names';
import { createLogger, createMetrics } from '../src/observability/powertools';
import { endpointHealth } from '../src/reconcile/endpoint-health';
import { readReconcileConfig, requireSetting } from '../src/reconcile/lambda-config';
import { lambdaRuntime } from '../src/reconcile/lambda-walk';

// Built once per cold start and shared by every invocation of this container.
const config = readReconcileConfig(process.env);
const webhookUrl = requireSetting(config.WEBHOOK_URL, 'WEBHOOK_URL');
const logger = createLogger({ stage: config.STAGE, logLevel: config.LOG_LEVEL });
const metrics = createMetrics({ stage: config.STAGE });
const runtime = lambdaRuntime(config);

/**
 * Reads the provider's webhook consumers (`GET /webhooks`) and publishes whether this stack's
 * endpoint is enabled there: a disabled endpoint gets no deliveries and no error either, so
 * only this check, and its alarm, tell.
 */
export async function handler(_input: unknown, context: Context) {
  logger.addContext(context);
  try {
    const api = await runtime.api();
    const { consumers } = await api.listWebhookConsumers();
    const health = endpointHealth(consumers, webhookUrl);
    metrics.addMetric(RECONCILE_METRIC.endpointDisabled, MetricUnit.Count, health === 'disabled' ? 1 : 0);
    metrics.addMetric(RECONCILE_METRIC.endpointMissing, MetricUnit.Count, health === 'missing' ? 1 : 0);
    const line = { webhookUrl, health, consumers: consumers.length };
    if (health === 'enabled') logger.info('webhook endpoint', line);
    else logger.error('webhook endpoint', line);
    return { health };
  } finally {
    metrics.publishStoredMetrics();
  }
}

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULT_RETRY_POLICY } from '../src/defaults';
import { RECONCILE_METRIC } from '../src/observability/names';
import { createLogger, createMetrics } from '../src/observability/powertools';
import { type EndpointHealth, endpointHealth } from '../src/reconcile/endpoint-health';
import { readCheckEndpointConfig } from '../src/reconcile/lambda-config';
import { invocationDeadline, lambdaApi, reconcilerChain } from '../src/reconcile/lambda-walk';

// Built once per cold start and shared by every invocation of this container.
const config = readCheckEndpointConfig(process.env);
const logger = createLogger({ stage: config.stage, logLevel: config.logLevel });
const metrics = createMetrics({ stage: config.stage });
const api = lambdaApi(config, DEFAULT_RETRY_POLICY);

/** Kept back from the timeout: the API call gives up this long before it, to log and publish. */
const RESERVE_MS = 5_000;

/** What the check found, as metrics; `undefined` when it could not ask the provider. */
function countHealth(health: EndpointHealth | undefined) {
  if (health === undefined) {
    metrics.addMetric(RECONCILE_METRIC.endpointUnchecked, MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric(RECONCILE_METRIC.endpointDisabled, MetricUnit.Count, health === 'disabled' ? 1 : 0);
  metrics.addMetric(RECONCILE_METRIC.endpointMissing, MetricUnit.Count, health === 'missing' ? 1 : 0);
  metrics.addMetric(RECONCILE_METRIC.endpointUnchecked, MetricUnit.Count, 0);
}

/**
 * Reads the provider's webhook consumers (`GET /webhooks`) and publishes whether this stack's
 * endpoint is enabled there: a disabled endpoint gets no deliveries and no error either, so
 * only this check, and its alarm, tell. A check that cannot ask the provider says so in a
 * metric of its own, published before the timeout, and fails (the walk goes on without it).
 */
export const handler = reconcilerChain<unknown, { health: EndpointHealth }>(logger, metrics).handler(
  async (_input, context) => {
    const { webhookUrl } = config;
    try {
      const client = await api(invocationDeadline(context, RESERVE_MS));
      const { consumers } = await client.listWebhookConsumers();
      const health = endpointHealth(consumers, webhookUrl);
      const line = { webhookUrl, health, consumers: consumers.length };
      if (health === 'enabled') logger.info('webhook endpoint', line);
      else logger.error('webhook endpoint', line);
      countHealth(health);
      return { health };
    } catch (error) {
      logger.error('webhook endpoint unchecked', { webhookUrl, error });
      countHealth(undefined);
      throw error;
    }
  },
);

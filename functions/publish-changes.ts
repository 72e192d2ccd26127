import { createEventBridgeClient } from '../src/aws/clients';
import { EventBridgeChangePublisher } from '../src/events/publisher';
import { readPublisherConfig } from '../src/events/publisher-config';
import { createStreamHandler } from '../src/events/stream-handler';
import { createLogger, createMetrics } from '../src/observability/powertools';

// Built once per cold start and shared by every invocation of this container.
const config = readPublisherConfig(process.env);

/**
 * The Connection table's stream (NEW_AND_OLD_IMAGES) in, change events on the stack's bus out:
 * one per applied change, whoever wrote it (a webhook, the reconciler, a company.deleted).
 */
export const handler = createStreamHandler({
  publisher: new EventBridgeChangePublisher(createEventBridgeClient(), config.eventBusName),
  logger: createLogger({ stage: config.stage, logLevel: config.logLevel }),
  metrics: createMetrics({ stage: config.stage }),
});

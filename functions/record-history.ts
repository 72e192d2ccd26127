import { createDynamoDbClient } from '../src/aws/clients';
import { DynamoDbHistoryStore } from '../src/history/dynamodb-history-store';
import { createHistoryHandler } from '../src/history/history-handler';
import { readHistoryWriterConfig } from '../src/history/writer-config';
import { createLogger, createMetrics } from '../src/observability/powertools';

// Built once per cold start and shared by every invocation of this container.
const config = readHistoryWriterConfig(process.env);

/**
 * The Connection table's stream (NEW_AND_OLD_IMAGES) in, one history item per applied change
 * out: the table's second stream consumer, beside the change-event publisher (docs/history.md).
 */
export const handler = createHistoryHandler({
  store: new DynamoDbHistoryStore(createDynamoDbClient(), config.historyTableName),
  historyDays: config.historyDays,
  logger: createLogger({ stage: config.stage, logLevel: config.logLevel }),
  metrics: createMetrics({ stage: config.stage }),
});

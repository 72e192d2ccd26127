import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { HISTORY_METRIC } from '../observability/names';
import type { Logger, Metrics } from '../observability/powertools';
import type { HistoryWriter } from './history-store';
import { type HistoryStreamRecord, type RecordOutcome, recordHistory } from './record-history';

export interface HistoryHandlerOptions {
  store: HistoryWriter;
  /** Days an item is kept before DynamoDB TTL removes it. */
  historyDays: number;
  logger: Logger;
  /** @default - no metrics (the local run) */
  metrics?: Metrics;
}

/**
 * The Connection table's stream in, one history item per applied change out (`recordHistory`).
 * The records that failed are reported in `batchItemFailures`; a batch where every record
 * failed throws instead (as Powertools' BatchProcessor does), so that Lambda's
 * BisectBatchOnFunctionError can split it and isolate a record that can never be written.
 */
export function createHistoryHandler(options: HistoryHandlerOptions) {
  const { store, historyDays, logger, metrics } = options;
  const chain = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>()
    // Outermost, so that the context is on every line. The records hold the connections'
    // data: they are not logged whole.
    .use(injectLambdaContext(logger, { logEvent: false }));
  // Flushes the batch's counts once, whether the handler returned or threw.
  if (metrics) chain.use(logMetrics(metrics));
  return chain.handler(async (event) => {
    const counts: Record<RecordOutcome['result'], number> = { recorded: 0, skipped: 0, failed: 0 };
    const errors: Error[] = [];
    const result = await recordHistory(event.Records as HistoryStreamRecord[], {
      store,
      historyDays,
      onRecord: (outcome) => {
        counts[outcome.result] += 1;
        if (outcome.result === 'failed') {
          const error = outcome.error instanceof Error ? outcome.error : new Error(String(outcome.error));
          errors.push(error);
          logger.error('history record failed', { sequenceNumber: outcome.sequenceNumber, error });
        }
      },
    });
    for (const [result, name] of Object.entries(HISTORY_METRIC)) {
      metrics?.addMetric(name, MetricUnit.Count, counts[result as RecordOutcome['result']]);
    }
    logger.info('history batch', { records: event.Records.length, ...counts });
    if (event.Records.length > 0 && counts.failed === event.Records.length) {
      throw new FullBatchFailureError(errors);
    }
    return result;
  });
}

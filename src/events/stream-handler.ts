import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { CHANGE_EVENTS_METRIC, DIMENSION } from '../observability/names';
import type { Logger, Metrics } from '../observability/powertools';
import { EarlierRecordFailedError, type RecordResult, recordPublisher } from './publish-records';
import type { ChangePublisher } from './publisher';

export interface StreamHandlerOptions {
  publisher: ChangePublisher;
  logger: Logger;
  /** @default - no metrics (the local run) */
  metrics?: Metrics;
}

/**
 * The table's stream in, one change event per applied change out. Records that fail are
 * reported in `batchItemFailures`, so that Lambda retries from the first of them; a batch
 * where every record failed throws (Powertools' FullBatchFailureError), so that Lambda bisects it.
 */
export function createStreamHandler(options: StreamHandlerOptions) {
  const { publisher, logger, metrics } = options;
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  /** One metric line per result and invocation, however many records the batch held. */
  const publishCounts = (counts: Map<string, number>) => {
    if (!metrics) return;
    for (const [result, value] of counts) {
      const single = metrics.singleMetric();
      single.addDimension(DIMENSION.result, result);
      single.addMetric(CHANGE_EVENTS_METRIC, MetricUnit.Count, value);
    }
  };

  return async (event: DynamoDBStreamEvent, context: Context) => {
    logger.addContext(context);
    const counts = new Map<string, number>();
    const count = (result: RecordResult | 'failed' | 'deferred') =>
      counts.set(result, (counts.get(result) ?? 0) + 1);
    const publish = recordPublisher(publisher, logger, count);
    try {
      return await processPartialResponse(
        event,
        async (record: DynamoDBRecord) => {
          try {
            return await publish(record);
          } catch (error) {
            // A record left for the retry behind an earlier failure was never tried: not a failure.
            count(error instanceof EarlierRecordFailedError ? 'deferred' : 'failed');
            throw error;
          }
        },
        processor,
        { context, processInParallel: false },
      );
    } finally {
      publishCounts(counts);
    }
  };
}

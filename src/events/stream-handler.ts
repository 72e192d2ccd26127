import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { EarlierRecordFailedError } from '../errors';
import type { Logger, Metrics } from '../observability/powertools';
import { changeEventCounts, type StreamEvent, tallyOf } from './change-event-counts';
import { recordPublisher } from './publish-records';
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

  return (
    middy<StreamEvent, DynamoDBBatchResponse, Error, Context>()
      // Outermost, so that the context is on every line. The records hold the connections'
      // data: they are not logged whole.
      .use(injectLambdaContext(logger, { logEvent: false }))
      // Counts every record and publishes the counts once, on success and on a full failure alike.
      .use(changeEventCounts(metrics))
      .handler(async (event, context) => {
        const tally = tallyOf(event);
        const publish = recordPublisher(publisher, logger, tally.count);
        return processPartialResponse(
          event,
          async (record: DynamoDBRecord) => {
            try {
              return await publish(record);
            } catch (error) {
              // A record left for the retry behind an earlier failure was never tried: not a failure.
              tally.count(error instanceof EarlierRecordFailedError ? 'deferred' : 'failed');
              throw error;
            }
          },
          processor,
          { context, processInParallel: false },
        );
      })
  );
}

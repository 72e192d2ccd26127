import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AppliedWrite } from '../src/connection/dynamodb-store';
import { CONNECTION_TABLE } from '../src/connection/table';
import type { Logger } from '../src/observability/powertools';
import { lambdaContext } from './lambda-context';

/** A stream consumer as Lambda runs it: a batch in, the records that failed out (or a throw). */
export interface StreamConsumer {
  /** For the log line of a batch it failed. */
  name: string;
  handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse | undefined>;
}

/** How many records `records()` keeps: the latest ones, for a test to deliver them again. */
export const LOCAL_RECORDS_KEPT = 1000;

export interface LocalStream {
  /** Hand to the store as `onApplied`: each applied write becomes a stream record. */
  onApplied(write: AppliedWrite): void;
  /**
   * Delivers `records` to every consumer again, as one batch, after what is queued: what Lambda
   * does when it retries a batch (each consumer must make the same records harmless twice).
   */
  redeliver(records: readonly DynamoDBRecord[]): Promise<void>;
  /** The latest records the stream delivered, oldest first. */
  records(): DynamoDBRecord[];
  /** Resolves once every consumer has handled every record so far. */
  settled(): Promise<void>;
}

/**
 * The record Lambda hands a consumer of the Connection table's stream (NEW_AND_OLD_IMAGES) for
 * one applied write: an INSERT for an item's first write, a MODIFY with both images after it.
 */
export function streamRecordOf(write: AppliedWrite, sequence: number, tableName: string): DynamoDBRecord {
  const { partitionKey, sortKey } = CONNECTION_TABLE;
  type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;
  const image = write.newImage as Image;
  // The key attributes, as the new image has them (every write sets both).
  const keys = Object.fromEntries(
    [partitionKey, sortKey].flatMap((name) => (image[name] ? [[name, image[name]]] : [])),
  ) as Image;
  return {
    eventID: `local-${sequence}`,
    eventName: write.oldImage ? 'MODIFY' : 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'local',
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: keys,
      ...(write.oldImage ? { OldImage: write.oldImage as Image } : {}),
      NewImage: image,
      // Fixed width, so that sequence numbers compare as DynamoDB's do, as text or as numbers.
      SequenceNumber: String(sequence).padStart(21, '0'),
      SizeBytes: Buffer.byteLength(JSON.stringify(write)),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:local:000000000000:table/${tableName}/stream/local`,
  };
}

/**
 * DynamoDB's stream, for a database that has none (dynalite): each applied write of the local
 * store becomes a stream record with the item's old and new images, delivered to each consumer
 * (the change-event publisher, the history writer) through the very handler Lambda runs, one
 * record at a time in the order the writes were applied, as a shard delivers them. A failed
 * record is logged, not retried: the local run has no on-failure queue.
 */
export function localStream(options: {
  tableName: string;
  consumers: readonly StreamConsumer[];
  logger: Logger;
}): LocalStream {
  const kept: DynamoDBRecord[] = [];
  let sequence = 0;
  let queue = Promise.resolve();
  const deliver = (records: DynamoDBRecord[]) => {
    queue = queue.then(async () => {
      await Promise.all(
        options.consumers.map(async ({ name, handler }) => {
          try {
            const answer = await handler({ Records: records }, lambdaContext());
            const failed = answer?.batchItemFailures ?? [];
            if (failed.length > 0) {
              options.logger.error('local stream consumer failed records', { consumer: name, failed });
            }
          } catch (error) {
            options.logger.error('local stream consumer failed a batch', { consumer: name, error });
          }
        }),
      );
    });
    return queue;
  };
  return {
    onApplied: (write) => {
      sequence += 1;
      const record = streamRecordOf(write, sequence, options.tableName);
      kept.push(record);
      if (kept.length > LOCAL_RECORDS_KEPT) kept.shift();
      void deliver([record]);
    },
    redeliver: (records) => deliver([...records]),
    records: () => [...kept],
    settled: () => queue,
  };
}

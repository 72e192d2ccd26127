import { randomUUID } from 'node:crypto';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { AppliedWrite } from '../src/connection/dynamodb-store';
import { toEntry } from '../src/events/event-entry';
import type { ChangePublisher } from '../src/events/publisher';
import { createStreamHandler } from '../src/events/stream-handler';
import type { Logger } from '../src/observability/powertools';
import { lambdaContext } from './lambda-context';

/** A change event as an EventBridge target receives it. */
export interface LocalChangeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** How many events `GET /events` keeps: the latest ones. */
export const LOCAL_EVENTS_KEPT = 100;

export interface LocalChangeStream {
  /** Hand to the store as `onApplied`: each applied write becomes a stream record. */
  onApplied(write: AppliedWrite): void;
  /** The latest events, oldest first. */
  events(): LocalChangeEvent[];
  /** Resolves once every write so far has been published. */
  settled(): Promise<void>;
}

/**
 * DynamoDB's stream, for a database that has none (dynalite): each applied write of the local
 * server becomes a stream record with the item's old and new images, and goes through the very
 * handler Lambda runs (`createStreamHandler`), with a publisher that keeps the events as an
 * EventBridge target would receive them, and hands each to `onEvent`.
 */
export function localChangeStream(options: {
  logger: Logger;
  onEvent?: (event: LocalChangeEvent) => void;
}): LocalChangeStream {
  const kept: LocalChangeEvent[] = [];
  const publisher: ChangePublisher = {
    publish: async (detail) => {
      const entry = toEntry(detail);
      const event: LocalChangeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '000000000000',
        time: entry.Time.toISOString(),
        region: 'local',
        resources: [],
        detail: JSON.parse(entry.Detail) as Record<string, unknown>,
      };
      kept.push(event);
      if (kept.length > LOCAL_EVENTS_KEPT) kept.shift();
      options.onEvent?.(event);
    },
  };
  const handler = createStreamHandler({ publisher, logger: options.logger });
  let sequence = 0;
  // One record at a time, in the order the writes were applied, as a stream shard delivers them.
  let queue = Promise.resolve();
  return {
    onApplied: (write) => {
      sequence += 1;
      const event: DynamoDBStreamEvent = {
        Records: [
          {
            eventID: `local-${sequence}`,
            eventName: write.oldImage ? 'MODIFY' : 'INSERT',
            eventSource: 'aws:dynamodb',
            eventVersion: '1.1',
            awsRegion: 'local',
            dynamodb: {
              ...(write.oldImage ? { OldImage: write.oldImage as never } : {}),
              NewImage: write.newImage as never,
              SequenceNumber: String(sequence),
              StreamViewType: 'NEW_AND_OLD_IMAGES',
            },
          },
        ],
      };
      queue = queue.then(async () => {
        try {
          await handler(event, lambdaContext());
        } catch (error) {
          options.logger.error('local change stream failed a record', { error });
        }
      });
    },
    events: () => [...kept],
    settled: () => queue,
  };
}

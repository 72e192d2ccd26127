import { randomUUID } from 'node:crypto';
import { toEntry } from '../src/events/event-entry';
import type { ChangePublisher } from '../src/events/publisher';
import { createStreamHandler } from '../src/events/stream-handler';
import type { Logger } from '../src/observability/powertools';
import type { StreamConsumer } from './stream';

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

/** The local change-event publisher: a stream consumer, and the events it published. */
export interface LocalChangeEvents {
  consumer: StreamConsumer;
  /** The latest events, oldest first. */
  events(): LocalChangeEvent[];
}

/**
 * The change-event publisher as a consumer of the local stream (stream.ts): the very handler
 * Lambda runs (`createStreamHandler`), with a publisher that keeps the events as an EventBridge
 * target would receive them, and hands each to `onEvent`.
 */
export function localChangeEvents(options: {
  logger: Logger;
  onEvent?: (event: LocalChangeEvent) => void;
}): LocalChangeEvents {
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
  return {
    consumer: { name: 'change-events', handler: async (event, context) => handler(event, context) },
    events: () => [...kept],
  };
}

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publishTransitions, TransitionTally } from '../health/health-metrics';
import { CHANGE_EVENTS_METRIC, DIMENSION } from '../observability/names';
import type { Metrics } from '../observability/powertools';
import type { ConnectionChangeDetail } from './change-event';
import type { RecordResult } from './publish-records';

/** What became of one stream record: published, skipped, failed, or left behind an earlier failure. */
export type CountedResult = RecordResult | 'failed' | 'deferred';

/** One batch's records by what became of them, and its published changes' transitions. */
export class ResultTally {
  readonly counts = new Map<CountedResult, number>();
  readonly transitions = new TransitionTally();

  /** Counts one record, and a published one's transition; bound, so that it can be handed on as a callback. */
  readonly count = (result: CountedResult, detail?: ConnectionChangeDetail): void => {
    this.counts.set(result, (this.counts.get(result) ?? 0) + 1);
    if (detail) this.transitions.add(detail);
  };
}

/**
 * The stream event as the handler sees it: `changeEventCounts` has added the batch's tally,
 * which the handler counts into (as `parseDelivery` adds the receiver's `delivery`).
 */
export type StreamEvent = DynamoDBStreamEvent & { tally?: ResultTally };

/** The tally `changeEventCounts` put on the event. */
export function tallyOf(event: StreamEvent): ResultTally {
  if (!event.tally) throw new Error('changeEventCounts must run before the handler');
  return event.tally;
}

/**
 * Gives each batch a fresh tally, and publishes it once the batch is done, whether the handler
 * returned or threw: one `ChangeEvents` line per result, however many records the batch held,
 * then the `ConnectionTransitions` of the changes it published (health-metrics.ts).
 * Each line is a Powertools single metric, since each carries its own `Result`; Powertools'
 * `logMetrics` flushes one set of dimensions, and warns on every batch when it has none stored.
 */
export function changeEventCounts(
  metrics: Metrics | undefined,
): MiddlewareObj<StreamEvent, DynamoDBBatchResponse, Error, Context> {
  const publish = (event: StreamEvent) => {
    if (!metrics || !event.tally) return;
    for (const [result, value] of event.tally.counts) {
      const single = metrics.singleMetric();
      single.addDimension(DIMENSION.result, result);
      single.addMetric(CHANGE_EVENTS_METRIC, MetricUnit.Count, value);
    }
    publishTransitions(metrics, event.tally.transitions);
  };
  return {
    before: (request) => {
      request.event.tally = new ResultTally();
    },
    after: (request) => publish(request.event),
    onError: (request) => publish(request.event),
  };
}

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ConnectionChangeDetail } from '../events/change-event';
import type { Metrics } from '../observability/powertools';
import type { ConnectionCount, ConnectionCounts } from './connection-census';
import { dimensionValue } from './dimension-value';
import { CREATED_STATUS, DELETED_STATUS, HEALTH_DIMENSION, HEALTH_METRIC } from './names';

/**
 * One EMF line per count: each carries its own `Status` (and `Platform` or `SourceType`), and a
 * line holds one value per dimension, so counts of different statuses or platforms cannot share
 * one. Each is a Powertools single metric, as `changeEventCounts` publishes `ChangeEvents`: one
 * metric and at most four dimensions (`service`, `stage` and two), far inside EMF's 100 metrics
 * and 30 dimensions a line, however many platforms there are.
 */
function publishCount(metrics: Metrics, name: string, count: ConnectionCount | TransitionCount): void {
  const single = metrics.singleMetric();
  single.addDimension(HEALTH_DIMENSION.status, count.status);
  if (count.platform !== undefined) single.addDimension(HEALTH_DIMENSION.platform, count.platform);
  if ('sourceType' in count && count.sourceType !== undefined) {
    single.addDimension(HEALTH_DIMENSION.sourceType, count.sourceType);
  }
  single.addMetric(name, MetricUnit.Count, count.count);
}

/**
 * Publishes a complete walk's `Connections`: by status, by status and platform, by status and
 * source type; one data point each, so that the largest of a day is the day's count.
 */
export function publishConnectionCounts(metrics: Metrics, counts: ConnectionCounts): void {
  for (const count of [...counts.byStatus, ...counts.byPlatform, ...counts.bySourceType]) {
    publishCount(metrics, HEALTH_METRIC.connections, count);
  }
}

/** One count of `ConnectionTransitions`: by new status alone, or with the platform. */
export interface TransitionCount {
  status: string;
  platform?: string;
  count: number;
}

/**
 * The status a change event moved its connection to, or `undefined` when it moved none: a new
 * connection counts as `Created` and a deletion as `Deleted`, whatever their status; an update
 * only when the status differs from the one before (not a change of other fields, nor a
 * `connection.failed` that left the status as it was).
 */
export function transitionOf(detail: ConnectionChangeDetail): string | undefined {
  if (detail.change === 'created') return CREATED_STATUS;
  if (detail.change === 'deleted') return DELETED_STATUS;
  return detail.statusChanged ? detail.status : undefined;
}

/** One batch's transitions by new status and platform, published once, as the batch's `ChangeEvents` are. */
export class TransitionTally {
  readonly #counts = new Map<string, TransitionCount>();

  /** Counts one published change event, if it moved its connection to another status. */
  add(detail: ConnectionChangeDetail): void {
    const status = transitionOf(detail);
    if (status === undefined) return;
    const platform = dimensionValue(detail.platformName);
    const key = JSON.stringify([status, platform]);
    const known = this.#counts.get(key) ?? { status, platform, count: 0 };
    known.count += 1;
    this.#counts.set(key, known);
  }

  /** By status and platform, then by status alone (the sums of the former): what is published. */
  counts(): TransitionCount[] {
    const byPlatform = [...this.#counts.values()];
    const byStatus = new Map<string, number>();
    for (const { status, count } of byPlatform) byStatus.set(status, (byStatus.get(status) ?? 0) + count);
    return [...byPlatform, ...[...byStatus].map(([status, count]) => ({ status, count }))];
  }
}

/** Publishes a batch's `ConnectionTransitions`; nothing for a batch that moved no status. */
export function publishTransitions(metrics: Metrics, tally: TransitionTally): void {
  for (const count of tally.counts()) publishCount(metrics, HEALTH_METRIC.transitions, count);
}

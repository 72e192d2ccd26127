import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  GraphWidget,
  type IAlarm,
  type IMetric,
  type IWidget,
  Metric,
  Stats,
} from 'aws-cdk-lib/aws-cloudwatch';
import { DIMENSION, METRICS_NAMESPACE, SERVICE_NAME } from '../src/observability/names';
import type { Stage } from './stage';

/** A count summed per 5 minutes: the resolution of the alarms and of most charts. */
export const SUM_PER_5_MINUTES = { statistic: Stats.SUM, period: Duration.minutes(5) };

export interface ServiceMetricOptions {
  /**
   * Dimensions besides `service` and `stage`, such as `Result`.
   * @default - none
   */
  readonly dimensions?: Record<string, string>;
  /** @default Stats.SUM */
  readonly statistic?: string;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
  /** @default - the metric's name */
  readonly label?: string;
}

/**
 * One of the metrics the functions publish themselves: namespace `METRICS_NAMESPACE`, with the
 * `service` and `stage` dimensions every one of them carries.
 */
export function serviceMetric(stage: Stage, metricName: string, options: ServiceMetricOptions = {}): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { [DIMENSION.service]: SERVICE_NAME, [DIMENSION.stage]: stage, ...options.dimensions },
    statistic: options.statistic ?? Stats.SUM,
    period: options.period ?? Duration.minutes(5),
    label: options.label,
  });
}

export interface GraphOptions {
  /** @default false */
  readonly stacked?: boolean;
  /**
   * The left axis label, such as `ms`.
   * @default - no label
   */
  readonly unit?: string;
  /**
   * A time range of the graph's own, such as `-P14D`, for metrics too sparse for the dashboard's.
   * @default - the dashboard's time range
   */
  readonly start?: string;
}

/** A half-width graph from zero up, the one shape every section's charts take. */
export function graph(title: string, left: IMetric[], options: GraphOptions = {}): GraphWidget {
  return new GraphWidget({
    title,
    left,
    width: 12,
    height: 6,
    stacked: options.stacked ?? false,
    leftYAxis: { min: 0, label: options.unit, showUnits: false },
    start: options.start,
  });
}

/**
 * The dashboard's alarm status widget, with alarms registered by `add` after it is placed:
 * the `AlarmStatusWidget` it renders is built only when the dashboard is synthesized, from every
 * alarm registered by then, rather than by appending to an array a built widget holds.
 */
export class AlarmStatus implements IWidget {
  readonly width = 24;
  readonly height: number;
  private readonly title: string;
  private readonly alarms: IAlarm[] = [];
  private x = 0;
  private y = 0;

  constructor(props: { title: string; height: number }) {
    this.title = props.title;
    this.height = props.height;
  }

  /** Shows these alarms on the widget, after those registered before. */
  add(...alarms: IAlarm[]): void {
    this.alarms.push(...alarms);
  }

  position(x: number, y: number): void {
    this.x = x;
    this.y = y;
  }

  toJson(): unknown[] {
    const widget = new AlarmStatusWidget({
      title: this.title,
      alarms: [...this.alarms],
      width: this.width,
      height: this.height,
    });
    widget.position(this.x, this.y);
    return widget.toJson();
  }
}

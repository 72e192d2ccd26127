import { Duration } from 'aws-cdk-lib';
import { type Alarm, type IWidget, MathExpression, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CONNECTION_STATUSES } from '../src/connection/schema';
import {
  BROKEN_STATUSES,
  CREATED_STATUS,
  DELETED_STATUS,
  HEALTH_DIMENSION,
  HEALTH_METRIC,
} from '../src/health/names';
import { DIMENSION, METRICS_NAMESPACE, SERVICE_NAME } from '../src/observability/names';
import { stackAlarm } from './alarm';
import { graph, serviceMetric } from './dashboard-parts';
import type { Stage } from './stage';

/**
 * Connections that become `Deauthorized` or `Unlinked` within an hour, past which the surge
 * alarm fires: tune it with `-c healthSurgeThreshold=` to a few times the busiest hour of a
 * normal week (the "Transitions by new status" chart).
 */
export const DEFAULT_HEALTH_SURGE_THRESHOLD = 50;

/** How many platforms the Metrics Insights charts name: the ones with the most. */
const TOP_PLATFORMS = 10;

export interface ConnectionHealthProps {
  readonly stage: Stage;
  /** Where the alarm goes: the stack's alarm topic. */
  readonly alarmTopic: ITopic;
  /**
   * Transitions to `Deauthorized` or `Unlinked` in one hour that fire the surge alarm.
   * @default DEFAULT_HEALTH_SURGE_THRESHOLD
   */
  readonly surgeThreshold?: number;
}

/**
 * Connection health (issue 19): charts of the `Connections` the sweep counts after each
 * complete walk and of the `ConnectionTransitions` the publisher counts as changes happen, and
 * an alarm on a surge of transitions to `Deauthorized` or `Unlinked` (a platform's
 * authorization failing for many companies). Its metrics come from EMF log lines the functions
 * write already: no grant of its own.
 */
export class ConnectionHealth extends Construct {
  /** Many connections became `Deauthorized` or `Unlinked` within an hour. */
  readonly surgeAlarm: Alarm;
  readonly alarms: Alarm[];
  /** The charts, for the stack's dashboard ("Connection health"). */
  readonly dashboardRows: IWidget[][];

  constructor(scope: Construct, id: string, props: ConnectionHealthProps) {
    super(scope, id);
    const { stage } = props;
    const threshold = props.surgeThreshold ?? DEFAULT_HEALTH_SURGE_THRESHOLD;
    const hourly = { statistic: Stats.SUM, period: Duration.hours(1) };
    const transitions = (status: string) =>
      serviceMetric(stage, HEALTH_METRIC.transitions, {
        ...hourly,
        dimensions: { [HEALTH_DIMENSION.status]: status },
        label: status,
      });

    // FILL: an hour with transitions of one status and none of the other still adds up.
    const broken = new MathExpression({
      expression: BROKEN_STATUSES.map((status) => `FILL(${status.toLowerCase()}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(
        BROKEN_STATUSES.map((status) => [status.toLowerCase(), transitions(status)]),
      ),
      label: 'connections that became Deauthorized or Unlinked',
      period: Duration.hours(1),
    });
    this.surgeAlarm = stackAlarm(this, 'DisconnectionSurge', {
      metric: broken,
      threshold,
      description:
        `${threshold} or more connections became Deauthorized or Unlinked within an hour: a platform's ` +
        'authorization may be failing for many companies at once.',
      topic: props.alarmTopic,
    });
    this.alarms = [this.surgeAlarm];

    // One data point per walk: the largest of a day is that day's count.
    const counts = CONNECTION_STATUSES.map((status) =>
      serviceMetric(stage, HEALTH_METRIC.connections, {
        statistic: Stats.MAXIMUM,
        period: Duration.days(1),
        dimensions: { [HEALTH_DIMENSION.status]: status },
        label: status,
      }),
    );
    this.dashboardRows = [
      [
        graph('Connections by status, after each walk (30 days)', counts, { start: '-P30D' }),
        // Metrics Insights reads at most the last two weeks.
        graph(
          `Platforms with the most Deauthorized or Unlinked connections (top ${TOP_PLATFORMS}, 14 days)`,
          [
            new MathExpression({
              expression: brokenByPlatform(stage, HEALTH_METRIC.connections, 'MAX'),
              label: '',
              period: Duration.days(1),
            }),
          ],
          { start: '-P14D' },
        ),
      ],
      [
        graph(
          'Transitions by new status, per hour',
          [CREATED_STATUS, ...CONNECTION_STATUSES, DELETED_STATUS].map(transitions),
          {
            stacked: true,
          },
        ),
        graph(`Transitions to Deauthorized or Unlinked by platform, per hour (top ${TOP_PLATFORMS})`, [
          new MathExpression({
            expression: brokenByPlatform(stage, HEALTH_METRIC.transitions, 'SUM'),
            label: '',
            period: Duration.hours(1),
          }),
        ]),
      ],
    ];
  }
}

/**
 * A Metrics Insights query: `metricName` of this stage by platform and status, for the statuses
 * of `BROKEN_STATUSES`, the `TOP_PLATFORMS` largest. `SCHEMA` names every dimension, so that only
 * the by-platform series match, not the by-status totals.
 */
function brokenByPlatform(stage: Stage, metricName: string, aggregate: 'MAX' | 'SUM'): string {
  const { platform, status } = HEALTH_DIMENSION;
  const statuses = BROKEN_STATUSES.map((value) => `${status} = '${value}'`).join(' OR ');
  return (
    `SELECT ${aggregate}(${metricName}) ` +
    `FROM SCHEMA(${METRICS_NAMESPACE}, ${platform}, ${DIMENSION.service}, ${DIMENSION.stage}, ${status}) ` +
    `WHERE ${DIMENSION.service} = '${SERVICE_NAME}' AND ${DIMENSION.stage} = '${stage}' AND (${statuses}) ` +
    `GROUP BY ${platform}, ${status} ORDER BY ${aggregate}() DESC LIMIT ${TOP_PLATFORMS}`
  );
}

import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  type IWidget,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DIMENSION, RECONCILE_CHANGES, RECONCILE_METRIC } from '../src/observability/names';
import { graph, type ServiceMetricOptions, serviceMetric } from './dashboard-parts';
import type { Stage } from './stage';

export interface ReconcilerMonitoringProps {
  readonly stage: Stage;
  readonly stateMachine: IStateMachine;
  /** Where the alarms go: the stack's alarm topic. */
  readonly alarmTopic: ITopic;
}

/**
 * The reconciler's alarms: a reconciliation that did not complete, and the webhook endpoint
 * disabled at the provider. They are created in `scope`, the reconciler, whose children they
 * have always been: another parent would change their logical ids, and CloudFormation cannot
 * replace an alarm that keeps its name.
 */
export function reconcilerAlarms(scope: Construct, props: ReconcilerMonitoringProps): Alarm[] {
  const prefix = Stack.of(scope).stackName;
  const action = new SnsAction(props.alarmTopic);
  const alarm = (name: string, metric: IMetric, description: string) => {
    const created = new Alarm(scope, name, {
      alarmName: `${prefix}-${name}`,
      alarmDescription: `${description} See the runbook in docs/operating.md.`,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(action);
    created.addOkAction(action);
    return created;
  };
  const hourly = { statistic: Stats.SUM, period: Duration.hours(1) };
  return [
    alarm(
      'ReconcileFailed',
      new MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: props.stateMachine.metricFailed(hourly),
          timedOut: props.stateMachine.metricTimedOut(hourly),
          aborted: props.stateMachine.metricAborted(hourly),
        },
        label: 'reconciliations that did not complete',
        period: Duration.hours(1),
      }),
      'A reconciliation did not complete (a page kept failing, an invalid item, the API key not set, or a crash): nothing was deleted.',
    ),
    alarm(
      'WebhookEndpointDisabled',
      serviceMetric(props.stage, RECONCILE_METRIC.endpointDisabled, {
        statistic: Stats.MAXIMUM,
        period: Duration.hours(1),
      }),
      'Codat lists this stack’s webhook endpoint as disabled: no deliveries arrive until it is enabled again in the portal.',
    ),
  ];
}

/**
 * The reconciler's charts. A walk publishes one data point when it ends, and runs daily by
 * default: so one point a day over the last two weeks, where the dashboard's 24 hours of
 * 5-minute periods would show a lone dot or nothing.
 */
export function reconcilerDashboardRows(
  props: Pick<ReconcilerMonitoringProps, 'stage' | 'stateMachine'>,
): IWidget[][] {
  const { stage, stateMachine } = props;
  const daily = { statistic: Stats.SUM, period: Duration.days(1) };
  const walk = (metricName: string, label: string, options: ServiceMetricOptions = {}) =>
    serviceMetric(stage, metricName, { ...daily, label, ...options });
  // The largest walk of the day, for what is a level rather than an amount of work.
  const max = { statistic: Stats.MAXIMUM };
  const fortnight = { start: '-P14D' };
  return [
    [
      graph(
        'Changes by kind, per day (14 days)',
        RECONCILE_CHANGES.map((change) =>
          walk(RECONCILE_METRIC.changes, change, { dimensions: { [DIMENSION.change]: change } }),
        ),
        { ...fortnight, stacked: true },
      ),
      graph(
        'Executions, per day (14 days)',
        [
          stateMachine.metricSucceeded({ ...daily, label: 'succeeded' }),
          stateMachine.metricFailed({ ...daily, label: 'failed' }),
          stateMachine.metricTimedOut({ ...daily, label: 'timed out' }),
          stateMachine.metricAborted({ ...daily, label: 'aborted' }),
        ],
        fortnight,
      ),
    ],
    [
      graph(
        'Codat API requests and throttles, per day (14 days)',
        [
          walk(RECONCILE_METRIC.apiRequests, 'requests'),
          walk(RECONCILE_METRIC.apiThrottles, 'throttled (429)'),
        ],
        fortnight,
      ),
      graph('Longest walk of the day (14 days)', [walk(RECONCILE_METRIC.walkSeconds, 'walk', max)], {
        ...fortnight,
        unit: 's',
      }),
    ],
    [
      graph(
        'Incomplete walks and webhook endpoint health, per day (14 days)',
        [
          walk(RECONCILE_METRIC.incomplete, 'incomplete walks'),
          walk(RECONCILE_METRIC.invalidItems, 'invalid items (named in the sweep log line)'),
          walk(RECONCILE_METRIC.endpointDisabled, 'endpoint disabled', max),
          walk(RECONCILE_METRIC.endpointMissing, 'endpoint missing', max),
          walk(RECONCILE_METRIC.endpointUnchecked, 'endpoint unchecked', max),
        ],
        fortnight,
      ),
      graph(
        'Companies and connections, largest walk of the day (14 days)',
        [
          walk(RECONCILE_METRIC.companies, 'companies', max),
          walk(RECONCILE_METRIC.connections, 'connections', max),
        ],
        fortnight,
      ),
    ],
  ];
}

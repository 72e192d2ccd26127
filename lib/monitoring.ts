import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  DELIVERY_RESULTS,
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  REJECTION_CODES,
  type RejectionCode,
  SERVICE_NAME,
} from '../src/observability/names';
import type { AlarmThresholds, Stage } from './stage';

/** The rejections answered 401: a missing header, a stale timestamp, a signature that does not match. */
const UNAUTHORIZED_CODES: readonly RejectionCode[] = ['missing-header', 'timestamp', 'signature'];

const FIVE_MINUTES = Duration.minutes(5);

export interface MonitoringProps {
  readonly stage: Stage;
  readonly api: IHttpApi;
  readonly receiver: IFunction;
  readonly table: Table;
  readonly thresholds: AlarmThresholds;
  /**
   * Subscribes this address to the alarm topic (SNS mails a confirmation link first).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Alarms when the endpoint gets no request at all for this many minutes.
   * @default - no such alarm: a quiet week is normal for a small Codat account
   */
  readonly noDeliveriesAlarmMinutes?: number;
}

/**
 * The receiver's alarms, all sent to one SNS topic, and its CloudWatch dashboard. Alarm names
 * and the dashboard name start with the stack name, so that stages sit side by side.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { api, receiver, table, thresholds, stage } = props;
    const prefix = Stack.of(this).stackName;

    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `${prefix} alarms`,
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry alarm names and states, no delivery data. Encrypting them needs a ' +
        'customer-managed KMS key whose policy lets CloudWatch publish (the AWS-managed SNS key does not).',
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const custom = (metricName: string, dimensions: Record<string, string> = {}, statistic = Stats.SUM) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [DIMENSION.service]: SERVICE_NAME, [DIMENSION.stage]: stage, ...dimensions },
        statistic,
        period: FIVE_MINUTES,
      });
    const deliveries = (result: string) =>
      custom(METRIC.deliveries, { [DIMENSION.result]: result }).with({ label: result });
    const rejections = (reason: string) =>
      custom(METRIC.rejections, { [DIMENSION.reason]: reason }).with({ label: reason });
    const sum = { statistic: Stats.SUM, period: FIVE_MINUTES };

    const unauthorized = new MathExpression({
      expression: `SUM([${UNAUTHORIZED_CODES.map((_, index) => `r${index}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(
        UNAUTHORIZED_CODES.map((code, index) => [`r${index}`, rejections(code)]),
      ),
      label: '401 answers',
      period: FIVE_MINUTES,
    });

    const alarm = (name: string, metric: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, name, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: `${description} See the runbook in the README.`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.alarms.push(created);
      return created;
    };

    alarm(
      'ServerErrors',
      api.metricServerError(sum),
      thresholds.serverErrors,
      'The webhook endpoint answered 5xx: storage or the signing secret unavailable, or a bug. Codat retries for about 28 hours.',
    );
    alarm(
      'FunctionErrors',
      receiver.metricErrors(sum),
      thresholds.functionErrors,
      'The receiver function failed (crash or timeout) rather than answering.',
    );
    alarm(
      'FunctionThrottles',
      receiver.metricThrottles(sum),
      thresholds.functionErrors,
      'Lambda throttled the receiver: the account or function concurrency limit was reached.',
    );
    alarm(
      'TableWriteThrottles',
      table.metricThrottledRequestsForOperation(Operation.UPDATE_ITEM, sum),
      thresholds.tableWriteFaults,
      'DynamoDB throttled writes to the connection table.',
    );
    alarm(
      'TableWriteErrors',
      table.metricSystemErrorsForOperations({ operations: [Operation.UPDATE_ITEM], ...sum }),
      thresholds.tableWriteFaults,
      'DynamoDB failed writes to the connection table with a system error.',
    );
    alarm(
      'Unauthorized',
      unauthorized,
      thresholds.unauthorized,
      'A burst of 401 answers: a wrong signing secret after a rotation, or someone sending forged requests.',
    );
    if (props.noDeliveriesAlarmMinutes !== undefined) {
      const minutes = props.noDeliveriesAlarmMinutes;
      const quiet = new Alarm(this, 'NoDeliveries', {
        alarmName: `${prefix}-NoDeliveries`,
        alarmDescription: `No request reached the webhook endpoint for ${minutes} minutes. See the runbook in the README.`,
        metric: api.metricCount({ statistic: Stats.SUM, period: Duration.minutes(minutes) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        // No request at all means no data point: that is the very case to wake someone for.
        treatMissingData: TreatMissingData.BREACHING,
      });
      this.alarms.push(quiet);
    }
    const action = new SnsAction(this.topic);
    for (const each of this.alarms) {
      each.addAlarmAction(action);
      each.addOkAction(action);
    }

    const graph = (title: string, left: IMetric[], options: { stacked?: boolean; unit?: string } = {}) =>
      new GraphWidget({
        title,
        left,
        width: 12,
        height: 6,
        stacked: options.stacked ?? false,
        leftYAxis: { min: 0, label: options.unit, showUnits: false },
      });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# Codat connections: ${stage}\n` +
          'Deliveries arrive (requests, results) and land (applied, duplicate, stale). ' +
          'Find one delivery in Logs Insights by its webhookId; the runbook is in the README.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Deliveries by result (per 5 min)', DELIVERY_RESULTS.map(deliveries), { stacked: true }),
      graph('Rejections by reason (per 5 min)', REJECTION_CODES.map(rejections), { stacked: true }),
    );
    this.dashboard.addWidgets(
      graph(
        'Latency',
        [
          api.metricLatency({ statistic: Stats.p(50), label: 'API p50', period: FIVE_MINUTES }),
          api.metricLatency({ statistic: Stats.p(99), label: 'API p99', period: FIVE_MINUTES }),
          receiver.metricDuration({ statistic: Stats.p(50), label: 'function p50', period: FIVE_MINUTES }),
          receiver.metricDuration({ statistic: Stats.p(99), label: 'function p99', period: FIVE_MINUTES }),
        ],
        { unit: 'ms' },
      ),
      graph('5xx answers and failures (per 5 min)', [
        api.metricServerError({ ...sum, label: 'API 5xx' }),
        receiver.metricErrors({ ...sum, label: 'function errors' }),
        deliveries('failed').with({ label: 'deliveries failed (503/500)' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Throttles (per 5 min)', [
        receiver.metricThrottles({ ...sum, label: 'Lambda throttles' }),
        table.metricThrottledRequestsForOperation(Operation.UPDATE_ITEM, {
          ...sum,
          label: 'DynamoDB UpdateItem throttled',
        }),
      ]),
      graph(
        'Lag, generatedDate to receipt',
        [
          custom(METRIC.deliveryLag, {}, Stats.p(50)).with({ label: 'p50' }),
          custom(METRIC.deliveryLag, {}, Stats.p(99)).with({ label: 'p99' }),
          custom(METRIC.deliveryLag, {}, Stats.MAXIMUM).with({ label: 'max' }),
        ],
        { unit: 'ms' },
      ),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
  }
}

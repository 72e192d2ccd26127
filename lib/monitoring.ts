import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  type Alarm,
  ComparisonOperator,
  Dashboard,
  type IAlarm,
  type IMetric,
  type IWidget,
  MathExpression,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  DELIVERY_RESULTS,
  DIMENSION,
  METRIC,
  REJECTION_CODES,
  type RejectionCode,
} from '../src/observability/names';
import { alarmTopic, stackAlarm } from './alarm';
import { AlarmStatus, graph, SUM_PER_5_MINUTES, serviceMetric } from './dashboard-parts';
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
 * The receiver's alarms, the SNS topic every alarm of the stack notifies, and the stack's
 * CloudWatch dashboard: the receiver's section, and one more per part through `addSection`.
 * Alarm names and the dashboard name start with the stack name, so that stages sit side by side.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  /** The receiver's alarms; the other parts' alarms belong to their constructs. */
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  /** Every section's alarms, right below the title, so that one look finds any alarm of the stack. */
  private readonly alarmStatus = new AlarmStatus({ title: 'Alarms', height: 4 });

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { api, receiver, table, thresholds, stage } = props;
    const prefix = Stack.of(this).stackName;

    this.topic = alarmTopic(this, 'AlarmTopic');
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const deliveries = (result: string) =>
      serviceMetric(stage, METRIC.deliveries, { dimensions: { [DIMENSION.result]: result }, label: result });
    const rejections = (reason: string) =>
      serviceMetric(stage, METRIC.rejections, { dimensions: { [DIMENSION.reason]: reason }, label: reason });
    const lag = (statistic: string, label: string) =>
      serviceMetric(stage, METRIC.deliveryLag, { statistic, label });
    const sum = SUM_PER_5_MINUTES;
    const percentile = (p: number, label: string) => ({ statistic: Stats.p(p), period: FIVE_MINUTES, label });

    const unauthorized = new MathExpression({
      expression: `SUM([${UNAUTHORIZED_CODES.map((_, index) => `r${index}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(
        UNAUTHORIZED_CODES.map((code, index) => [`r${index}`, rejections(code)]),
      ),
      label: '401 answers',
      period: FIVE_MINUTES,
    });

    const alarm = (name: string, metric: IMetric, threshold: number, description: string) =>
      this.alarms.push(stackAlarm(this, name, { metric, threshold, description, topic: this.topic }));

    alarm(
      'ServerErrors',
      api.metricServerError(sum),
      thresholds.serverErrors,
      'The HTTP API answered 5xx, on the webhook endpoint (storage or the signing secret unavailable, or a bug; Codat retries for about 28 hours) or on a read route.',
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
      const quiet = stackAlarm(this, 'NoDeliveries', {
        description: `No request reached the webhook endpoint for ${minutes} minutes.`,
        metric: api.metricCount({ statistic: Stats.SUM, period: Duration.minutes(minutes) }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        // No request at all means no data point: that is the very case to wake someone for.
        treatMissingData: TreatMissingData.BREACHING,
        topic: this.topic,
      });
      this.alarms.push(quiet);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# Codat connections: ${stage}\n` +
          'Every alarm of the stack, then a section per part: the webhook receiver, the change events, ' +
          'the reconciler and the read API. Find one delivery in Logs Insights by its webhookId; ' +
          'the runbook is in docs/operating.md.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(this.alarmStatus);

    // Deliveries arrive (requests, results) and land (applied, duplicate, stale).
    this.addSection(
      'Webhook receiver',
      [
        [
          graph('Deliveries by result (per 5 min)', DELIVERY_RESULTS.map(deliveries), { stacked: true }),
          graph('Rejections by reason (per 5 min)', REJECTION_CODES.map(rejections), { stacked: true }),
        ],
        [
          graph(
            'Latency',
            [
              api.metricLatency(percentile(50, 'API p50')),
              api.metricLatency(percentile(99, 'API p99')),
              receiver.metricDuration(percentile(50, 'function p50')),
              receiver.metricDuration(percentile(99, 'function p99')),
            ],
            { unit: 'ms' },
          ),
          graph('5xx answers and failures (per 5 min)', [
            api.metricServerError({ ...sum, label: 'API 5xx' }),
            receiver.metricErrors({ ...sum, label: 'function errors' }),
            deliveries('failed').with({ label: 'deliveries failed (503/500)' }),
          ]),
        ],
        [
          graph('Throttles (per 5 min)', [
            receiver.metricThrottles({ ...sum, label: 'Lambda throttles' }),
            table.metricThrottledRequestsForOperation(Operation.UPDATE_ITEM, {
              ...sum,
              label: 'DynamoDB UpdateItem throttled',
            }),
          ]),
          graph(
            'Lag, generatedDate to receipt',
            [lag(Stats.p(50), 'p50'), lag(Stats.p(99), 'p99'), lag(Stats.MAXIMUM, 'max')],
            { unit: 'ms' },
          ),
        ],
      ],
      this.alarms,
    );

    new CfnOutput(Stack.of(this), 'AlarmTopicArn', {
      value: this.topic.topicArn,
      description: 'SNS topic every alarm notifies; subscribe the on-call channel to it',
    });
    new CfnOutput(Stack.of(this), 'DashboardName', {
      value: this.dashboard.dashboardName,
      description: 'CloudWatch dashboard: every alarm; the receiver, change events, reconciler, read API',
    });
  }

  /**
   * Adds a part of the stack below the sections added before: a heading, then `rows`, each laid
   * out left to right, and shows `alarms` on the alarm status widget at the top.
   */
  addSection(title: string, rows: IWidget[][], alarms: readonly IAlarm[] = []): void {
    this.dashboard.addWidgets(new TextWidget({ markdown: `## ${title}`, width: 24, height: 1 }));
    for (const row of rows) this.dashboard.addWidgets(...row);
    this.alarmStatus.add(...alarms);
  }
}

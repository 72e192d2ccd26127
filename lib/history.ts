import { fileURLToPath } from 'node:url';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IWidget, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, type ITable, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HISTORY_TABLE } from '../src/history/history-table';
import { HISTORY_METRIC } from '../src/observability/names';
import { graph, serviceMetric } from './dashboard-parts';
import { NodeFunction } from './node-function';
import type { Stage, StageSettings } from './stage';

export interface HistoryProps {
  readonly stage: Stage;
  readonly settings: StageSettings;
  /** The Connection table; its stream must carry NEW_AND_OLD_IMAGES. */
  readonly table: ITable;
  /** Where the alarms go: the stack's alarm topic. */
  readonly alarmTopic: ITopic;
  /** Days a history item is kept before DynamoDB TTL removes it (checked by the stack). */
  readonly historyDays: number;
}

/**
 * Connection history (issue 19, docs/history.md): a table of its own, written by a second
 * consumer of the Connection table's stream, beside the change-event publisher, which may only
 * put history items. Records that still fail after the retries are named on an SQS queue,
 * which alarms. The read route is the read API's (`ReadApi`, handed this construct).
 */
export class History extends Construct {
  readonly table: Table;
  readonly writer: NodeFunction;
  readonly failures: Queue;
  /** Failed history writes, and history behind the table; they notify the `alarmTopic`. */
  readonly alarms: Alarm[];
  /** The writer's charts, for the stack's dashboard. */
  readonly dashboardRows: IWidget[][];

  /**
   * Grants `actions` on the history table itself (not its index: no function reads a
   * company's history yet) and passes its name in `HISTORY_TABLE_NAME`, in one step.
   */
  use(fn: NodeFunction, actions: readonly string[]): void {
    fn.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources: [this.table.tableArn] }));
    fn.addEnvironment('HISTORY_TABLE_NAME', this.table.tableName);
  }

  constructor(scope: Construct, id: string, props: HistoryProps) {
    super(scope, id);
    const { settings, stage } = props;
    const prefix = Stack.of(this).stackName;
    const { partitionKey, sortKey, companyIndex, expiryAttribute } = HISTORY_TABLE;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: expiryAttribute,
      removalPolicy: settings.removalPolicy,
      deletionProtection: settings.tableDeletionProtection,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: companyIndex.name,
      partitionKey: { name: companyIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: companyIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    // Lambda sends a failed batch's shard and sequence numbers here (not the records, which
    // the stream keeps 24 hours): the alarm says to read them back.
    this.failures = new Queue(this, 'RecordFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the on-failure destination of the stream mapping: a dead-letter queue itself.',
    });

    this.writer = new NodeFunction(this, 'RecordHistory', {
      entry: fileURLToPath(new URL('../functions/record-history.ts', import.meta.url)),
      description: 'Codat connection table stream → one history item per applied change',
      environment: { STAGE: stage, LOG_LEVEL: settings.logLevel, HISTORY_DAYS: String(props.historyDays) },
      timeout: Duration.seconds(60),
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    });
    // PutItem alone: BatchWriteItem would also allow deletes (docs/history.md).
    this.use(this.writer, ['dynamodb:PutItem']);
    this.writer.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        // No order to keep (the sort key orders the history) and idempotent puts: large
        // batches, every record tried, only the failed ones retried.
        batchSize: 100,
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(6),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.failures),
        // Removals make no history item (a TTL expiry, a removal by hand): not worth an invocation.
        filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY') })],
      }),
    );
    Validations.of(this.writer.role ?? this.writer).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, which the stream mapping needs, takes no resource ARN.',
    });

    const maxPerFiveMinutes = { period: Duration.minutes(5), statistic: Stats.MAXIMUM };
    const waiting = this.failures.metricApproximateNumberOfMessagesVisible(maxPerFiveMinutes);
    const iteratorAge = this.writer.metric('IteratorAge', maxPerFiveMinutes);
    this.alarms = [
      new Alarm(this, 'RecordFailed', {
        alarmName: `${prefix}-HistoryFailed`,
        alarmDescription:
          'Stream records could not be written to the connection history after every retry: their place is on the history failure queue. See docs/history.md.',
        metric: waiting,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'RecordBehind', {
        alarmName: `${prefix}-HistoryBehind`,
        alarmDescription:
          'The connection history is more than 15 minutes behind the table (the writer keeps failing, or is throttled). See docs/history.md.',
        metric: iteratorAge,
        threshold: 15 * 60_000,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    const topicAction = new SnsAction(props.alarmTopic);
    for (const created of this.alarms) {
      created.addAlarmAction(topicAction);
      created.addOkAction(topicAction);
    }

    const records = Object.entries(HISTORY_METRIC).map(([label, name]) =>
      serviceMetric(stage, name, { label }),
    );
    this.dashboardRows = [
      [
        graph('History records by result (per 5 min)', records, { stacked: true }),
        graph('History behind the table: iterator age (max)', [iteratorAge.with({ label: 'max' })], {
          unit: 'ms',
        }),
      ],
    ];
  }
}

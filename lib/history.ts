import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm, IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, type ITable, ProjectionType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HISTORY_TABLE } from '../src/history/history-table';
import { HISTORY_METRIC } from '../src/observability/names';
import { graph, SUM_PER_5_MINUTES, serviceMetric } from './dashboard-parts';
import { NodeFunction } from './node-function';
import type { Stage, StageSettings } from './stage';
import { streamConsumer } from './stream-consumer';
import { expiringTable } from './table';

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
 * consumer of the Connection table's stream (beside the change-event publisher) that may only
 * put history items. Records that still fail after the retries are named on an SQS queue,
 * which alarms. The read route is the read API's (`ReadApi`, handed this construct).
 */
export class History extends Construct {
  readonly table: Table;
  readonly writer: NodeFunction;
  readonly failures: Queue;
  /** The writer's mapping on the Connection table's stream, beside the publisher's. */
  readonly streamMapping: EventSourceMapping;
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
    const { companyIndex } = HISTORY_TABLE;

    this.table = expiringTable(this, 'Table', {
      layout: HISTORY_TABLE,
      sortKeyType: AttributeType.STRING,
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
    const { mapping, waiting, iteratorAge, failedAlarm, behindAlarm } = streamConsumer(this, {
      table: props.table,
      fn: this.writer,
      failures: this.failures,
      // No order to keep (the sort key orders the history) and idempotent puts: large
      // batches, every record tried, only the failed ones retried.
      batchSize: 100,
      failedAlarm: {
        id: 'RecordFailed',
        name: 'HistoryFailed',
        description:
          'Stream records could not be written to the connection history after every retry: their place is on the history failure queue (docs/history.md says how to write them again).',
      },
      behindAlarm: {
        id: 'RecordBehind',
        name: 'HistoryBehind',
        description:
          'The connection history is more than 15 minutes behind the table (the writer keeps failing, or is throttled; docs/history.md).',
      },
      topic: props.alarmTopic,
    });
    this.streamMapping = mapping;
    this.alarms = [failedAlarm, behindAlarm];

    const records = Object.entries(HISTORY_METRIC).map(([label, name]) =>
      serviceMetric(stage, name, { label }),
    );
    const sum = SUM_PER_5_MINUTES;
    this.dashboardRows = [
      [
        graph('History records by result (per 5 min)', records, { stacked: true }),
        graph('History behind the table: iterator age (max)', [iteratorAge.with({ label: 'max' })], {
          unit: 'ms',
        }),
      ],
      [
        graph('History writer errors and throttles (per 5 min)', [
          this.writer.metricErrors({ ...sum, label: 'errors' }),
          this.writer.metricThrottles({ ...sum, label: 'throttles' }),
        ]),
        graph('Failed batches on the history failure queue (max)', [
          waiting.with({ label: 'messages visible' }),
        ]),
      ],
    ];

    new CfnOutput(Stack.of(this), 'HistoryTableName', {
      value: this.table.tableName,
      description: 'The connection history: one item per applied change; see docs/history.md',
    });
    new CfnOutput(Stack.of(this), 'HistoryFailuresQueueUrl', {
      value: this.failures.queueUrl,
      description: 'Stream batches that could not be written to the history; see docs/history.md',
    });
  }
}

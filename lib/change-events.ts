import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm, IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANGE_EVENT_DETAIL_TYPE, CHANGE_EVENT_SOURCE } from '../src/events/names';
import { CHANGE_EVENT_RESULTS, CHANGE_EVENTS_METRIC, DIMENSION } from '../src/observability/names';
import { eventArchiveDaysFromContext, notifyEmailFromContext } from './context';
import { graph, SUM_PER_5_MINUTES, serviceMetric } from './dashboard-parts';
import { NodeFunction } from './node-function';
import type { Stage, StageSettings } from './stage';
import { streamConsumer } from './stream-consumer';

export interface ChangeEventsProps {
  readonly stage: Stage;
  readonly settings: StageSettings;
  /** The Connection table; its stream must carry NEW_AND_OLD_IMAGES. */
  readonly table: ITable;
  /** Where the alarms go: the stack's alarm topic. */
  readonly alarmTopic: ITopic;
  /**
   * Days the bus's archive keeps every change event, for a new consumer to replay.
   * @default 90
   */
  readonly archiveDays?: number;
  /**
   * E-mails this address when a connection becomes Unlinked or Deauthorized, or a
   * `connection.failed` is applied: the example consumer.
   * @default - no such consumer
   */
  readonly notifyEmail?: string;
}

/** Days the archive keeps change events when not told otherwise. */
export const DEFAULT_EVENT_ARCHIVE_DAYS = 90;

/** The example consumer's pattern: became Unlinked or Deauthorized, or a linking attempt failed. */
export const NOTIFY_PATTERN = {
  source: [CHANGE_EVENT_SOURCE],
  detailType: [CHANGE_EVENT_DETAIL_TYPE],
  detail: {
    $or: [
      { status: ['Unlinked', 'Deauthorized'], statusChanged: [true], deleted: [false] },
      { cause: { eventType: ['connection.failed'] } },
    ],
  },
};

/**
 * The table's stream → the publish-changes function → an EventBridge bus of the stack's own,
 * with an archive; records that still fail after the retries are named on an SQS queue, which
 * alarms. With `notifyEmail`, a rule mails the changes a small team wants to hear about.
 */
export class ChangeEvents extends Construct {
  readonly bus: EventBus;
  readonly publisher: NodeFunction;
  readonly failures: Queue;
  /** Failed publishing, and publishing behind the table; they notify the `alarmTopic`. */
  readonly alarms: Alarm[];
  /** The publisher's charts, for the stack's dashboard, at the alarms' 5-minute resolution. */
  readonly dashboardRows: IWidget[][];

  constructor(scope: Construct, id: string, props: ChangeEventsProps) {
    super(scope, id);
    const { settings, stage } = props;
    const prefix = Stack.of(this).stackName;
    // The same checks as for context values, so that a stack built in code is held to them too.
    const archiveDays = eventArchiveDaysFromContext(props.archiveDays) ?? DEFAULT_EVENT_ARCHIVE_DAYS;
    const notifyEmail = notifyEmailFromContext(props.notifyEmail);

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: `${prefix}-connection-changes`,
      description: 'One event per applied change of a Codat connection',
    });
    this.bus.archive('Archive', {
      description: 'Every change event, for new consumers to replay',
      eventPattern: { source: [CHANGE_EVENT_SOURCE] },
      retention: Duration.days(archiveDays),
    });

    // Lambda sends a failed batch's shard and sequence numbers here (not the records, which
    // the stream keeps 24 hours): the alarm says to read them back.
    this.failures = new Queue(this, 'PublishFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the on-failure destination of the stream mapping: a dead-letter queue itself.',
    });

    this.publisher = new NodeFunction(this, 'PublishChanges', {
      entry: fileURLToPath(new URL('../functions/publish-changes.ts', import.meta.url)),
      description: 'Codat connection table stream → change events on the stack’s bus',
      environment: { STAGE: stage, LOG_LEVEL: settings.logLevel, EVENT_BUS_NAME: this.bus.eventBusName },
      timeout: Duration.seconds(60),
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    });
    this.bus.grantPutEventsTo(this.publisher);
    const { waiting, iteratorAge, failedAlarm, behindAlarm } = streamConsumer(this, {
      table: props.table,
      fn: this.publisher,
      failures: this.failures,
      // Published one record after the other, each shard one batch at a time (the builder's
      // parallelization 1): events leave in the order the table applied them.
      batchSize: 25,
      failedAlarm: {
        id: 'PublishFailed',
        name: 'ChangeEventsFailed',
        description:
          'Stream records could not be published as change events after every retry: their place is on the failure queue.',
      },
      behindAlarm: {
        id: 'PublishBehind',
        name: 'ChangeEventsBehind',
        description:
          'Change events are more than 15 minutes behind the table (the publisher keeps failing, or is throttled).',
      },
      topic: props.alarmTopic,
    });
    this.alarms = [failedAlarm, behindAlarm];

    const sum = SUM_PER_5_MINUTES;
    const results = CHANGE_EVENT_RESULTS.map((result) =>
      serviceMetric(stage, CHANGE_EVENTS_METRIC, {
        dimensions: { [DIMENSION.result]: result },
        label: result,
      }),
    );
    this.dashboardRows = [
      [
        graph('Change events by result (per 5 min)', results, { stacked: true }),
        graph('Publisher behind the table: iterator age (max)', [iteratorAge.with({ label: 'max' })], {
          unit: 'ms',
        }),
      ],
      [
        graph('Publisher errors and throttles (per 5 min)', [
          this.publisher.metricErrors({ ...sum, label: 'errors' }),
          this.publisher.metricThrottles({ ...sum, label: 'throttles' }),
        ]),
        graph('Failed batches on the failure queue (max)', [waiting.with({ label: 'messages visible' })]),
      ],
    ];

    if (notifyEmail) this.notify(notifyEmail);

    new CfnOutput(Stack.of(this), 'EventBusName', {
      value: this.bus.eventBusName,
      description: `Change events (source ${CHANGE_EVENT_SOURCE}, detail-type ${CHANGE_EVENT_DETAIL_TYPE}): add your rules here`,
    });
    new CfnOutput(Stack.of(this), 'ChangeEventFailuresQueueUrl', {
      value: this.failures.queueUrl,
      description: 'Stream batches that could not be published; see the runbook',
    });
  }

  /** The example consumer: a readable e-mail per change worth a human's attention. */
  private notify(email: string): void {
    const topic = new Topic(this, 'Notifications', {
      displayName: `${Stack.of(this).stackName} connection changes`,
      enforceSSL: true,
    });
    topic.addSubscription(new EmailSubscription(email));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'The messages are e-mailed, in clear, as soon as they leave SNS; encrypting them at rest needs a customer-managed key that EventBridge may use, for no gain.',
    });
    const field = (path: string) => EventField.fromPath(`$.detail.${path}`);
    new Rule(this, 'NotifyRule', {
      eventBus: this.bus,
      description: 'Mails connections that became Unlinked or Deauthorized, and failed linking attempts',
      eventPattern: NOTIFY_PATTERN,
      targets: [
        new SnsTopic(topic, {
          message: RuleTargetInput.fromText(
            [
              field('summary'),
              '',
              `Company: ${field('companyName')} (${field('companyId')})`,
              `Platform: ${field('platformName')}, ${field('sourceType')}`,
              `Status: ${field('status')}`,
              `Cause: ${field('cause.eventType')} of ${field('cause.generatedDate')}`,
              `Connection: ${field('connectionId')}`,
            ].join('\n'),
          ),
        }),
      ],
    });
  }
}

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, StreamViewType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { CONNECTION_TABLE } from '../src/connection/table';
import { DEFAULT_HISTORY_DAYS, DEFAULT_TOMBSTONE_TTL_DAYS } from '../src/defaults';
import { ChangeEvents, type ChangeEventsProps } from './change-events';
import {
  alarmEmailFromContext,
  allowedSourceIpsFromContext,
  healthSurgeThresholdFromContext,
  historyDaysFromContext,
  noDeliveriesAlarmMinutesFromContext,
  reconcileScheduleFromContext,
  stageFromContext,
} from './context';
import { ConnectionHealth } from './health';
import { History } from './history';
import { Monitoring } from './monitoring';
import { ReadApi } from './read-api';
import { Reconciler } from './reconciler';
import { STAGE_SETTINGS, type Stage } from './stage';
import { expiringTable } from './table';
import { WebhookReceiver } from './webhook-receiver';

export interface ConnectionsStackProps extends StackProps {
  /**
   * Days a deleted connection's tombstone stays in the table before DynamoDB TTL removes it.
   * @default 30
   */
  readonly tombstoneTtlDays?: number;

  /**
   * Which stage this is: sets removal policies, log retention and alarm thresholds
   * (see `STAGE_SETTINGS`). Name the stack after it, `CodatConnections-<stage>`.
   * @default 'dev'
   */
  readonly stage?: Stage;

  /**
   * Mails the alarms to this address (SNS sends a confirmation link first).
   * @default - the topic has no subscription
   */
  readonly alarmEmail?: string;

  /**
   * Alarms when no request reaches the endpoint for this many minutes (5 to 1440).
   * @default - no such alarm
   */
  readonly noDeliveriesAlarmMinutes?: number;

  /**
   * Serve only these caller addresses (Codat publishes its own); others get 403 before any
   * other work. Defence in depth: the signature is checked all the same.
   * @default - any address
   */
  readonly allowedSourceIps?: string[];

  /**
   * When the reconciler runs: an EventBridge Scheduler `rate(...)` or `cron(...)` expression,
   * or `off` for no schedule.
   * @default 'rate(1 day)'
   */
  readonly reconcileSchedule?: string;

  /** The change events' `archiveDays` (default 90) and `notifyEmail` (default none). */
  readonly changeEvents?: Pick<ChangeEventsProps, 'archiveDays' | 'notifyEmail'>;

  /**
   * Days a connection's history item is kept before DynamoDB TTL removes it.
   * @default 400
   */
  readonly historyDays?: number;

  /**
   * Connections that become Deauthorized or Unlinked within an hour, past which the surge
   * alarm fires.
   * @default DEFAULT_HEALTH_SURGE_THRESHOLD (50)
   */
  readonly healthSurgeThreshold?: number;
}

/**
 * Codat connection webhooks in, one DynamoDB row per connection out:
 * HTTP API `POST /webhooks/codat` → Lambda (verify, validate, one conditional write) → table;
 * its stream → change events on a bus of its own; IAM-authorized read routes on the same API.
 */
export class ConnectionsStack extends Stack {
  /** The Connection table: one item per connection, whichever part wrote it. */
  readonly table: Table;
  readonly webhookReceiver: WebhookReceiver;
  readonly monitoring: Monitoring;
  readonly readApi: ReadApi;
  readonly changeEvents: ChangeEvents;
  readonly reconciler: Reconciler;
  readonly history: History;
  readonly health: ConnectionHealth;

  constructor(scope: Construct, id: string, props: ConnectionsStackProps = {}) {
    super(scope, id, props);
    // The same checks as for context values, so that a stack built in code is held to them too.
    const stage = stageFromContext(props.stage);
    const alarmEmail = alarmEmailFromContext(props.alarmEmail);
    const noDeliveriesAlarmMinutes = noDeliveriesAlarmMinutesFromContext(props.noDeliveriesAlarmMinutes);
    const allowedSourceIps = allowedSourceIpsFromContext(props.allowedSourceIps);
    const settings = STAGE_SETTINGS[stage];
    const tombstoneTtlDays = props.tombstoneTtlDays ?? DEFAULT_TOMBSTONE_TTL_DAYS;
    if (!Number.isSafeInteger(tombstoneTtlDays) || tombstoneTtlDays < 1) {
      throw new Error(
        `tombstoneTtlDays must be a whole number of days, at least 1, but is ${tombstoneTtlDays}`,
      );
    }

    const table = expiringTable(this, 'Connections', {
      layout: CONNECTION_TABLE,
      sortKeyType: AttributeType.STRING,
      // Every applied change, whoever wrote it, becomes a change event (lib/change-events.ts).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: settings.removalPolicy,
      deletionProtection: settings.tableDeletionProtection,
    });
    this.table = table;

    // Id 'Default', which CDK leaves out of its children's logical ids: the receiver's secret,
    // function and API keep the ids they had when the stack built them itself, so that a deploy
    // replaces none of them (the API's URL is the one pasted into the Codat portal).
    this.webhookReceiver = new WebhookReceiver(this, 'Default', {
      stage,
      settings,
      table,
      tombstoneTtlDays,
      allowedSourceIps,
    });
    const { api, handler: receiver } = this.webhookReceiver;

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage,
      api,
      receiver,
      table,
      thresholds: settings.alarms,
      alarmEmail,
      noDeliveriesAlarmMinutes,
    });
    const alarmTopic = this.monitoring.topic;

    const historyDays = historyDaysFromContext(props.historyDays) ?? DEFAULT_HISTORY_DAYS;
    this.history = new History(this, 'History', { stage, settings, table, alarmTopic, historyDays });
    this.readApi = new ReadApi(this, 'ReadApi', { stage, settings, api, table, history: this.history });
    const events = { stage, settings, table, alarmTopic, ...props.changeEvents };
    this.changeEvents = new ChangeEvents(this, 'ChangeEvents', events);
    this.reconciler = new Reconciler(this, 'Reconciler', {
      stage,
      settings,
      table,
      tombstoneTtlDays,
      webhookUrl: this.webhookReceiver.url,
      alarmTopic,
      schedule: reconcileScheduleFromContext(props.reconcileSchedule),
    });
    this.monitoring.addSection('Change events', this.changeEvents.dashboardRows, this.changeEvents.alarms);
    this.monitoring.addSection('Reconciler', this.reconciler.dashboardRows, this.reconciler.alarms);
    this.monitoring.addSection('Read API', this.readApi.dashboardRows);
    this.monitoring.addSection('Connection history', this.history.dashboardRows, this.history.alarms);
    const surgeThreshold = healthSurgeThresholdFromContext(props.healthSurgeThreshold);
    this.health = new ConnectionHealth(this, 'Health', { stage, alarmTopic, surgeThreshold });
    this.monitoring.addSection('Connection health', this.health.dashboardRows, this.health.alarms);

    new CfnOutput(this, 'TableName', {
      value: table.tableName,
      description: 'DynamoDB table holding one item per Codat connection',
    });
  }
}

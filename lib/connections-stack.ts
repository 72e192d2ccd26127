import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CONNECTION_TABLE } from '../src/connection/table';
import { DEFAULT_TOMBSTONE_TTL_DAYS, WEBHOOK_PATH } from '../src/defaults';
import { ChangeEvents, type ChangeEventsProps } from './change-events';
import {
  alarmEmailFromContext,
  allowedSourceIpsFromContext,
  noDeliveriesAlarmMinutesFromContext,
  reconcileScheduleFromContext,
  stageFromContext,
} from './context';
import { Monitoring } from './monitoring';
import { NodeFunction } from './node-function';
import { ReadApi } from './read-api';
import { Reconciler } from './reconciler';
import { STAGE_SETTINGS, type Stage } from './stage';

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
}

/**
 * Codat connection webhooks in, one DynamoDB row per connection out:
 * HTTP API `POST /webhooks/codat` → Lambda (verify, validate, one conditional write) → table;
 * its stream → change events on a bus of its own; IAM-authorized read routes on the same API.
 */
export class ConnectionsStack extends Stack {
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

    const table = new Table(this, 'Connections', {
      partitionKey: { name: CONNECTION_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: CONNECTION_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: CONNECTION_TABLE.expiryAttribute,
      // Every applied change, whoever wrote it, becomes a change event (lib/change-events.ts).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      removalPolicy: settings.removalPolicy,
      deletionProtection: settings.tableDeletionProtection,
    });

    const signingSecret = new Secret(this, 'SigningSecret', {
      description:
        'Codat webhook signing secret. Replace this value with the whsec_... secret shown for the ' +
        'endpoint in the Codat portal; until then the receiver answers 503 and Codat retries.',
      // A JSON placeholder can never parse as a whsec_<base64> key, so the receiver answers 503
      // (and Codat retries) until an operator puts the real value in.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ replaceWith: 'the whsec_... value from the Codat portal' }),
        generateStringKey: 'placeholder',
      },
    });
    Validations.of(signingSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is issued by the Codat portal, which Secrets Manager cannot rotate; the runbook ' +
        '(docs/operating.md) rotates it by hand with both values accepted during the overlap.',
    });

    const receiver = new NodeFunction(this, 'ReceiveWebhook', {
      sourceMapsAtStart: false, // it maps the stacks it logs on demand: no map parse at start
      entry: fileURLToPath(new URL('../functions/receive-webhook.ts', import.meta.url)),
      description: `Codat connection webhooks: POST ${WEBHOOK_PATH}`,
      environment: {
        TOMBSTONE_TTL_DAYS: String(tombstoneTtlDays),
        STAGE: stage,
        LOG_LEVEL: settings.logLevel,
        ...(allowedSourceIps ? { ALLOWED_SOURCE_IPS: allowedSourceIps.join(',') } : {}),
      },
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    })
      // Query: company.deleted reads which connections the company has, to tombstone each.
      .useTable(table, 'TABLE_NAME', ['dynamodb:UpdateItem', 'dynamodb:Query'])
      .useSecret(signingSecret, 'SIGNING_SECRET_ARN');

    const api = new HttpApi(this, 'Api', {
      apiName: `${this.stackName}-webhooks`,
      description: 'Receives Codat connection webhooks',
      createDefaultStage: false,
    });
    // Built by hand rather than by createDefaultStage, which takes no throttling: caps the
    // request rate so that a flood cannot run up the bill.
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      // One line per request, including those refused before the function (throttled, no route).
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      // Answer within Codat's 15 s delivery window, even when the function does not.
      integration: new HttpLambdaIntegration('ReceiveWebhookIntegration', receiver, {
        timeout: Duration.seconds(12),
      }),
    });

    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Codat cannot send IAM, JWT or API-key credentials: every delivery is authenticated by its ' +
        'Standard Webhooks signature, checked by the function before anything else.',
    });

    const monitoring = new Monitoring(this, 'Monitoring', {
      stage,
      api,
      receiver,
      table,
      thresholds: settings.alarms,
      alarmEmail,
      noDeliveriesAlarmMinutes,
    });

    const readApi = new ReadApi(this, 'ReadApi', { stage, settings, api, table });
    const events = { stage, settings, table, alarmTopic: monitoring.topic, ...props.changeEvents };
    const changeEvents = new ChangeEvents(this, 'ChangeEvents', events);

    const webhookUrl = `${api.apiEndpoint}${WEBHOOK_PATH}`;
    const reconciler = new Reconciler(this, 'Reconciler', {
      stage,
      settings,
      table,
      tombstoneTtlDays,
      webhookUrl,
      alarmTopic: monitoring.topic,
      schedule: reconcileScheduleFromContext(props.reconcileSchedule),
    });
    monitoring.addSection('Change events', changeEvents.dashboardRows, changeEvents.alarms);
    monitoring.addSection('Reconciler', reconciler.dashboardRows, reconciler.alarms);
    monitoring.addSection('Read API', readApi.dashboardRows);

    new CfnOutput(this, 'WebhookUrl', {
      value: webhookUrl,
      description: 'Paste into the Codat portal as the webhook endpoint URL',
    });
    new CfnOutput(this, 'TableName', {
      value: table.tableName,
      description: 'DynamoDB table holding one item per Codat connection',
    });
    new CfnOutput(this, 'SigningSecretArn', {
      value: signingSecret.secretArn,
      description:
        'Set the Codat signing secret with: aws secretsmanager put-secret-value ' +
        '--secret-id <this ARN> --secret-string whsec_...',
    });
    new CfnOutput(this, 'CodatApiKeySecretArn', {
      value: reconciler.apiKeySecret.secretArn,
      description:
        'Set the Codat API key for the reconciler with: aws secretsmanager put-secret-value ' +
        '--secret-id <this ARN> --secret-string <API key>',
    });
    new CfnOutput(this, 'ReconcileStateMachineArn', {
      value: reconciler.stateMachine.stateMachineArn,
      description:
        'Start a reconciliation now with: aws stepfunctions start-execution --state-machine-arn <this ARN>',
    });
    new CfnOutput(this, 'LogGroupName', {
      value: receiver.logGroup.logGroupName,
      description: 'The function log group: one JSON line per delivery, found by webhookId in Logs Insights',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: monitoring.topic.topicArn,
      description: 'SNS topic every alarm notifies; subscribe the on-call channel to it',
    });
    new CfnOutput(this, 'DashboardName', {
      value: monitoring.dashboard.dashboardName,
      description: 'CloudWatch dashboard: every alarm; the receiver, change events, reconciler, read API',
    });
  }
}

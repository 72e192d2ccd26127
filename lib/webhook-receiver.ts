import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { WEBHOOK_PATH } from '../src/defaults';
import { NodeFunction } from './node-function';
import { placeholderSecret } from './placeholder-secret';
import type { Stage, StageSettings } from './stage';

export interface WebhookReceiverProps {
  readonly stage: Stage;
  readonly settings: StageSettings;
  /** The Connection table the receiver writes. */
  readonly table: ITable;
  /** Days a deleted connection's tombstone stays in the table. */
  readonly tombstoneTtlDays: number;
  /**
   * Serve only these caller addresses; others get 403 before any other work.
   * @default - any address
   */
  readonly allowedSourceIps?: string[];
}

/** One line per request, including those refused before the function (throttled, no route). */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
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
);

/**
 * The webhook receiver: the stack's HTTP API with its throttled, access-logged default stage,
 * `POST /webhooks/codat` on it, and the function behind the route (verify the signature with
 * the signing secret, validate, one conditional write to the table). The read routes join the
 * same API (lib/read-api.ts).
 */
export class WebhookReceiver extends Construct {
  readonly signingSecret: Secret;
  readonly handler: NodeFunction;
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly route: HttpRoute;
  /** The URL to paste into the Codat portal. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const { settings, stage } = props;

    this.signingSecret = placeholderSecret(this, 'SigningSecret', {
      description:
        'Codat webhook signing secret. Replace this value with the whsec_... secret shown for the ' +
        'endpoint in the Codat portal; until then the receiver answers 503 and Codat retries.',
      // A JSON placeholder can never parse as a whsec_<base64> key, so the receiver answers 503
      // (and Codat retries) until an operator puts the real value in.
      replaceWith: 'the whsec_... value from the Codat portal',
      unrotated:
        'The value is issued by the Codat portal, which Secrets Manager cannot rotate; the runbook ' +
        '(docs/operating.md) rotates it by hand with both values accepted during the overlap.',
      output: { id: 'SigningSecretArn', what: 'the Codat signing secret', value: 'whsec_...' },
    });

    this.handler = new NodeFunction(this, 'ReceiveWebhook', {
      sourceMapsAtStart: false, // it maps the stacks it logs on demand: no map parse at start
      entry: fileURLToPath(new URL('../functions/receive-webhook.ts', import.meta.url)),
      description: `Codat connection webhooks: POST ${WEBHOOK_PATH}`,
      environment: {
        TOMBSTONE_TTL_DAYS: String(props.tombstoneTtlDays),
        STAGE: stage,
        LOG_LEVEL: settings.logLevel,
        ...(props.allowedSourceIps ? { ALLOWED_SOURCE_IPS: props.allowedSourceIps.join(',') } : {}),
      },
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    })
      // Query: company.deleted reads which connections the company has, to tombstone each.
      .useTable(props.table, 'TABLE_NAME', ['dynamodb:UpdateItem', 'dynamodb:Query'])
      .useSecret(this.signingSecret, 'SIGNING_SECRET_ARN');

    this.api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-webhooks`,
      description: 'Receives Codat connection webhooks',
      createDefaultStage: false,
    });
    // Built by hand rather than by createDefaultStage, which takes no throttling: caps the
    // request rate so that a flood cannot run up the bill.
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.apiStage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    const [route] = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      // Answer within Codat's 15 s delivery window, even when the function does not.
      integration: new HttpLambdaIntegration('ReceiveWebhookIntegration', this.handler, {
        timeout: Duration.seconds(12),
      }),
    });
    if (!route) throw new Error(`no route for POST ${WEBHOOK_PATH}`);
    this.route = route;
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Codat cannot send IAM, JWT or API-key credentials: every delivery is authenticated by its ' +
        'Standard Webhooks signature, checked by the function before anything else.',
    });

    this.url = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
    new CfnOutput(Stack.of(this), 'WebhookUrl', {
      value: this.url,
      description: 'Paste into the Codat portal as the webhook endpoint URL',
    });
    new CfnOutput(Stack.of(this), 'LogGroupName', {
      value: this.handler.logGroup.logGroupName,
      description: 'The function log group: one JSON line per delivery, found by webhookId in Logs Insights',
    });
  }
}

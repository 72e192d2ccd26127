import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CONNECTION_TABLE } from '../src/connection/table';
import { NodeFunction } from './node-function';

export const WEBHOOK_PATH = '/webhooks/codat';

export interface ConnectionsStackProps extends StackProps {
  /**
   * Days a deleted connection's tombstone stays in the table before DynamoDB TTL removes it.
   * @default 30
   */
  readonly tombstoneTtlDays?: number;
}

/**
 * Codat connection webhooks in, one DynamoDB row per connection out:
 * HTTP API `POST /webhooks/codat` → Lambda (verify, validate, one conditional write) → table.
 */
export class ConnectionsStack extends Stack {
  constructor(scope: Construct, id: string, props: ConnectionsStackProps = {}) {
    super(scope, id, props);
    const tombstoneTtlDays = props.tombstoneTtlDays ?? 30;
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
      removalPolicy: RemovalPolicy.RETAIN,
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

    const receiver = new NodeFunction(this, 'ReceiveWebhook', {
      entry: fileURLToPath(new URL('../functions/receive-webhook.ts', import.meta.url)),
      description: `Codat connection webhooks: POST ${WEBHOOK_PATH}`,
      environment: { TOMBSTONE_TTL_DAYS: String(tombstoneTtlDays) },
    })
      .useTable(table, 'TABLE_NAME', ['dynamodb:UpdateItem'])
      .useSecret(signingSecret, 'SIGNING_SECRET_ARN');

    const api = new HttpApi(this, 'Api', {
      apiName: `${this.stackName}-webhooks`,
      description: 'Receives Codat connection webhooks',
      createDefaultStage: false,
    });
    // Built by hand rather than by createDefaultStage, which takes no throttling: caps the
    // request rate so that a flood cannot run up the bill.
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
    });
    api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      // Answer within Codat's 15 s delivery window, even when the function does not.
      integration: new HttpLambdaIntegration('ReceiveWebhookIntegration', receiver, {
        timeout: Duration.seconds(12),
      }),
    });

    new CfnOutput(this, 'WebhookUrl', {
      value: `${api.apiEndpoint}${WEBHOOK_PATH}`,
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
  }
}

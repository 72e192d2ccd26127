import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConnectionsStack, type ConnectionsStackProps } from '../lib/connections-stack';
import { allowedSourceIpsFromContext, tombstoneTtlDaysFromContext } from '../lib/context';
import { parseSigningSecrets } from '../src/webhook/signature';
import { captureOutput } from './support/logs';

/** The stack as `cdk synth` builds it, bundle included; CDK's "Bundling asset" line is kept quiet. */
function synthesize(props?: ConnectionsStackProps, context?: Record<string, unknown>): Template {
  const app = new App(context ? { context } : {});
  const output = captureOutput();
  try {
    return Template.fromStack(new ConnectionsStack(app, `CodatConnections-${props?.stage ?? 'dev'}`, props));
  } finally {
    output.restore();
  }
}

/**
 * Logical id of the one resource of `type` (whose logical id starts with `prefix`, when there are
 * several of the type), so that no hashed id is written down here.
 */
function onlyResource(template: Template, type: string, prefix = ''): { id: string; resource: Resource } {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  expect(found).toHaveLength(1);
  const [entry] = found;
  if (!entry) throw new Error(`no ${type}`);
  return { id: entry[0], resource: entry[1] as Resource };
}

interface Resource {
  Properties: Record<string, unknown> & { Role?: { 'Fn::GetAtt': [string, string] } };
}

describe('ConnectionsStack', () => {
  // Synthesized once, with real esbuild bundling of the function.
  const template = synthesize();
  const table = onlyResource(template, 'AWS::DynamoDB::Table', 'Connections');
  const secret = onlyResource(template, 'AWS::SecretsManager::Secret', 'SigningSecret');
  const fn = onlyResource(template, 'AWS::Lambda::Function', 'ReceiveWebhook');
  const api = onlyResource(template, 'AWS::ApiGatewayV2::Api');
  const logGroupId = (fn.resource.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  const logGroup = { id: logGroupId, resource: template.toJSON().Resources[logGroupId] as Resource };

  describe('the connection table', () => {
    it('keys the table by company id and connection id, both strings', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'companyId', KeyType: 'HASH' },
          { AttributeName: 'connectionId', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.exact([
          { AttributeName: 'companyId', AttributeType: 'S' },
          { AttributeName: 'connectionId', AttributeType: 'S' },
        ]),
      });
    });

    it('bills per request and keeps point-in-time recovery on', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('lets DynamoDB TTL remove tombstones by their expiresAt attribute', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it('keeps the table and its data in prod when the stack is deleted or the table replaced', () => {
      const prod = synthesize({ stage: 'prod' }, { 'aws:cdk:bundling-stacks': [] });
      prod.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      });
    });

    it('lets a dev table go with its stack, so that dev stacks can be torn down', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
      });
      expect(table.resource.Properties.DeletionProtectionEnabled ?? false).toBe(false);
    });
  });

  describe('the signing secret', () => {
    it('tells the operator to put the whsec_ value from the Codat portal in it', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Description: Match.stringLikeRegexp('whsec_.*Codat portal'),
      });
    });

    it('starts with a placeholder that can never pass for a signing key, so deliveries get 503 until it is set', () => {
      const generate = secret.resource.Properties.GenerateSecretString as {
        SecretStringTemplate: string;
        GenerateStringKey: string;
      };
      // Whatever Secrets Manager generates, even something that is valid base64.
      const placeholder = JSON.stringify({
        ...JSON.parse(generate.SecretStringTemplate),
        [generate.GenerateStringKey]: 'QUJDRA==',
      });
      expect(() => parseSigningSecrets(placeholder)).toThrow(/whsec_/);
    });
  });

  describe('the receiver function', () => {
    it('runs Node.js 24 on arm64 with 256 MB and a 10 second timeout', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 10,
        Handler: 'index.handler',
      });
    });

    it('leaves source maps off at start for the receiver only, which maps the stacks it logs on demand', () => {
      const functions = template.findResources('AWS::Lambda::Function');
      const nodeOptions = (prefix: string) =>
        Object.entries(functions).find(([id]) => id.startsWith(prefix))?.[1]?.Properties?.Environment
          ?.Variables?.NODE_OPTIONS;

      expect(nodeOptions('ReceiveWebhook')).toBeUndefined();
      for (const other of [
        'ChangeEventsPublishChanges',
        'ReconcilerReconcilePages',
        'ReadApiReadConnections',
      ]) {
        expect([other, nodeOptions(other)]).toEqual([other, '--enable-source-maps']);
      }
    });

    it('does not trace', () => {
      expect(fn.resource.Properties.TracingConfig).toBeUndefined();
    });

    it('is told the table, the secret, the tombstone lifetime, its stage and log level, and no NODE_OPTIONS', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.exact({
            TABLE_NAME: { Ref: table.id },
            SIGNING_SECRET_ARN: { Ref: secret.id },
            TOMBSTONE_TTL_DAYS: '30',
            STAGE: 'dev',
            LOG_LEVEL: 'info',
          }),
        },
      });
    });

    it('may only write its own logs, update and query items in the table and read the signing secret', () => {
      const roleId = fn.resource.Properties.Role?.['Fn::GetAtt'][0];
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify((policy as Resource).Properties.Roles).includes(`"${roleId}"`),
      );
      expect(policies).toHaveLength(1);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.exact([
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: { 'Fn::GetAtt': [logGroup.id, 'Arn'] },
            },
            {
              Effect: 'Allow',
              Action: ['dynamodb:UpdateItem', 'dynamodb:Query'],
              Resource: [{ 'Fn::GetAtt': [table.id, 'Arn'] }],
            },
            {
              Effect: 'Allow',
              Action: 'secretsmanager:GetSecretValue',
              Resource: { Ref: secret.id },
            },
          ]),
        },
      });
    });

    it('has no managed policy, not even AWSLambdaBasicExecutionRole, which may write to any log group', () => {
      const roleId = fn.resource.Properties.Role?.['Fn::GetAtt'][0] as string;
      const role = template.toJSON().Resources[roleId] as Resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
      });
    });

    it('logs to its own log group, kept two weeks in dev', () => {
      expect(logGroup.resource.Properties.RetentionInDays).toBe(14);
      template.hasResourceProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogGroup: { Ref: logGroup.id } },
      });
    });

    it('passes the tombstone lifetime it is given to the function', () => {
      const withSevenDays = synthesize({ tombstoneTtlDays: 7 }, { 'aws:cdk:bundling-stacks': [] });
      withSevenDays.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { TOMBSTONE_TTL_DAYS: '7' } },
      });
    });

    it('tells the function the allowed source addresses only when they are given', () => {
      const withAllowList = synthesize(
        { allowedSourceIps: ['4.159.114.108', '20.117.190.191'] },
        { 'aws:cdk:bundling-stacks': [] },
      );

      withAllowList.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { ALLOWED_SOURCE_IPS: '4.159.114.108,20.117.190.191' } },
      });
    });

    it('refuses a tombstone lifetime that is not a whole number of days', () => {
      expect(() => new ConnectionsStack(new App(), 'Bad', { tombstoneTtlDays: 0.5 })).toThrow(
        /tombstoneTtlDays/,
      );
    });
  });

  describe('the HTTP API', () => {
    it('routes POST /webhooks/codat, unauthenticated but for its signature, to the function with payload format 2.0', () => {
      // The webhook route, and the two IAM-authorized read routes (test/change-events-stack.test.ts).
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
      const integration = onlyResource(template, 'AWS::ApiGatewayV2::Integration', 'ApiPOSTwebhookscodat');
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        ApiId: { Ref: api.id },
        RouteKey: 'POST /webhooks/codat',
        AuthorizationType: 'NONE',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration.id }]] },
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [fn.id, 'Arn'] },
        PayloadFormatVersion: '2.0',
      });
    });

    it('gives up on the function after 12 seconds, inside the 15 seconds Codat waits', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { TimeoutInMillis: 12_000 });
    });

    it('throttles the default stage to 100 requests a second with bursts of 200', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: api.id },
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      });
    });
  });

  describe('the outputs', () => {
    it('gives the webhook URL to paste into the Codat portal', () => {
      template.hasOutput('WebhookUrl', {
        Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [api.id, 'ApiEndpoint'] }, '/webhooks/codat']] },
        Description: Match.stringLikeRegexp('Codat portal'),
      });
    });

    it('gives the table name', () => {
      template.hasOutput('TableName', { Value: { Ref: table.id } });
    });

    it('gives the signing secret ARN with the command that sets it', () => {
      template.hasOutput('SigningSecretArn', {
        Value: { Ref: secret.id },
        Description: Match.stringLikeRegexp(
          'aws secretsmanager put-secret-value --secret-id .* --secret-string whsec_',
        ),
      });
    });
  });
});

describe('the tombstoneTtlDays context value', () => {
  it('accepts a whole number of days from cdk.json or from the command line', () => {
    expect(tombstoneTtlDaysFromContext(30)).toBe(30);
    expect(tombstoneTtlDaysFromContext('7')).toBe(7);
  });

  it('leaves the stack default in place when it is not set', () => {
    expect(tombstoneTtlDaysFromContext(undefined)).toBeUndefined();
  });

  it.each([0, '0', 'abc', '', -1, 1.5, '1.5', ' 7', null, true])(
    'rejects %p with a message naming tombstoneTtlDays',
    (value) => {
      expect(() => tombstoneTtlDaysFromContext(value)).toThrow(/tombstoneTtlDays/);
    },
  );
});

describe('the allowedSourceIps context value', () => {
  it('reads addresses separated by commas from the command line, or a list from cdk.json', () => {
    expect(allowedSourceIpsFromContext('4.159.114.108, 20.117.190.191')).toEqual([
      '4.159.114.108',
      '20.117.190.191',
    ]);
    expect(allowedSourceIpsFromContext(['2001:db8::1'])).toEqual(['2001:db8::1']);
  });

  it('leaves the allow-list off when it is not set', () => {
    expect(allowedSourceIpsFromContext(undefined)).toBeUndefined();
  });

  it.each(['4.159.114', 'codat.io', '4.159.114.108,', 42])(
    'rejects %p with a message naming allowedSourceIps',
    (value) => {
      expect(() => allowedSourceIpsFromContext(value)).toThrow(/allowedSourceIps/);
    },
  );
});

import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { allowedSourceIpsFromContext, tombstoneTtlDaysFromContext } from '../lib/context';
import { parseSigningSecrets } from '../src/webhook/signature';
import { buildStack, logicalIdOf, type Resource, resourceOf, synthesize } from './support/template';

type FunctionResource = Resource & {
  Properties: {
    Role: { 'Fn::GetAtt': [string, string] };
    Environment?: { Variables: Record<string, unknown> };
  };
};

describe('ConnectionsStack', () => {
  // Synthesized once, with real esbuild bundling of the function.
  const { stack, template } = synthesize({}, { bundle: true });
  /** `construct`'s own resource and logical id, so that no other resource of its type can answer for it. */
  const own = <R extends Resource = Resource>(construct: IConstruct) => ({
    id: logicalIdOf(construct),
    resource: resourceOf(template, construct) as R,
  });
  const receiver = stack.webhookReceiver;
  const table = own(stack.table);
  const secret = own(receiver.signingSecret);
  const fn = own<FunctionResource>(receiver.handler);
  const api = own(receiver.api);
  const logGroup = own(receiver.handler.logGroup);

  describe('the connection table', () => {
    it('keys the table by company id and connection id, both strings', () => {
      expect(table.resource.Properties.KeySchema).toEqual([
        { AttributeName: 'companyId', KeyType: 'HASH' },
        { AttributeName: 'connectionId', KeyType: 'RANGE' },
      ]);
      expect(table.resource.Properties.AttributeDefinitions).toEqual([
        { AttributeName: 'companyId', AttributeType: 'S' },
        { AttributeName: 'connectionId', AttributeType: 'S' },
      ]);
    });

    it('bills per request and keeps point-in-time recovery on', () => {
      expect(table.resource.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('lets DynamoDB TTL remove tombstones by their expiresAt attribute', () => {
      expect(table.resource.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: 'expiresAt',
        Enabled: true,
      });
    });

    it('keeps the table and its data in prod when the stack is deleted or the table replaced', () => {
      const prod = synthesize({ stage: 'prod' });

      expect(resourceOf(prod.template, prod.stack.table)).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { DeletionProtectionEnabled: true },
      });
    });

    it('lets a dev table go with its stack, so that dev stacks can be torn down', () => {
      expect(table.resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      expect(table.resource.Properties.DeletionProtectionEnabled ?? false).toBe(false);
    });
  });

  describe('the signing secret', () => {
    it('tells the operator to put the whsec_ value from the Codat portal in it', () => {
      expect(secret.resource.Properties.Description).toMatch(/whsec_.*Codat portal/);
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
      expect(fn.resource.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 10,
        Handler: 'index.handler',
      });
    });

    it('leaves source maps off at start for the receiver only, which maps the stacks it logs on demand', () => {
      const nodeOptions = (construct: IConstruct) =>
        (resourceOf(template, construct) as FunctionResource).Properties.Environment?.Variables.NODE_OPTIONS;
      const { pages, sweep, endpoint } = stack.reconciler.functions;
      const others = {
        publisher: stack.changeEvents.publisher,
        pages,
        sweep,
        endpoint,
        reader: stack.readApi.reader,
        historyWriter: stack.history.writer,
      };

      expect(nodeOptions(receiver.handler)).toBeUndefined();
      for (const [name, other] of Object.entries(others)) {
        expect([name, nodeOptions(other)]).toEqual([name, '--enable-source-maps']);
      }
    });

    it('does not trace', () => {
      expect(fn.resource.Properties.TracingConfig).toBeUndefined();
    });

    it('is told the table, the secret, the tombstone lifetime, its stage and log level, and no NODE_OPTIONS', () => {
      expect(fn.resource.Properties.Environment).toEqual({
        Variables: {
          TABLE_NAME: { Ref: table.id },
          SIGNING_SECRET_ARN: { Ref: secret.id },
          TOMBSTONE_TTL_DAYS: '30',
          STAGE: 'dev',
          LOG_LEVEL: 'info',
        },
      });
    });

    it('may only write its own logs, update and query items in the table and read the signing secret', () => {
      const roleId = fn.resource.Properties.Role['Fn::GetAtt'][0];
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
      const roleId = fn.resource.Properties.Role['Fn::GetAtt'][0];
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
      expect(fn.resource.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroup.id } });
    });

    it('passes the tombstone lifetime it is given to the function', () => {
      const withSevenDays = synthesize({ tombstoneTtlDays: 7 });
      const variables = (
        resourceOf(withSevenDays.template, withSevenDays.stack.webhookReceiver.handler) as FunctionResource
      ).Properties.Environment?.Variables;

      expect(variables?.TOMBSTONE_TTL_DAYS).toBe('7');
    });

    it('tells the function the allowed source addresses only when they are given', () => {
      const withAllowList = synthesize({ allowedSourceIps: ['4.159.114.108', '20.117.190.191'] });
      const variables = (
        resourceOf(withAllowList.template, withAllowList.stack.webhookReceiver.handler) as FunctionResource
      ).Properties.Environment?.Variables;

      expect(variables?.ALLOWED_SOURCE_IPS).toBe('4.159.114.108,20.117.190.191');
      expect(fn.resource.Properties.Environment?.Variables.ALLOWED_SOURCE_IPS).toBeUndefined();
    });

    it('refuses a tombstone lifetime that is not a whole number of days', () => {
      expect(() => buildStack({ tombstoneTtlDays: 0.5 })).toThrow(/tombstoneTtlDays/);
    });
  });

  describe('the HTTP API', () => {
    const route = own(receiver.route);
    const target = route.resource.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const integrationId = target['Fn::Join'][1][1].Ref;
    const integration = template.toJSON().Resources[integrationId] as Resource;

    it('routes POST /webhooks/codat, unauthenticated but for its signature, to the function with payload format 2.0', () => {
      // The webhook route, and the three IAM-authorized read routes (test/change-events-stack.test.ts,
      // test/history-stack.test.ts).
      template.resourceCountIs('AWS::ApiGatewayV2::Route', 4);
      expect(route.resource.Properties).toMatchObject({
        ApiId: { Ref: api.id },
        RouteKey: 'POST /webhooks/codat',
        AuthorizationType: 'NONE',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
      expect(integration.Properties).toMatchObject({
        ApiId: { Ref: api.id },
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [fn.id, 'Arn'] },
        PayloadFormatVersion: '2.0',
      });
    });

    it('gives up on the function after 12 seconds, inside the 15 seconds Codat waits', () => {
      expect(integration.Properties.TimeoutInMillis).toBe(12_000);
    });

    it('throttles the default stage to 100 requests a second with bursts of 200', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      expect(own(receiver.apiStage).resource.Properties).toMatchObject({
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

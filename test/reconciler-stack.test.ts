import { Match } from 'aws-cdk-lib/assertions';
import type { ConnectionsStackProps } from '../lib/connections-stack';
import { reconcileScheduleFromContext } from '../lib/context';
import { apiKeyFrom } from '../src/reconcile/api-key';
import { grantsOf, logicalId, type Resource, synthesizeTemplate } from './support/template';

const synthesize = (props: ConnectionsStackProps = {}, bundle = false) =>
  synthesizeTemplate(props, { bundle });

describe('the reconciler in the stack', () => {
  const template = synthesize({}, true);
  const table = logicalId(template, 'AWS::DynamoDB::Table', 'Connections');
  const journal = logicalId(template, 'AWS::DynamoDB::Table', 'ReconcilerWalkJournal');
  const apiKey = logicalId(template, 'AWS::SecretsManager::Secret', 'ReconcilerApiKey');
  const secretRead = {
    Effect: 'Allow',
    Action: 'secretsmanager:GetSecretValue',
    Resource: { Ref: apiKey },
  };

  it('keeps the API key in a secret of its own, with a placeholder that fails a run clearly', () => {
    const secret = template.toJSON().Resources[apiKey] as Resource;
    const generate = secret.Properties.GenerateSecretString as { SecretStringTemplate: string };
    expect(secret.Properties.Description).toMatch(/API key from the Codat portal/);
    expect(() => apiKeyFrom(generate.SecretStringTemplate, 'arn:secret')).toThrow(
      /still holds its placeholder/,
    );
  });

  it('runs the state machine daily with EventBridge Scheduler by default', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      Target: { Arn: { Ref: logicalId(template, 'AWS::StepFunctions::StateMachine', 'Reconciler') } },
    });
  });

  it('takes another schedule, or none', () => {
    synthesize({ reconcileSchedule: 'cron(0 3 * * ? *)' }).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
    });
    synthesize({ reconcileSchedule: 'off' }).resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('loops a Standard state machine over pages until nextPage is null, then sweeps, and logs every event', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    const machine = template.toJSON().Resources[
      logicalId(template, 'AWS::StepFunctions::StateMachine', 'Reconciler')
    ] as Resource;
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('\\"Variable\\":\\"$.nextPage\\",\\"IsNull\\":true,\\"Next\\":\\"Sweep\\"');
    expect(definition).toContain('\\"Default\\":\\"WalkPages\\"');
    expect(definition).toContain('\\"StartAt\\":\\"CheckEndpoint\\"');
  });

  it('lets the page step only query and update the table, add journal pages and read the API key', () => {
    expect(grantsOf(template, 'ReconcilerReconcilePages')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: [{ 'Fn::GetAtt': [table, 'Arn'] }],
      },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: [{ 'Fn::GetAtt': [journal, 'Arn'] }] },
      secretRead,
    ]);
  });

  it('lets the sweep also scan the table, and only read the journal', () => {
    expect(grantsOf(template, 'ReconcilerReconcileSweep')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
        Resource: [{ 'Fn::GetAtt': [table, 'Arn'] }],
      },
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: [{ 'Fn::GetAtt': [journal, 'Arn'] }] },
      secretRead,
    ]);
  });

  it('lets the endpoint check read the API key and nothing else, and tells it this stack’s webhook URL', () => {
    expect(grantsOf(template, 'ReconcilerCheckWebhookEndpoint')).toEqual([secretRead]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          WEBHOOK_URL: { 'Fn::Join': ['', [Match.anyValue(), '/webhooks/codat']] },
        }),
      },
    });
  });

  it('alarms on the existing topic when a walk fails and when the endpoint is disabled at the provider', () => {
    const topic = logicalId(template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic');
    for (const name of ['ReconcileFailed', 'WebhookEndpointDisabled']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `CodatConnections-dev-${name}`,
        AlarmActions: [{ Ref: topic }],
        Threshold: 1,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'CodatConnections-dev-WebhookEndpointDisabled',
      MetricName: 'WebhookEndpointDisabled',
      Namespace: 'CodatConnections',
    });
  });

  it('gives the functions 15 minutes, the most Lambda allows, and the walk 6 hours', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('one walk step'),
      Timeout: 900,
    });
    const machine = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machine).toContain('\\"TimeoutSeconds\\":21600');
  });
});

describe('the reconcileSchedule context value', () => {
  it('is daily when not set, off when off, and takes rate() and cron() expressions', () => {
    expect(reconcileScheduleFromContext(undefined)).toBe('rate(1 day)');
    expect(reconcileScheduleFromContext('off')).toBeUndefined();
    expect(reconcileScheduleFromContext('rate(12 hours)')).toBe('rate(12 hours)');
  });

  it.each(['daily', 'at(2026-01-01T00:00:00)', 3])(
    'refuses %p with a message naming reconcileSchedule',
    (value) => {
      expect(() => reconcileScheduleFromContext(value)).toThrow(/reconcileSchedule/);
    },
  );
});

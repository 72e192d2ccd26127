import type { IConstruct } from 'constructs';
import type { ConnectionsStackProps } from '../lib/connections-stack';
import { reconcileScheduleFromContext } from '../lib/context';
import { StorageUnavailableError } from '../src/errors';
import { apiKeyFrom } from '../src/reconcile/api-key';
import {
  grantsOf,
  logicalIdOf,
  type Resource,
  resourceOf,
  synthesize as synthesizeStack,
  synthesizeTemplate,
} from './support/template';

const synthesize = (props: ConnectionsStackProps = {}) => synthesizeTemplate(props);

/** A state machine's definition, its references (function ARNs) left out. */
function definitionOf(machine: Resource) {
  const body = machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'ref')).join('');
  return JSON.parse(text) as {
    States: Record<string, { Type: string; Retry?: { ErrorEquals: string[] }[] }>;
  };
}

describe('the reconciler in the stack', () => {
  const { stack, template } = synthesizeStack({}, { bundle: true });
  const { reconciler } = stack;
  const table = logicalIdOf(stack.table);
  const journal = logicalIdOf(reconciler.journal);
  const apiKey = logicalIdOf(reconciler.apiKeySecret);
  const machine = resourceOf(template, reconciler.stateMachine);
  const secretRead = {
    Effect: 'Allow',
    Action: 'secretsmanager:GetSecretValue',
    Resource: { Ref: apiKey },
  };

  it('keeps the API key in a secret of its own, with a placeholder that fails a run clearly', () => {
    const secret = resourceOf(template, reconciler.apiKeySecret);
    const generate = secret.Properties.GenerateSecretString as { SecretStringTemplate: string };
    expect(secret.Properties.Description).toMatch(/API key from the Codat portal/);
    expect(() => apiKeyFrom(generate.SecretStringTemplate, 'arn:secret')).toThrow(
      /still holds its placeholder/,
    );
  });

  it('runs the state machine daily with EventBridge Scheduler by default', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      Target: { Arn: { Ref: logicalIdOf(reconciler.stateMachine) } },
    });
  });

  it('takes another schedule, or none', () => {
    synthesize({ reconcileSchedule: 'cron(0 3 * * ? *)' }).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
    });
    synthesize({ reconcileSchedule: 'off' }).resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('loops a Standard state machine over pages until nextPage is null, then sweeps, and logs every event', () => {
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL' },
    });
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('\\"Variable\\":\\"$.nextPage\\",\\"IsNull\\":true,\\"Next\\":\\"Sweep\\"');
    expect(definition).toContain('\\"Default\\":\\"WalkPages\\"');
    expect(definition).toContain('\\"StartAt\\":\\"CheckEndpoint\\"');
  });

  it('retries each step on a transient Lambda fault or storage being unavailable, and on no other error of ours', () => {
    const tasks = Object.values(definitionOf(machine).States).filter((state) => state.Type === 'Task');
    // The type Lambda reports for an error a function throws is its name.
    const unavailable = new StorageUnavailableError('DynamoDB did not answer in time').name;

    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      const retried = (task.Retry ?? []).flatMap((retry) => retry.ErrorEquals);
      expect(retried.filter((error) => !error.startsWith('Lambda.'))).toEqual([unavailable]);
    }
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
    const endpoint = resourceOf(template, reconciler.functions.endpoint);
    expect(endpoint.Properties).toMatchObject({
      Environment: {
        Variables: {
          WEBHOOK_URL: {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [logicalIdOf(stack.webhookReceiver.api), 'ApiEndpoint'] }, '/webhooks/codat'],
            ],
          },
        },
      },
    });
  });

  it('alarms on the existing topic when a walk fails and when the endpoint is disabled at the provider', () => {
    const topic = logicalIdOf(stack.monitoring.topic);
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
    const { pages, sweep, endpoint } = reconciler.functions;
    const timeout = (fn: IConstruct) => resourceOf(template, fn).Properties.Timeout;

    expect([timeout(pages), timeout(sweep), timeout(endpoint)]).toEqual([900, 900, 60]);
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain('\\"TimeoutSeconds\\":21600');
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

import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { ConnectionsStackProps } from '../lib/connections-stack';
import { alarmEmailFromContext, noDeliveriesAlarmMinutesFromContext, stageFromContext } from '../lib/context';
import {
  CHANGE_EVENT_RESULTS,
  DELIVERY_RESULTS,
  RECONCILE_CHANGES,
  RECONCILE_METRIC,
  REJECTION_CODES,
} from '../src/observability/names';
import { dashboardWidgets, headings, plotted, ref, section, titles } from './support/dashboard';
import { buildStack, logicalId, resourceOf, synthesize as synthesizeStack } from './support/template';

/** The stack of `stage`, without bundling the function: these tests are about what surrounds it. */
const synthesize = (stage: 'dev' | 'prod', props: ConnectionsStackProps = {}) =>
  synthesizeStack({ stage, ...props });

interface AlarmProperties {
  AlarmName: string;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  MetricName?: string;
  Namespace?: string;
  Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: Record<string, unknown> } }[];
  Period?: number;
}

function alarms(template: Template): Record<string, AlarmProperties> {
  return Object.fromEntries(
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((resource) => {
      const properties = resource.Properties as AlarmProperties;
      return [properties.AlarmName.replace(/^CodatConnections-(dev|prod)-/, ''), properties];
    }),
  );
}

const { stack: dev, template: devTemplate } = synthesize('dev');
const { stack: prod, template: prodTemplate } = synthesize('prod');

describe('the alarms', () => {
  const devAlarms = alarms(devTemplate);
  const prodAlarms = alarms(prodTemplate);
  const topicId = Object.keys(devTemplate.findResources('AWS::SNS::Topic'))[0];

  it('watch 5xx answers, function errors and throttles, DynamoDB write throttles and errors, and 401 bursts', () => {
    expect(Object.keys(devAlarms).sort()).toEqual([
      'ChangeEventsBehind',
      'ChangeEventsFailed',
      'DisconnectionSurge',
      'FunctionErrors',
      'FunctionThrottles',
      'HistoryBehind',
      'HistoryFailed',
      'ReconcileFailed',
      'ServerErrors',
      'TableWriteErrors',
      'TableWriteThrottles',
      'Unauthorized',
      'WebhookEndpointDisabled',
    ]);
  });

  it('are named after the stack, so that two stages live side by side', () => {
    for (const properties of Object.values(alarms(devTemplate))) {
      expect(properties.AlarmName).toMatch(/^CodatConnections-dev-/);
    }
    for (const properties of Object.values(alarms(prodTemplate))) {
      expect(properties.AlarmName).toMatch(/^CodatConnections-prod-/);
    }
  });

  it('notify one SNS topic when they fire and when they clear, and stay quiet without data', () => {
    for (const properties of Object.values(devAlarms)) {
      expect(properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(properties.OKActions).toEqual([{ Ref: topicId }]);
      expect(properties.TreatMissingData).toBe('notBreaching');
    }
  });

  it('watch the API 5xx count, which includes the 503s that ask Codat to retry', () => {
    expect(devAlarms.ServerErrors).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Period: 300,
    });
  });

  it('watch DynamoDB UpdateItem throttles and system errors on the table', () => {
    expect(devAlarms.TableWriteThrottles).toMatchObject({
      Namespace: 'AWS/DynamoDB',
      MetricName: 'ThrottledRequests',
    });
    expect(JSON.stringify(devAlarms.TableWriteErrors?.Metrics)).toContain(
      '{"Name":"Operation","Value":"UpdateItem"}',
    );
    expect(JSON.stringify(devAlarms.TableWriteErrors?.Metrics)).toContain('SystemErrors');
  });

  it('count 401s from the Rejections metric by the three reasons that answer 401', () => {
    const metrics = devAlarms.Unauthorized?.Metrics ?? [];
    const reasons = metrics.flatMap((metric) => {
      const stat = metric.MetricStat?.Metric as { Dimensions: { Name: string; Value: string }[] } | undefined;
      return stat?.Dimensions.filter((d) => d.Name === 'Reason').map((d) => d.Value) ?? [];
    });
    expect(reasons.sort()).toEqual(['missing-header', 'signature', 'timestamp']);
    expect(JSON.stringify(metrics)).toContain('"Namespace":"CodatConnections"');
    expect(JSON.stringify(metrics)).toContain('{"Name":"stage","Value":"dev"}');
  });

  it('are stricter in prod: one 5xx, error, throttle or failed write, or 20 401s, is enough', () => {
    const thresholds = (all: Record<string, AlarmProperties>) =>
      Object.fromEntries(Object.entries(all).map(([name, properties]) => [name, properties.Threshold]));

    expect(thresholds(prodAlarms)).toEqual({
      ServerErrors: 1,
      FunctionErrors: 1,
      FunctionThrottles: 1,
      TableWriteThrottles: 1,
      TableWriteErrors: 1,
      Unauthorized: 20,
      ReconcileFailed: 1,
      WebhookEndpointDisabled: 1,
      ChangeEventsFailed: 1,
      ChangeEventsBehind: 15 * 60_000,
      HistoryFailed: 1,
      HistoryBehind: 15 * 60_000,
      DisconnectionSurge: 50,
    });
    expect(thresholds(devAlarms)).toEqual({
      ServerErrors: 5,
      FunctionErrors: 5,
      FunctionThrottles: 5,
      TableWriteThrottles: 5,
      TableWriteErrors: 5,
      Unauthorized: 50,
      // One failed walk or one disabled endpoint is worth a look in any stage.
      ReconcileFailed: 1,
      WebhookEndpointDisabled: 1,
      ChangeEventsFailed: 1,
      ChangeEventsBehind: 15 * 60_000,
      HistoryFailed: 1,
      HistoryBehind: 15 * 60_000,
      DisconnectionSurge: 50,
    });
  });

  it('leave the no-deliveries alarm off unless a period is given', () => {
    expect(devAlarms.NoDeliveries).toBeUndefined();

    const quiet = alarms(synthesize('prod', { noDeliveriesAlarmMinutes: 360 }).template).NoDeliveries;

    expect(quiet).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Count',
      Period: 21_600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('mail the address given as alarmEmail, and nobody otherwise', () => {
    devTemplate.resourceCountIs('AWS::SNS::Subscription', 0);

    const { template } = synthesize('dev', { alarmEmail: 'oncall@example.com' });

    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('refuse HTTP publishing to the topic', () => {
    devTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('the dashboard', () => {
  const widgets = dashboardWidgets(devTemplate);
  const receiver = () => section(widgets, 'Webhook receiver');

  it('is named after the stack', () => {
    devTemplate.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'CodatConnections-dev',
    });
    prodTemplate.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'CodatConnections-prod',
    });
  });

  it('shows the alarm status right below the title, above every section', () => {
    const [title, status, firstHeading] = widgets;

    expect(title?.properties.markdown).toMatch(/^# Codat connections: dev\n/);
    expect(status).toMatchObject({ type: 'alarm', width: 24, properties: { title: 'Alarms' } });
    expect(firstHeading?.properties.markdown).toBe('## Webhook receiver');
  });

  it('shows every alarm of the stack on the alarm status widget, the optional ones too', () => {
    const everyAlarmOn = synthesize('prod', { noDeliveriesAlarmMinutes: 60 }).template;

    for (const template of [devTemplate, everyAlarmOn]) {
      const status = dashboardWidgets(template).find((widget) => widget.type === 'alarm');
      const alarmArns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) =>
        ref(id, 'Arn'),
      );

      expect(status?.properties.alarms?.toSorted()).toEqual(alarmArns.toSorted());
    }
    expect(Object.keys(alarms(everyAlarmOn))).toContain('NoDeliveries');
  });

  it('gives each part of the stack a section, headed by its name', () => {
    expect(headings(widgets)).toEqual([
      'Webhook receiver',
      'Change events',
      'Reconciler',
      'Read API',
      'Connection history',
      'Connection health',
    ]);
  });

  it('charts the receiver in a section of its own', () => {
    expect(titles(receiver())).toEqual([
      'Deliveries by result (per 5 min)',
      'Rejections by reason (per 5 min)',
      'Latency',
      '5xx answers and failures (per 5 min)',
      'Throttles (per 5 min)',
      'Lag, generatedDate to receipt',
    ]);
  });

  it('charts every delivery result and every rejection reason', () => {
    const values = (name: string, dimension: string) =>
      plotted(receiver())
        .filter((metric) => metric.name === name)
        .map((metric) => metric.dimensions[dimension]);

    expect(values('Deliveries', 'Result')).toEqual(expect.arrayContaining([...DELIVERY_RESULTS]));
    expect(values('Rejections', 'Reason')).toEqual([...REJECTION_CODES]);
  });

  it('charts latency at p50 and p99, and the lag', () => {
    const stats = (name: string) =>
      plotted(receiver())
        .filter((metric) => metric.name === name)
        .map((metric) => metric.stat);

    expect(stats('Latency')).toEqual(['p50', 'p99']);
    expect(stats('Duration')).toEqual(['p50', 'p99']);
    expect(stats('DeliveryLagMs')).toEqual(['p50', 'p99', 'Maximum']);
  });
});

describe('the dashboard sections of the other parts', () => {
  const widgets = dashboardWidgets(devTemplate);
  /** A Lambda metric of the function whose logical id starts with `prefix`. */
  const lambda = (prefix: string, name: string, stat: string) =>
    expect.objectContaining({
      namespace: 'AWS/Lambda',
      name,
      dimensions: { FunctionName: ref(logicalId(devTemplate, 'AWS::Lambda::Function', prefix)) },
      stat,
    });
  /** One of the metrics the functions publish, as the dev stack charts it. */
  const own = (name: string, dimensions: Record<string, string> = {}) => ({
    namespace: 'CodatConnections',
    name,
    dimensions: { ...dimensions, service: 'codat-connections', stage: 'dev' },
  });

  it('chart the change events by result, how far the publisher is behind, its errors, and the failure queue', () => {
    const publisher = 'ChangeEventsPublishChanges';
    const queue = ref(logicalId(devTemplate, 'AWS::SQS::Queue', 'ChangeEventsPublishFailures'), 'QueueName');

    const changeEvents = section(widgets, 'Change events');

    expect(titles(changeEvents)).toEqual([
      'Change events by result (per 5 min)',
      'Publisher behind the table: iterator age (max)',
      'Publisher errors and throttles (per 5 min)',
      'Failed batches on the failure queue (max)',
    ]);
    expect(plotted(changeEvents)).toEqual([
      ...CHANGE_EVENT_RESULTS.map((result) =>
        expect.objectContaining({ ...own('ChangeEvents', { Result: result }), stat: 'Sum' }),
      ),
      lambda(publisher, 'IteratorAge', 'Maximum'),
      lambda(publisher, 'Errors', 'Sum'),
      lambda(publisher, 'Throttles', 'Sum'),
      expect.objectContaining({
        namespace: 'AWS/SQS',
        name: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queue },
        stat: 'Maximum',
      }),
    ]);
  });

  it('chart every walk metric, the changes by kind and the executions, a point a day over two weeks', () => {
    const stateMachine = ref(logicalId(devTemplate, 'AWS::StepFunctions::StateMachine', 'Reconciler'));

    const reconciler = section(widgets, 'Reconciler');
    const metrics = plotted(reconciler);

    expect(titles(reconciler)).toEqual([
      'Changes by kind, per day (14 days)',
      'Executions, per day (14 days)',
      'Codat API requests and throttles, per day (14 days)',
      'Longest walk of the day (14 days)',
      'Incomplete walks and webhook endpoint health, per day (14 days)',
      'Companies and connections, largest walk of the day (14 days)',
    ]);
    const walkMetrics = metrics.filter((metric) => metric.namespace === 'CodatConnections');
    expect(new Set(walkMetrics.map((metric) => metric.name))).toEqual(
      new Set(Object.values(RECONCILE_METRIC)),
    );
    for (const metric of walkMetrics) expect(metric).toMatchObject(own(metric.name));
    expect(walkMetrics.filter((metric) => metric.name === 'ReconcileChanges')).toEqual(
      RECONCILE_CHANGES.map((change) =>
        expect.objectContaining({ ...own('ReconcileChanges', { Change: change }), stat: 'Sum' }),
      ),
    );
    expect(metrics.filter((metric) => metric.namespace === 'AWS/States')).toEqual(
      ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) =>
        expect.objectContaining({ name, dimensions: { StateMachineArn: stateMachine }, stat: 'Sum' }),
      ),
    );
    for (const metric of metrics) expect(metric.period).toBe(86_400);
    for (const widget of reconciler) expect(widget.properties.start).toBe('-P14D');
  });
  it('chart the read function: invocations, errors and throttles, and its duration at p50 and p99', () => {
    const reader = 'ReadApiReadConnections';

    const readApi = section(widgets, 'Read API');

    expect(titles(readApi)).toEqual([
      'Read function invocations, errors and throttles (per 5 min)',
      'Read function duration',
    ]);
    expect(plotted(readApi)).toEqual([
      lambda(reader, 'Invocations', 'Sum'),
      lambda(reader, 'Errors', 'Sum'),
      lambda(reader, 'Throttles', 'Sum'),
      lambda(reader, 'Duration', 'p50'),
      lambda(reader, 'Duration', 'p99'),
    ]);
  });
});

describe('the stages', () => {
  it('keep logs two weeks in dev and a year in prod, the function and the API access logs alike', () => {
    const retention = (template: Template) =>
      Object.values(template.findResources('AWS::Logs::LogGroup')).map(
        (group) => (group.Properties as { RetentionInDays: number }).RetentionInDays,
      );

    // The receiver, the API access logs, the three reconciler functions and its state machine,
    // the read function, the change-event publisher and the history writer.
    expect(retention(devTemplate)).toEqual(Array(9).fill(14));
    expect(retention(prodTemplate)).toEqual(Array(9).fill(365));
  });

  it('keep the log groups of prod when the stack goes, and let those of dev go with it', () => {
    devTemplate.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    prodTemplate.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  it('protect the prod table from deletion, and retain it', () => {
    expect(resourceOf(prodTemplate, prod.table)).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true },
    });
    expect(resourceOf(devTemplate, dev.table)).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  it('name the API after the stack and tell the function its stage', () => {
    expect(resourceOf(devTemplate, dev.webhookReceiver.api).Properties.Name).toBe(
      'CodatConnections-dev-webhooks',
    );
    expect(resourceOf(prodTemplate, prod.webhookReceiver.api).Properties.Name).toBe(
      'CodatConnections-prod-webhooks',
    );
    expect(resourceOf(prodTemplate, prod.webhookReceiver.handler).Properties).toMatchObject({
      Environment: { Variables: { STAGE: 'prod', LOG_LEVEL: 'info' } },
    });
  });

  it('log every API request to an access log group', () => {
    const { AccessLogSettings: settings } = resourceOf(devTemplate, dev.webhookReceiver.apiStage)
      .Properties as { AccessLogSettings: { DestinationArn: unknown; Format: string } };

    expect(settings.DestinationArn).toBeDefined();
    expect(settings.Format).toContain('$context.status');
  });

  it('refuse a stage the stack does not know, whether from the context or in code', () => {
    expect(() => buildStack({ stage: 'staging' as 'dev' })).toThrow(
      /stage must be one of dev, prod, but is "staging"/,
    );
    expect(dev.stackName).toBe('CodatConnections-dev');
  });

  it('give the dashboard, the alarm topic and the log group as outputs', () => {
    devTemplate.hasOutput('DashboardName', { Value: Match.anyValue() });
    devTemplate.hasOutput('LogGroupName', { Value: Match.anyValue() });
    devTemplate.hasOutput('AlarmTopicArn', { Value: Match.anyValue() });
  });
});

describe('the context values of the stages and alarms', () => {
  it('default the stage to dev and accept prod', () => {
    expect(stageFromContext(undefined)).toBe('dev');
    expect(stageFromContext('prod')).toBe('prod');
  });

  it.each(['production', 'Prod', '', 1, true])('refuse the stage %p, naming the allowed ones', (value) => {
    expect(() => stageFromContext(value)).toThrow(/Context value stage must be one of dev, prod/);
  });

  it('accept one e-mail address, or none', () => {
    expect(alarmEmailFromContext('oncall@example.com')).toBe('oncall@example.com');
    expect(alarmEmailFromContext(undefined)).toBeUndefined();
  });

  it.each(['oncall', 'a@b', 'a@b.com,c@d.com', 'on call@example.com', 42])(
    'refuse the alarmEmail %p with a clear message',
    (value) => {
      expect(() => alarmEmailFromContext(value)).toThrow(
        /Context value alarmEmail must be one e-mail address/,
      );
    },
  );

  it('accept a no-deliveries period in minutes from cdk.json or the command line, and none', () => {
    expect(noDeliveriesAlarmMinutesFromContext(360)).toBe(360);
    expect(noDeliveriesAlarmMinutesFromContext('60')).toBe(60);
    expect(noDeliveriesAlarmMinutesFromContext(undefined)).toBeUndefined();
  });

  it.each([0, 4, '4', 1441, 1.5, 'six hours', -5])(
    'refuse the no-deliveries period %p, naming its range',
    (value) => {
      expect(() => noDeliveriesAlarmMinutesFromContext(value)).toThrow(
        /noDeliveriesAlarmMinutes must be a whole number of minutes from 5 to 1440/,
      );
    },
  );

  it('refuse a bad alarm e-mail given in code too', () => {
    expect(() => synthesize('dev', { alarmEmail: 'not-an-address' })).toThrow(/alarmEmail/);
  });
});

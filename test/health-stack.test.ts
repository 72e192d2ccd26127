import { describe, expect, it } from '@jest/globals';
import { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { healthSurgeThresholdFromContext } from '../lib/context';
import { DEFAULT_HEALTH_SURGE_THRESHOLD } from '../lib/health';
import { dashboardWidgets, headings, plotted, ref, section, titles } from './support/dashboard';
import { buildStack, logicalIdOf, resourceOf, synthesize } from './support/template';

interface AlarmProperties {
  AlarmName: string;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  AlarmDescription: string;
  Metrics: {
    Id: string;
    Expression?: string;
    ReturnData?: boolean;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
      Period: number;
      Stat: string;
    };
  }[];
}

const { stack: dev, template: devTemplate } = synthesize({ stage: 'dev' });
const { stack: prod, template: prodTemplate } = synthesize({ stage: 'prod' });

const surgeOf = (stack: typeof dev, template: Template) =>
  resourceOf(template, stack.health.surgeAlarm).Properties as unknown as AlarmProperties;

describe('the surge alarm', () => {
  const alarm = surgeOf(dev, devTemplate);

  it('fires when 50 or more connections became Deauthorized or Unlinked within an hour, in either stage', () => {
    expect(alarm).toMatchObject({
      AlarmName: 'CodatConnections-dev-DisconnectionSurge',
      Threshold: DEFAULT_HEALTH_SURGE_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(DEFAULT_HEALTH_SURGE_THRESHOLD).toBe(50);
    expect(surgeOf(prod, prodTemplate)).toMatchObject({
      AlarmName: 'CodatConnections-prod-DisconnectionSurge',
      Threshold: 50,
    });
  });

  it('adds the hourly ConnectionTransitions of the two statuses, an hour without one counting as zero', () => {
    const expression = alarm.Metrics.find((metric) => metric.Expression);
    const inputs = alarm.Metrics.filter((metric) => metric.MetricStat);

    expect(expression?.Expression).toBe('FILL(deauthorized, 0) + FILL(unlinked, 0)');
    expect(inputs.map((metric) => [metric.Id, metric.MetricStat])).toEqual(
      ['Deauthorized', 'Unlinked'].map((status) => [
        status.toLowerCase(),
        {
          Metric: {
            Namespace: 'CodatConnections',
            MetricName: 'ConnectionTransitions',
            Dimensions: [
              { Name: 'Status', Value: status },
              { Name: 'service', Value: 'codat-connections' },
              { Name: 'stage', Value: 'dev' },
            ],
          },
          Period: 3600,
          Stat: 'Sum',
        },
      ]),
    );
  });

  it('notifies the alarm topic when it fires and when it clears, and points to the runbook', () => {
    const topic = { Ref: logicalIdOf(dev.monitoring.topic) };

    expect(alarm.AlarmActions).toEqual([topic]);
    expect(alarm.OKActions).toEqual([topic]);
    expect(alarm.AlarmDescription).toMatch(
      /authorization may be failing for many companies.*docs\/operating\.md/,
    );
  });

  it('takes its threshold from the stack, as -c healthSurgeThreshold= sets it', () => {
    const stack = buildStack({ healthSurgeThreshold: 400 });

    const properties = surgeOf(stack, Template.fromStack(stack));

    expect(properties.Threshold).toBe(400);
    expect(properties.AlarmDescription).toMatch(/^400 or more connections/);
  });

  it('refuses a threshold that is not a whole number of connections, as the context value would be', () => {
    expect(() => buildStack({ healthSurgeThreshold: 0 })).toThrow(/healthSurgeThreshold/);
  });
});

describe('the healthSurgeThreshold context value', () => {
  it('accepts a whole number from cdk.json or from the command line', () => {
    expect(healthSurgeThresholdFromContext(25)).toBe(25);
    expect(healthSurgeThresholdFromContext('200')).toBe(200);
  });

  it('leaves the default in place when it is not set', () => {
    expect(healthSurgeThresholdFromContext(undefined)).toBeUndefined();
    expect(healthSurgeThresholdFromContext('')).toBeUndefined();
  });

  it.each([0, -5, 2.5, '1.5', 'many', '50 ', true])(
    'refuses %p in one sentence that says how to set it',
    (value) => {
      expect(() => healthSurgeThresholdFromContext(value)).toThrow(
        /^Context value healthSurgeThreshold must be a whole number of connections an hour, at least 1, but is .+\. Pass -c healthSurgeThreshold=50, or leave it out for the default\.$/,
      );
    },
  );
});

describe('the Connection health section of the dashboard', () => {
  const widgets = dashboardWidgets(devTemplate);
  const health = section(widgets, 'Connection health');

  it('comes after the other parts, and shows its alarm on the alarm status widget', () => {
    expect(headings(widgets).at(-1)).toBe('Connection health');
    const status = widgets.find((widget) => widget.type === 'alarm');
    expect(status?.properties.alarms).toContain(ref(logicalIdOf(dev.health.surgeAlarm), 'Arn'));
  });

  it('charts the counts by status, the platforms with the most broken connections, and the transitions per hour', () => {
    expect(titles(health)).toEqual([
      'Connections by status, after each walk (30 days)',
      'Platforms with the most Deauthorized or Unlinked connections (top 10, 14 days)',
      'Transitions by new status, per hour',
      'Transitions to Deauthorized or Unlinked by platform, per hour (top 10)',
    ]);
  });

  it('charts the largest count of each day by status over 30 days', () => {
    const [counts] = health;

    expect(counts?.properties.start).toBe('-P30D');
    expect(plotted(counts ? [counts] : [])).toEqual(
      ['PendingAuth', 'Linked', 'Unlinked', 'Deauthorized'].map((status) =>
        expect.objectContaining({
          namespace: 'CodatConnections',
          name: 'Connections',
          dimensions: { service: 'codat-connections', stage: 'dev', Status: status },
          stat: 'Maximum',
          period: 86_400,
        }),
      ),
    );
  });

  it('ranks the platforms by Metrics Insights over the by-platform series of this stage only', () => {
    const queries = health.flatMap((widget) =>
      (widget.properties.metrics ?? []).flatMap((row) =>
        row.map((cell) => (cell as { expression?: string }).expression).filter(Boolean),
      ),
    );

    expect(queries).toEqual([
      "SELECT MAX(Connections) FROM SCHEMA(CodatConnections, Platform, service, stage, Status) WHERE service = 'codat-connections' AND stage = 'dev' AND (Status = 'Deauthorized' OR Status = 'Unlinked') GROUP BY Platform, Status ORDER BY MAX() DESC LIMIT 10",
      "SELECT SUM(ConnectionTransitions) FROM SCHEMA(CodatConnections, Platform, service, stage, Status) WHERE service = 'codat-connections' AND stage = 'dev' AND (Status = 'Deauthorized' OR Status = 'Unlinked') GROUP BY Platform, Status ORDER BY SUM() DESC LIMIT 10",
    ]);
    // Metrics Insights reads two weeks at most.
    expect(health[1]?.properties.start).toBe('-P14D');
  });

  it('charts the transitions per hour by new status, new and deleted connections apart', () => {
    const transitions = health[2];

    expect(plotted(transitions ? [transitions] : [])).toEqual(
      ['Created', 'PendingAuth', 'Linked', 'Unlinked', 'Deauthorized', 'Deleted'].map((status) =>
        expect.objectContaining({
          name: 'ConnectionTransitions',
          dimensions: { service: 'codat-connections', stage: 'dev', Status: status },
          stat: 'Sum',
          period: 3600,
        }),
      ),
    );
  });
});

describe('the health metrics', () => {
  it('need no grant: they are EMF log lines, and no role may call PutMetricData', () => {
    const policies = JSON.stringify(devTemplate.findResources('AWS::IAM::Policy'));

    expect(policies).not.toContain('cloudwatch:');
    // Its only resource is the alarm: no role, no policy of its own.
    const types = dev.health.node
      .findAll()
      .filter((construct): construct is CfnResource => construct instanceof CfnResource)
      .map((resource) => resource.cfnResourceType);
    expect(types).toEqual(['AWS::CloudWatch::Alarm']);
  });
});

import { historyDaysFromContext } from '../lib/context';
import { HISTORY_ROUTE } from '../src/http/read-history';
import { HISTORY_METRIC } from '../src/observability/names';
import { dashboardWidgets, plotted, ref, section, titles } from './support/dashboard';
import { buildStack, grantsOf, logicalIdOf, type Resource, resourceOf, synthesize } from './support/template';

type FunctionResource = Resource & { Properties: { Environment: { Variables: Record<string, unknown> } } };

/** `value`, which the construct under test must have. */
function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the stack has no ${what}`);
  return value;
}

/**
 * The connection history in the template (issue 19), each assertion on the resource of the
 * construct it is about (found by logical id, never by type alone), so that another table, stream
 * mapping, grant or alarm of the stack cannot answer for the history's.
 */
describe('the connection history in the stack', () => {
  const { stack, template } = synthesize();
  const { history } = stack;
  const ids = {
    connections: logicalIdOf(stack.table),
    table: logicalIdOf(history.table),
    writer: logicalIdOf(history.writer),
    failures: logicalIdOf(history.failures),
    reader: logicalIdOf(stack.readApi.reader),
    topic: logicalIdOf(stack.monitoring.topic),
  };
  const table = resourceOf(template, history.table);

  describe('the history table', () => {
    it('keys one connection by pk and its changes by sk, and a company by the byCompany index', () => {
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(table.Properties.GlobalSecondaryIndexes).toEqual([
        {
          IndexName: 'byCompany',
          KeySchema: [
            { AttributeName: 'companyId', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]);
      expect(table.Properties.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'companyId', AttributeType: 'S' },
      ]);
    });

    it('lets DynamoDB TTL remove items by expiresAt, bills per request and keeps point-in-time recovery on', () => {
      expect(table.Properties).toMatchObject({
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('streams nothing: its only reader is the read route', () => {
      expect(table.Properties.StreamSpecification).toBeUndefined();
    });

    it('goes with a dev stack', () => {
      expect(table).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      expect(table.Properties.DeletionProtectionEnabled ?? false).toBe(false);
    });

    it('is kept, and protected from deletion, in prod', () => {
      const prod = synthesize({ stage: 'prod' });

      expect(resourceOf(prod.template, prod.stack.history.table)).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { DeletionProtectionEnabled: true },
      });
    });
  });

  describe('the history writer', () => {
    const writer = resourceOf(template, history.writer) as FunctionResource;

    it('runs as every function runs, told its table, the days to keep an item, its stage and log level', () => {
      expect(writer.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 60,
        Handler: 'index.handler',
      });
      expect(writer.Properties.Environment.Variables).toEqual({
        NODE_OPTIONS: '--enable-source-maps',
        HISTORY_TABLE_NAME: { Ref: ids.table },
        HISTORY_DAYS: '400',
        STAGE: 'dev',
        LOG_LEVEL: 'info',
      });
    });

    it('reads the Connection table’s stream as its second consumer: large batches, partial failures, bisection, bounded retries, a failure queue', () => {
      expect(resourceOf(template, history.streamMapping).Properties).toEqual({
        EventSourceArn: { 'Fn::GetAtt': [ids.connections, 'StreamArn'] },
        FunctionName: { Ref: ids.writer },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        ParallelizationFactor: 1,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 6 * 3600,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.failures, 'Arn'] } } },
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'] }) }] },
      });
    });

    it('may only put history items, besides reading the stream and naming failed batches on its queue', () => {
      expect(grantsOf(template, ids.writer)).toEqual([
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Resource: { 'Fn::GetAtt': [ids.failures, 'Arn'] },
        },
        { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: { 'Fn::GetAtt': [ids.connections, 'StreamArn'] },
        },
      ]);
    });

    it('keeps items as many days as historyDays says', () => {
      const kept = synthesize({ historyDays: 30 });
      const variables = (resourceOf(kept.template, kept.stack.history.writer) as FunctionResource).Properties
        .Environment.Variables;

      expect(variables.HISTORY_DAYS).toBe('30');
    });

    it('refuses a historyDays given in code that is not a whole number of days', () => {
      expect(() => buildStack({ historyDays: 0.5 })).toThrow(/historyDays/);
    });
  });

  describe('the history route', () => {
    const route = resourceOf(template, present(stack.readApi.routes[HISTORY_ROUTE], 'history route'));
    const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const integration = template.toJSON().Resources[target['Fn::Join'][1][1].Ref] as Resource;

    it('routes GET …/history to the read function under AWS_IAM authorization', () => {
      expect(route.Properties).toMatchObject({
        RouteKey: 'GET /companies/{companyId}/connections/{connectionId}/history',
        AuthorizationType: 'AWS_IAM',
      });
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [ids.reader, 'Arn'] },
        PayloadFormatVersion: '2.0',
      });
    });

    it('lets the read function Query the history table, and do nothing else with it', () => {
      // The table itself, not its byCompany index: no route reads a company's history yet.
      const onHistory = grantsOf(template, ids.reader).filter((statement) =>
        JSON.stringify(statement.Resource).includes(ids.table),
      );

      expect(onHistory).toEqual([
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] } },
      ]);
      expect(
        (resourceOf(template, stack.readApi.reader) as FunctionResource).Properties.Environment.Variables,
      ).toMatchObject({ HISTORY_TABLE_NAME: { Ref: ids.table } });
    });
  });

  describe('the history alarms and failure queue', () => {
    const [failed, behind] = history.alarms;
    const alarm = (which: typeof failed) => resourceOf(template, present(which, 'history alarm')).Properties;

    it('alarms on the alarm topic as soon as one failed batch reaches the history failure queue', () => {
      expect(alarm(failed)).toMatchObject({
        AlarmName: 'CodatConnections-dev-HistoryFailed',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.failures, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: ids.topic }],
        OKActions: [{ Ref: ids.topic }],
      });
    });

    it('alarms when the history falls 15 minutes behind the table', () => {
      expect(alarm(behind)).toMatchObject({
        AlarmName: 'CodatConnections-dev-HistoryBehind',
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.writer } }],
        Statistic: 'Maximum',
        Threshold: 15 * 60_000,
        AlarmActions: [{ Ref: ids.topic }],
        OKActions: [{ Ref: ids.topic }],
      });
    });

    it('encrypts the failure queue, keeps its messages 14 days and refuses it plain HTTP', () => {
      expect(resourceOf(template, history.failures).Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
      const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter(
        (policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([{ Ref: ids.failures }]),
      );
      expect(policies).toHaveLength(1);
      expect(JSON.stringify(policies[0]?.Properties.PolicyDocument)).toContain(
        '{"Bool":{"aws:SecureTransport":"false"}}',
      );
    });

    it('names the history table and the failure queue as outputs', () => {
      template.hasOutput('HistoryTableName', { Value: { Ref: ids.table } });
      template.hasOutput('HistoryFailuresQueueUrl', { Value: { Ref: ids.failures } });
    });
  });

  describe('the dashboard section', () => {
    const widgets = section(dashboardWidgets(template), 'Connection history');
    const lambda = (name: string, stat: string) =>
      expect.objectContaining({
        namespace: 'AWS/Lambda',
        name,
        dimensions: { FunctionName: ref(ids.writer) },
        stat,
      });

    it('charts the records by result, how far behind the writer is, its errors and the failure queue', () => {
      expect(titles(widgets)).toEqual([
        'History records by result (per 5 min)',
        'History behind the table: iterator age (max)',
        'History writer errors and throttles (per 5 min)',
        'Failed batches on the history failure queue (max)',
      ]);
      expect(plotted(widgets)).toEqual([
        ...Object.values(HISTORY_METRIC).map((name) =>
          expect.objectContaining({
            namespace: 'CodatConnections',
            name,
            dimensions: { service: 'codat-connections', stage: 'dev' },
            stat: 'Sum',
          }),
        ),
        lambda('IteratorAge', 'Maximum'),
        lambda('Errors', 'Sum'),
        lambda('Throttles', 'Sum'),
        expect.objectContaining({
          namespace: 'AWS/SQS',
          name: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: ref(ids.failures, 'QueueName') },
          stat: 'Maximum',
        }),
      ]);
    });
  });
});

describe('the historyDays context value', () => {
  it('reads a whole number of days from cdk.json or the command line, and leaves the default when unset', () => {
    expect(historyDaysFromContext(400)).toBe(400);
    expect(historyDaysFromContext('30')).toBe(30);
    expect(historyDaysFromContext(undefined)).toBeUndefined();
    expect(historyDaysFromContext('')).toBeUndefined();
  });

  it.each([0, '0', -1, 1.5, '1.5', 'a year', ' 7', true, null])(
    'refuses %p with a message naming historyDays',
    (value) => {
      expect(() => historyDaysFromContext(value)).toThrow(/historyDays/);
    },
  );
});

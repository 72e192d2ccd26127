import { Match } from 'aws-cdk-lib/assertions';
import { NOTIFY_PATTERN } from '../lib/change-events';
import type { ConnectionsStackProps } from '../lib/connections-stack';
import { eventArchiveDaysFromContext, notifyEmailFromContext } from '../lib/context';
import {
  grantsOf,
  logicalId,
  logicalIdOf,
  type Resource,
  resourceOf,
  synthesize as synthesizeStack,
  synthesizeTemplate,
} from './support/template';

const synthesize = (props: ConnectionsStackProps = {}) => synthesizeTemplate(props);

describe('the change events in the stack', () => {
  const { stack, template } = synthesizeStack();
  const { changeEvents } = stack;
  const table = logicalIdOf(stack.table);
  const bus = logicalIdOf(changeEvents.bus);
  const queue = logicalIdOf(changeEvents.failures);
  const publisher = logicalIdOf(changeEvents.publisher);

  it('streams the table with its old and new images', () => {
    expect(resourceOf(template, stack.table).Properties.StreamSpecification).toEqual({
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
  });

  it('feeds the stream to the publisher in order, with partial failures, bisection, bounded retries and a failure queue', () => {
    // The publisher's and the history writer's (test/history-stack.test.ts), both on this stream.
    const onStream = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { EventSourceArn: { 'Fn::GetAtt': [table, 'StreamArn'] } },
    });
    expect(Object.keys(onStream)).toHaveLength(2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [table, 'StreamArn'] },
      FunctionName: { Ref: publisher },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 25,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'] }) }] },
    });
  });

  it('tells the publisher its bus, and runs it as every function runs', () => {
    expect(resourceOf(template, changeEvents.publisher).Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: { Variables: { EVENT_BUS_NAME: { Ref: bus }, STAGE: 'dev' } },
    });
  });

  it('lets the publisher put events on its own bus only, read the stream and name failures on its queue', () => {
    expect(grantsOf(template, 'ChangeEventsPublishChanges')).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [bus, 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      },
      { Effect: 'Allow', Action: 'dynamodb:ListStreams', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        Resource: { 'Fn::GetAtt': [table, 'StreamArn'] },
      },
    ]);
  });

  it('names the bus after the stack and archives its change events for 90 days', () => {
    expect(resourceOf(template, changeEvents.bus).Properties.Name).toBe(
      'CodatConnections-dev-connection-changes',
    );
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [bus, 'Arn'] },
      EventPattern: { source: ['codat.connections'] },
      RetentionDays: 90,
    });
  });

  it('keeps the archive as long as eventArchiveDays says', () => {
    synthesize({ changeEvents: { archiveDays: 365 } }).hasResourceProperties('AWS::Events::Archive', {
      RetentionDays: 365,
    });
  });

  it('alarms on the alarm topic as soon as one failure reaches the queue', () => {
    const topic = logicalIdOf(stack.monitoring.topic);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'CodatConnections-dev-ChangeEventsFailed',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
    });
  });

  it('encrypts the failure queue and refuses it plain HTTP', () => {
    expect(resourceOf(template, changeEvents.failures).Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('has no e-mail consumer unless notifyEmail is given', () => {
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('with notifyEmail, mails a readable message for a connection that became Unlinked or Deauthorized, or failed', () => {
    const withEmail = synthesize({ changeEvents: { notifyEmail: 'team@example.com' } });
    const topic = logicalId(withEmail, 'AWS::SNS::Topic', 'ChangeEventsNotifications');

    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'team@example.com',
      TopicArn: { Ref: topic },
    });
    const rule = Object.values(withEmail.findResources('AWS::Events::Rule'))[0] as Resource;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['codat.connections'],
      'detail-type': ['Connection Changed'],
      detail: NOTIFY_PATTERN.detail,
    });
    const [target] = rule.Properties.Targets as {
      Arn: unknown;
      InputTransformer: { InputTemplate: string };
    }[];
    expect(target?.Arn).toEqual({ Ref: topic });
    expect(target?.InputTransformer.InputTemplate).toMatch(
      /^"<detail-summary>\\n\\nCompany: <detail-companyName> \(<detail-companyId>\)\\nPlatform: /,
    );
  });
});

describe('the read API in the stack', () => {
  const { stack, template } = synthesizeStack();
  const table = logicalIdOf(stack.table);
  const history = logicalIdOf(stack.history.table);
  const reader = logicalIdOf(stack.readApi.reader);

  // The history route's own tests are in test/history-stack.test.ts.
  it.each([
    'GET /companies/{companyId}/connections',
    'GET /companies/{companyId}/connections/{connectionId}',
  ])('routes %s to the read function under AWS_IAM authorization', (routeKey) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      AuthorizationType: 'AWS_IAM',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { 'Fn::GetAtt': [reader, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
  });

  it('lets the read function GetItem and Query the table and Query the history, and do nothing else with them', () => {
    expect(grantsOf(template, 'ReadApiReadConnections')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query'],
        Resource: [{ 'Fn::GetAtt': [table, 'Arn'] }],
      },
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::GetAtt': [history, 'Arn'] } },
    ]);
  });
});

describe('the change-event context values', () => {
  it('read eventArchiveDays as a whole number of days, and notifyEmail as one address', () => {
    expect(eventArchiveDaysFromContext('365')).toBe(365);
    expect(eventArchiveDaysFromContext(undefined)).toBeUndefined();
    expect(notifyEmailFromContext('team@example.com')).toBe('team@example.com');
  });

  it.each([0, '0', '1.5', 'abc', true])('refuse eventArchiveDays %p with a message naming it', (value) => {
    expect(() => eventArchiveDaysFromContext(value)).toThrow(/eventArchiveDays/);
  });

  it.each(['not-an-address', 'a@b.c,d@e.f', 42])(
    'refuse notifyEmail %p with a message naming it',
    (value) => {
      expect(() => notifyEmailFromContext(value)).toThrow(/notifyEmail/);
    },
  );
});

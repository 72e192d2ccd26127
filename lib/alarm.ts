import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

export interface StackAlarmProps {
  /**
   * The alarm's name after the stack's, `<stack name>-<name>`: the alarm topic's policy lets
   * only alarms so named publish.
   * @default - the construct id
   */
  readonly name?: string;
  readonly metric: IMetric;
  readonly threshold: number;
  /** What has gone wrong, in a sentence or two; the runbook's place is added. */
  readonly description: string;
  /** @default ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparisonOperator?: ComparisonOperator;
  /**
   * @default TreatMissingData.NOT_BREACHING - no data point means nothing happened
   */
  readonly treatMissingData?: TreatMissingData;
  /** Notified when the alarm fires and when it clears: the stack's alarm topic. */
  readonly topic: ITopic;
}

/**
 * The topic every alarm of the stack notifies, refusing plain HTTP. CloudWatch may publish to it
 * for the alarms of this account whose names start with the stack's, as `stackAlarm` names them.
 */
export function alarmTopic(scope: Construct, id: string): Topic {
  const stack = Stack.of(scope);
  const topic = new Topic(scope, id, { displayName: `${stack.stackName} alarms`, enforceSSL: true });
  Validations.of(topic).acknowledge({
    id: 'AwsSolutions-SNS2',
    reason:
      'Alarm notifications carry alarm names and states, no delivery data. Encrypting them needs a ' +
      'customer-managed KMS key whose policy lets CloudWatch publish (the AWS-managed SNS key does not).',
  });
  // enforceSSL writes a topic policy, and a topic policy replaces SNS's default one: without this
  // statement no alarm could publish. Only this account's alarms, named after this stack, may.
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: `${stack.stackName}-*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
        StringEquals: { 'aws:SourceAccount': stack.account },
      },
    }),
  );
  return topic;
}

/**
 * One alarm of the stack, the one shape every part's alarms take: named after the stack, judged
 * on one period, pointing to the runbook, and notifying `topic` both ways. Created in `scope`
 * under `id`, which with the scope makes its logical id.
 */
export function stackAlarm(scope: Construct, id: string, props: StackAlarmProps): Alarm {
  const alarm = new Alarm(scope, id, {
    alarmName: `${Stack.of(scope).stackName}-${props.name ?? id}`,
    alarmDescription: `${props.description} See the runbook in docs/operating.md.`,
    metric: props.metric,
    threshold: props.threshold,
    evaluationPeriods: 1,
    comparisonOperator: props.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: props.treatMissingData ?? TreatMissingData.NOT_BREACHING,
  });
  const action = new SnsAction(props.topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}

import { Duration, Validations } from 'aws-cdk-lib';
import { type Alarm, type Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type IFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { stackAlarm } from './alarm';

/** One of a consumer's two alarms: its id in the scope (which makes its logical id), name and text. */
export interface StreamConsumerAlarm {
  readonly id: string;
  /** After the stack's name, as `stackAlarm` names it. */
  readonly name: string;
  /** What has gone wrong, in a sentence or two; the runbook's place is added. */
  readonly description: string;
}

export interface StreamConsumerProps {
  /** The Connection table; its stream must carry NEW_AND_OLD_IMAGES. */
  readonly table: ITable;
  /** The function that handles the stream's batches, reporting the records that failed. */
  readonly fn: IFunction;
  /** Where Lambda names a batch that failed after every retry. */
  readonly failures: IQueue;
  /** Records per invocation, at most. */
  readonly batchSize: number;
  /** Fires when a failed batch waits on `failures`. */
  readonly failedAlarm: StreamConsumerAlarm;
  /** Fires when the consumer is 15 minutes or more behind the table. */
  readonly behindAlarm: StreamConsumerAlarm;
  /** Where the alarms go: the stack's alarm topic. */
  readonly topic: ITopic;
}

export interface StreamConsumer {
  /** The mapping DynamoEventSource made, for the tests and for whoever tunes it later. */
  readonly mapping: EventSourceMapping;
  /** Failed batches waiting on the failure queue, the most in 5 minutes. */
  readonly waiting: Metric;
  /** How far the consumer is behind the table, in ms, the most in 5 minutes. */
  readonly iteratorAge: Metric;
  readonly failedAlarm: Alarm;
  readonly behindAlarm: Alarm;
}

/**
 * A consumer of the Connection table's stream, the one way the stack builds them (the
 * change-event publisher and the history writer): `fn` reads the stream from its oldest record,
 * retries only the records it reports failed, and sends what still fails to `failures`. The
 * alarms are made in `scope`, under their ids.
 */
export function streamConsumer(scope: Construct, props: StreamConsumerProps): StreamConsumer {
  const { fn, failures, topic } = props;
  const source = new DynamoEventSource(props.table, {
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: props.batchSize,
    // One batch per shard at a time: the publisher's events leave in the order the table
    // applied them.
    parallelizationFactor: 1,
    bisectBatchOnError: true,
    retryAttempts: 10,
    maxRecordAge: Duration.hours(6),
    reportBatchItemFailures: true,
    onFailure: new SqsDlq(failures),
    // Removals (a TTL expiry, a removal by hand) make no change event and no history item:
    // not worth an invocation.
    filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY') })],
  });
  const known = new Set(fn.node.children);
  fn.addEventSource(source);
  const mapping = fn.node.children.find((child) => !known.has(child) && child instanceof EventSourceMapping);
  if (!(mapping instanceof EventSourceMapping)) throw new Error(`${fn.node.path} got no stream mapping`);
  Validations.of(fn.role ?? fn).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'dynamodb:ListStreams, which the stream mapping needs, takes no resource ARN.',
  });

  const maxPerFiveMinutes = { period: Duration.minutes(5), statistic: Stats.MAXIMUM };
  const waiting = failures.metricApproximateNumberOfMessagesVisible(maxPerFiveMinutes);
  const iteratorAge = fn.metric('IteratorAge', maxPerFiveMinutes);
  const failedAlarm = stackAlarm(scope, props.failedAlarm.id, {
    name: props.failedAlarm.name,
    description: props.failedAlarm.description,
    metric: waiting,
    threshold: 1,
    topic,
  });
  const behindAlarm = stackAlarm(scope, props.behindAlarm.id, {
    name: props.behindAlarm.name,
    description: props.behindAlarm.description,
    metric: iteratorAge,
    threshold: 15 * 60_000,
    topic,
  });
  return { mapping, waiting, iteratorAge, failedAlarm, behindAlarm };
}

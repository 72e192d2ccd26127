import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { LogLevel } from '../src/defaults';
import type { Stage } from '../src/stages';

export { isStage, STAGES, type Stage, stackNameOf } from '../src/stages';

/** Alarm thresholds, each a count over one 5-minute period. */
export interface AlarmThresholds {
  /** 5xx answers from the API: the sender will retry, but something of ours is wrong. */
  readonly serverErrors: number;
  /** Function errors (crashes, timeouts) and throttles, each. */
  readonly functionErrors: number;
  /** DynamoDB throttled or failed (system error) writes, each. */
  readonly tableWriteFaults: number;
  /** 401 answers: a wrong secret after a rotation, or someone knocking. */
  readonly unauthorized: number;
}

/** What differs between stages; everything else is the same code and the same resources. */
export interface StageSettings {
  /** The table and the log groups when the stack is deleted or they are replaced. */
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB deletion protection: the table cannot be deleted, even by hand, until it is turned off. */
  readonly tableDeletionProtection: boolean;
  readonly logRetention: RetentionDays;
  readonly logLevel: LogLevel;
  readonly alarms: AlarmThresholds;
}

export const STAGE_SETTINGS: Readonly<Record<Stage, StageSettings>> = {
  dev: {
    removalPolicy: RemovalPolicy.DESTROY,
    tableDeletionProtection: false,
    logRetention: RetentionDays.TWO_WEEKS,
    logLevel: 'info',
    alarms: { serverErrors: 5, functionErrors: 5, tableWriteFaults: 5, unauthorized: 50 },
  },
  prod: {
    removalPolicy: RemovalPolicy.RETAIN,
    tableDeletionProtection: true,
    logRetention: RetentionDays.ONE_YEAR,
    logLevel: 'info',
    alarms: { serverErrors: 1, functionErrors: 1, tableWriteFaults: 1, unauthorized: 20 },
  },
};

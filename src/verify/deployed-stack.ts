/**
 * The AWS operations `verify-deploy` needs from a deployed stack and its account, and nothing
 * else: the checks (checks.ts and the files it calls) are written against this, implemented once with the AWS SDK
 * (aws-deployed-stack.ts) and, in the tests, over loopback stand-ins.
 */

/** The stack's outputs by key (`WebhookUrl`, `ReadApiUrl`, `SigningSecretArn`, …). */
export type StackOutputs = Readonly<Record<string, string>>;

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmSummary {
  name: string;
  state: AlarmState;
  /** What the alarm notifies when it goes to ALARM. */
  alarmActions: readonly string[];
  /** What it notifies when it goes back to OK. */
  okActions: readonly string[];
}

/** One `Action` item of an alarm's history: CloudWatch carried out (or failed) one of its actions. */
export interface AlarmActionRecord {
  timestamp: Date;
  /** e.g. `Successfully executed action arn:aws:sns:…` or `Failed to execute action arn:aws:sns:…. Received error: …` */
  summary: string;
  /** From the item's HistoryData: `Succeeded` or `Failed`, when it says. */
  actionState?: string;
  /** The topic (or other target) the action was for, when HistoryData names it. */
  resource?: string;
  /** Why it failed, when HistoryData says. */
  error?: string;
}

/** An HTTP answer, read whole. */
export interface HttpAnswer {
  status: number;
  body: string;
}

export interface DeployedStack {
  /** Where the calls go: the region the SDK resolved (from AWS_REGION, or the profile). */
  region(): Promise<string>;
  /** CloudFormation DescribeStacks: the stack's outputs; throws StackNotFoundError (src/errors.ts) when there is no such stack. */
  outputs(stackName: string): Promise<StackOutputs>;
  /** Secrets Manager GetSecretValue: the secret's current string value. */
  secretString(secretId: string): Promise<string>;
  /** CloudWatch DescribeAlarms: the metric and composite alarms whose names start with `prefix`. */
  alarms(prefix: string): Promise<AlarmSummary[]>;
  /** CloudWatch SetAlarmState. */
  setAlarmState(alarmName: string, state: AlarmState, reason: string): Promise<void>;
  /** CloudWatch DescribeAlarmHistory, HistoryItemType `Action`, from `since` on. */
  alarmActions(alarmName: string, since: Date): Promise<AlarmActionRecord[]>;
  /** A GET signed with SigV4 for API Gateway (service `execute-api`) with the caller's credentials. */
  signedGet(url: string): Promise<HttpAnswer>;
}

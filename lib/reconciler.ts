import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm, IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, type ITable, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  DefinitionBody,
  JsonPath,
  LogLevel,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { StorageUnavailableError } from '../src/errors';
import { JOURNAL_TABLE } from '../src/reconcile/journal-table';
import { NodeFunction } from './node-function';
import { placeholderSecret } from './placeholder-secret';
import { reconcilerAlarms, reconcilerDashboardRows } from './reconciler-monitoring';
import type { Stage, StageSettings } from './stage';
import { expiringTable } from './table';

export interface ReconcilerProps {
  readonly stage: Stage;
  readonly settings: StageSettings;
  readonly table: ITable;
  readonly tombstoneTtlDays: number;
  /** This stack's webhook URL, to find its endpoint among the provider's webhook consumers. */
  readonly webhookUrl: string;
  /** Where the reconciler's alarms go: the stack's alarm topic. */
  readonly alarmTopic: ITopic;
  /**
   * An EventBridge Scheduler expression, `rate(...)` or `cron(...)`.
   * @default - no schedule: the state machine runs only when started by hand
   */
  readonly schedule?: string;
}

/** One of the walk's steps, as `walkFunction` builds it. */
interface WalkStepProps {
  /** The handler's file in functions/, without `.ts`. */
  readonly file: string;
  readonly description: string;
  readonly memorySize: number;
  readonly tableActions: readonly string[];
  readonly journalActions: readonly string[];
}

const entry = (name: string) => fileURLToPath(new URL(`../functions/${name}.ts`, import.meta.url));

/**
 * The reconciler: a Step Functions Standard state machine that checks the webhook endpoint's
 * health, then loops one Lambda invocation over as many company pages as fit in it (state: the
 * walk's progress, a few hundred bytes), then sweeps deletions only if every page completed.
 * No invocation holds the whole walk, so an account of any size fits Lambda's 15 minutes.
 */
export class Reconciler extends Construct {
  readonly apiKeySecret: Secret;
  readonly stateMachine: StateMachine;
  /** A reconciliation that did not complete, and the endpoint disabled; they notify the `alarmTopic`. */
  readonly alarms: Alarm[];
  /** The walks' charts, for the stack's dashboard: a point a day over two weeks. */
  readonly dashboardRows: IWidget[][];
  /** One item per page of a walk, which the sweep reads back. */
  readonly journal: Table;
  /** The walk's two steps, and the endpoint check that comes before them. */
  readonly functions: Readonly<Record<'pages' | 'sweep' | 'endpoint', NodeFunction>>;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const { settings, stage } = props;
    const prefix = Stack.of(this).stackName;

    // A placeholder no API key looks like: the run fails clearly instead of with a 401.
    this.apiKeySecret = placeholderSecret(this, 'ApiKey', {
      description:
        'Codat API key for the reconciler. Replace this value with the API key from the Codat portal; ' +
        'until then every reconciliation fails with a message saying so.',
      replaceWith: 'the API key from the Codat portal',
      unrotated: 'The API key is issued by the Codat portal, which Secrets Manager cannot rotate.',
      output: {
        id: 'CodatApiKeySecretArn',
        what: 'the Codat API key for the reconciler',
        value: '<API key>',
      },
    });

    // One item per page of a walk, removed by TTL a week later.
    const journal = expiringTable(this, 'WalkJournal', {
      layout: JOURNAL_TABLE,
      sortKeyType: AttributeType.NUMBER,
      removalPolicy: settings.removalPolicy,
    });
    this.journal = journal;

    const common = {
      environment: {
        STAGE: stage,
        LOG_LEVEL: settings.logLevel,
        TOMBSTONE_TTL_DAYS: String(props.tombstoneTtlDays),
      },
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    };
    // A walk step: 15 minutes, the most Lambda allows; the table, the journal and the API key.
    const walkFunction = (id: string, step: WalkStepProps) =>
      new NodeFunction(this, id, {
        ...common,
        entry: entry(step.file),
        description: step.description,
        memorySize: step.memorySize,
        timeout: Duration.minutes(15),
      })
        .useTable(props.table, 'TABLE_NAME', step.tableActions)
        .useTable(journal, 'JOURNAL_TABLE_NAME', step.journalActions)
        .useSecret(this.apiKeySecret, 'CODAT_API_KEY_SECRET_ARN');
    const pages = walkFunction('ReconcilePages', {
      file: 'reconcile-pages',
      description: 'Codat reconciler: reads and reconciles company pages, one walk step',
      memorySize: 512,
      tableActions: ['dynamodb:Query', 'dynamodb:UpdateItem'],
      journalActions: ['dynamodb:PutItem'],
    });
    const sweep = walkFunction('ReconcileSweep', {
      file: 'reconcile-sweep',
      description: 'Codat reconciler: deletions after a complete walk, and the walk metrics',
      memorySize: 1024,
      // GetItem: each connection the journal names as absent is read again before it is buried.
      tableActions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
      journalActions: ['dynamodb:Query'],
    });
    const endpoint = new NodeFunction(this, 'CheckWebhookEndpoint', {
      ...common,
      entry: entry('check-webhook-endpoint'),
      description: 'Codat reconciler: is this stack’s webhook endpoint enabled at the provider?',
      timeout: Duration.minutes(1),
      environment: { ...common.environment, WEBHOOK_URL: props.webhookUrl },
    }).useSecret(this.apiKeySecret, 'CODAT_API_KEY_SECRET_ARN');
    this.functions = { pages, sweep, endpoint };

    const invoke = (name: string, fn: NodeFunction) =>
      new LambdaInvoke(this, name, { lambdaFunction: fn, payloadResponseOnly: true }).addRetry({
        // A step is safe to run again (every write is conditional, a journal page is replaced),
        // but only a transient failure is worth it: not an incomplete walk or a missing API key.
        // Named by the class, whose instances carry the same name (test/errors.test.ts).
        errors: [
          'Lambda.ServiceException',
          'Lambda.TooManyRequestsException',
          'Lambda.SdkClientException',
          StorageUnavailableError.name,
        ],
        maxAttempts: 2,
        interval: Duration.seconds(30),
        backoffRate: 2,
      });
    const checkEndpoint = invoke('CheckEndpoint', endpoint);
    const start = new Pass(this, 'StartWalk', {
      parameters: {
        walkId: JsonPath.stringAt('$$.Execution.Name'),
        startedAt: JsonPath.stringAt('$$.Execution.StartTime'),
      },
    });
    const walkStep = invoke('WalkPages', pages);
    const sweepStep = invoke('Sweep', sweep);
    // The endpoint check alarms on its own; its failure must not stop the walk.
    checkEndpoint.addCatch(start, { resultPath: JsonPath.DISCARD });
    const definition = checkEndpoint
      .next(start)
      .next(walkStep)
      .next(
        new Choice(this, 'AllPagesRead')
          .when(Condition.isNull('$.nextPage'), sweepStep.next(new Succeed(this, 'Done')))
          .otherwise(walkStep),
      );
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `${prefix}-reconcile`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(6),
      logs: {
        destination: new LogGroup(this, 'StateMachineLogs', {
          retention: settings.logRetention,
          removalPolicy: settings.removalPolicy,
        }),
        level: LogLevel.ALL,
      },
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF2',
      reason:
        'Like the functions, the reconciler is not traced: its logs and metrics say where a walk stands.',
    });
    // The findings are named by resource, so each is acknowledged by its own id.
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs delivery for the execution log needs Resource * (logs:CreateLogDelivery and its kin take no ARN).',
      },
      ...[pages, sweep, endpoint].map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
        reason:
          'CDK grants lambda:InvokeFunction on the function and its versions (arn:*); no other function.',
      })),
    );

    if (props.schedule) {
      new Schedule(this, 'Schedule', {
        description: 'Runs the Codat reconciler',
        schedule: ScheduleExpression.expression(props.schedule),
        target: new StepFunctionsStartExecution(this.stateMachine, {}),
      });
    }

    this.alarms = reconcilerAlarms(this, {
      stage,
      stateMachine: this.stateMachine,
      alarmTopic: props.alarmTopic,
    });
    this.dashboardRows = reconcilerDashboardRows({ stage, stateMachine: this.stateMachine });

    new CfnOutput(Stack.of(this), 'ReconcileStateMachineArn', {
      value: this.stateMachine.stateMachineArn,
      description:
        'Start a reconciliation now with: aws stepfunctions start-execution --state-machine-arn <this ARN>',
    });
  }
}

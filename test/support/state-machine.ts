import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import {
  type DeployedFunction,
  type InvokeOptions,
  invokeDeployedFunction,
  type LambdaError,
  startSecretsManagerStandIn,
} from '../../bench/deployed-bundle';
import { ensureTable } from '../../local/embedded-dynamodb';
import type { AccountOptions, FakeAccount } from '../../local/fake-codat-api/account';
import { type FakeCodatApi, startFakeCodatApi } from '../../local/fake-codat-api/server';
import { JOURNAL_TABLE } from '../../src/reconcile/journal-table';
import { ACCOUNT, type AwsCall, type AwsCallRecorder, recordAwsCalls } from './aws-calls';
import type { StackTemplate, SynthesizedStack } from './deployed-bundle';
import { type EmbeddedTable, type Engine, startTable } from './embedded-table';
import { expectAllowed } from './iam';

/** Where the launcher runs every function (bench/deployed-bundle.ts), in the account the IAM evaluator uses. */
const REGION = 'us-east-1';

/** The reconciler's functions by construct path, the Task states' resources. */
export const RECONCILER_FUNCTIONS = [
  'Reconciler/CheckWebhookEndpoint',
  'Reconciler/ReconcilePages',
  'Reconciler/ReconcileSweep',
] as const;
export type ReconcilerFunction = (typeof RECONCILER_FUNCTIONS)[number];

/** What the stack's resources resolve to in one test's world: its tables' names, its secret. */
interface Deployment {
  stackName: string;
  template: StackTemplate;
  connectionTable: string;
  journalTable: string;
  secretArn: string;
}

/** A Lambda function's ARN, as CloudFormation names a function it is given no name for. */
function functionArn(stackName: string, logicalId: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${stackName}-${logicalId}`;
}

/**
 * The concrete value of a template expression, as CloudFormation would resolve it in this
 * test's world: `Fn::Join`, and the `Ref`s and `Fn::GetAtt`s the reconciler's definition and
 * environment use. Anything else throws, naming it, so that a new reference is noticed.
 */
export function resolveIntrinsics(value: unknown, deployment: Deployment): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, deployment));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length !== 1 || !first) {
    return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, deployment)]));
  }
  const [key, argument] = first;
  const typeOf = (logicalId: string) => deployment.template.Resources[logicalId]?.Type;
  if (key === 'Fn::Join') {
    const [separator, parts] = argument as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(part, deployment)).join(separator);
  }
  if (key === 'Ref') {
    const logicalId = argument as string;
    const pseudo: Record<string, string> = {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (pseudo[logicalId]) return pseudo[logicalId];
    if (typeOf(logicalId) === 'AWS::DynamoDB::Table') {
      if (/^Connections[0-9A-F]{8}$/.test(logicalId)) return deployment.connectionTable;
      if (/^ReconcilerWalkJournal[0-9A-F]{8}$/.test(logicalId)) return deployment.journalTable;
    }
    if (typeOf(logicalId) === 'AWS::SecretsManager::Secret') return deployment.secretArn;
  }
  if (key === 'Fn::GetAtt') {
    const [logicalId, attribute] = argument as [string, string];
    if (typeOf(logicalId) === 'AWS::Lambda::Function' && attribute === 'Arn') {
      return functionArn(deployment.stackName, logicalId);
    }
    if (typeOf(logicalId) === 'AWS::ApiGatewayV2::Api' && attribute === 'ApiEndpoint') {
      return `https://${logicalId.slice(0, 10).toLowerCase()}.execute-api.${REGION}.amazonaws.com`;
    }
  }
  throw new Error(`no value for ${JSON.stringify(value)} in this test's world`);
}

/**
 * The largest wait Node's timers take (2^31 − 1 ms), in whole seconds. AWS gives a Task state
 * without `TimeoutSeconds` no timeout of its own (the states language's 99999999 s): the
 * function's own timeout ends it. aws-local-stepfunctions gives it 60 s, which would fail a
 * 15-minute `WalkPages` step with `States.Timeout`; the suite gives each such state this instead.
 * https://docs.aws.amazon.com/step-functions/latest/dg/sfn-stuck-execution.html
 */
const NO_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The state machine of the synthesized template, its definition resolved to concrete ARNs. */
export function reconcilerStateMachine(deployment: Deployment) {
  const machines = Object.entries(deployment.template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine',
  );
  const [machine, ...others] = machines;
  if (!machine || others.length > 0) throw new Error('the template has no single state machine');
  const properties = machine[1].Properties as { DefinitionString: unknown; StateMachineName: string };
  const definition = JSON.parse(
    resolveIntrinsics(properties.DefinitionString, deployment) as string,
  ) as StateMachineDefinition;
  return { definition, name: properties.StateMachineName };
}

/** Task states without a timeout of their own, given AWS's (none) rather than the interpreter's 60 s. */
function withAwsTaskTimeouts(definition: StateMachineDefinition): StateMachineDefinition {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]) => [
      name,
      state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined
        ? { ...state, TimeoutSeconds: NO_TASK_TIMEOUT_SECONDS }
        : state,
    ]),
  );
  return { ...definition, States: states } as StateMachineDefinition;
}

/** Step Functions' limit on a state's input and on its output: 256 KiB of UTF-8. */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** An event of the interpreter's log, as far as the suite reads it. */
export interface ExecutionEvent {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

/** One invocation of a Task state's function. */
export interface TaskRun {
  state: string;
  input: unknown;
  response?: unknown;
  error?: LambdaError;
  stdout: string;
  stderr: string;
}

export interface ExecutionRecord {
  name: string;
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  /** The execution's error and cause, as `ExecutionFailed` reports them. */
  error?: string;
  cause?: string;
  events: ExecutionEvent[];
  tasks: TaskRun[];
  /** The invocations of one Task state, in order. */
  runsOf(state: string): TaskRun[];
  /** Every state's input and output (and the execution's), with its size in bytes. */
  payloads(): { what: string; bytes: number }[];
}

/** The world one execution runs in: the fake provider, DynamoDB behind a recorder, the secret. */
export interface ReconcilerWorld {
  engine: Engine;
  fake: FakeCodatApi;
  account: FakeAccount;
  table: EmbeddedTable;
  journalTable: string;
  /** Every AWS call the functions make, recorded as IAM sees it and evaluated after each execution. */
  aws: AwsCallRecorder;
  /** The DynamoDB calls recorded since `clear()`, on one table. */
  dynamoDb: {
    clear(): void;
    callsOn(tableName: string): AwsCall[];
    writesTo(tableName: string): AwsCall[];
  };
  secrets: Awaited<ReturnType<typeof startSecretsManagerStandIn>>;
  close(): Promise<void>;
}

/**
 * A Connection table and a walk journal (as `lib/reconciler.ts` defines it) on `engine`, a
 * recorder in front of them, the fake API with `account`, and a Secrets Manager stand-in holding
 * `secretString` (the fake's API key when left out).
 */
export async function startReconcilerWorld(
  engine: Engine,
  options: { account?: AccountOptions; secretString?: string } = {},
): Promise<ReconcilerWorld> {
  const table = await startTable(engine);
  const journalTable = `journal-${randomUUID()}`;
  await ensureTable(table.client, journalTable, {
    partitionKey: JOURNAL_TABLE.partitionKey,
    sortKey: JOURNAL_TABLE.sortKey,
    sortKeyType: 'N',
  });
  const fake = await startFakeCodatApi({ accountOptions: options.account });
  const secrets = await startSecretsManagerStandIn(options.secretString ?? fake.apiKey);
  const aws = await recordAwsCalls({ dynamoDb: table.endpoint, secretsManager: secrets.endpoint });
  let since = 0;
  const callsOn = (tableName: string) =>
    aws.calls.slice(since).filter((call) => call.resource.endsWith(`:table/${tableName}`));
  const dynamoDb = {
    clear: () => {
      since = aws.calls.length;
    },
    callsOn,
    writesTo: (tableName: string) => callsOn(tableName).filter((call) => DYNAMODB_WRITES.has(call.action)),
  };
  return {
    engine,
    fake,
    account: fake.account,
    table,
    journalTable,
    aws,
    dynamoDb,
    secrets,
    close: async () => {
      await secrets.close();
      await fake.close();
      await aws.close();
      await table.close();
    },
  };
}

/** The DynamoDB actions that change items. */
const DYNAMODB_WRITES = new Set(
  ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'].map(
    (operation) => `dynamodb:${operation}`,
  ),
);

/**
 * The AWS endpoints an invocation of `fn` is given: the recorder's, in front of the table and
 * the secret, so that every call the reconciler's bundles make is recorded as made by `fn`'s
 * role in the running test, and decided by IAM's rules once the execution ends.
 */
function awsEndpointsFor(
  fn: DeployedFunction,
  world: ReconcilerWorld,
  resolve: Record<string, string>,
): Promise<InvokeOptions['endpoints']> {
  const scenario = `the state machine: ${expect.getState().currentTestName ?? 'an execution'}`;
  return world.aws.endpointsFor({ caller: fn, scenario, resolve });
}

export interface ExecutionOptions {
  /** The execution's input. @default {} (what the EventBridge Scheduler target sends) */
  input?: Record<string, unknown>;
  /** Variables added to every function's environment (the template sets none of these). */
  environment?: Record<string, string>;
  /** Functions deployed with another timeout (seconds) than the template's, as an operator could set it. */
  timeouts?: Partial<Record<ReconcilerFunction, number>>;
  /** Abort the execution once Task states have been invoked this many times: a bound on a loop. */
  maxTaskRuns?: number;
}

/**
 * Runs the synthesized state machine once with aws-local-stepfunctions, every Task state mapped
 * to its function's synthesized bundle, run as Lambda runs it (bench/deployed-bundle.ts): a
 * fresh process each invocation, the template's environment, a context with the function's own
 * timeout. Each invocation is a cold start; AWS may reuse a warm container, which the code must
 * not depend on (nothing here does: each step reads its state from its input and the tables).
 * A function's error reaches the interpreter as an Error named by its `errorType`, as Step
 * Functions names a Lambda error, so that `Retry` and `Catch` match as they do in AWS.
 */
export async function runReconciler(
  stack: SynthesizedStack,
  world: ReconcilerWorld,
  options: ExecutionOptions = {},
): Promise<ExecutionRecord> {
  const deployment: Deployment = {
    stackName: stack.stackName,
    template: stack.template(),
    connectionTable: world.table.tableName,
    journalTable: world.journalTable,
    secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:CodatReconcilerApiKey-AbCdEf`,
  };
  const { definition, name: stateMachineName } = reconcilerStateMachine(deployment);
  const functions = new Map<string, DeployedFunction>();
  for (const constructId of RECONCILER_FUNCTIONS) {
    const deployed = stack.fn(constructId);
    const timeoutSeconds = options.timeouts?.[constructId] ?? deployed.timeoutSeconds;
    functions.set(functionArn(stack.stackName, deployed.logicalId), { ...deployed, timeoutSeconds });
  }
  const tasks: TaskRun[] = [];
  let abort = () => {};
  const handlers: Record<string, (input: unknown) => Promise<never>> = {};
  for (const [state, body] of Object.entries(definition.States)) {
    if (body.Type !== 'Task') continue;
    // `LambdaInvoke` with `payloadResponseOnly`: the resource is the function itself, and the
    // state's input is the invocation's payload.
    const fn = functions.get(body.Resource);
    if (!fn)
      throw new Error(`Task ${state}'s resource ${body.Resource} is none of the reconciler's functions`);
    handlers[state] = async (input) => {
      if (options.maxTaskRuns !== undefined && tasks.length >= options.maxTaskRuns) {
        abort();
        throw new Error(`aborted by the test after ${tasks.length} Task invocations`);
      }
      const resolve = Object.fromEntries(
        Object.entries(fn.environment)
          .filter(([, value]) => typeof value !== 'string')
          .map(([variable, value]) => [variable, String(resolveIntrinsics(value, deployment))]),
      );
      const run = await invokeDeployedFunction<unknown>({
        fn,
        resolve,
        addedEnvironment: { CODAT_API_URL: world.fake.url, ...options.environment },
        endpoints: await awsEndpointsFor(fn, world, resolve),
        events: [input],
      });
      const [invocation] = run.invocations;
      if (!invocation)
        throw new Error(`${state}: the launcher reported no invocation; stderr: ${run.stderr}`);
      tasks.push({ state, input, ...invocation, stdout: run.stdout, stderr: run.stderr });
      if (invocation.error) throw stepFunctionsError(invocation.error);
      // A handler's `undefined` reaches Step Functions as JSON null.
      return (invocation.response ?? null) as never;
    };
  }

  const name = randomUUID();
  const machine = new StateMachine(withAwsTaskTimeouts(definition));
  const execution = machine.run((options.input ?? {}) as Parameters<StateMachine['run']>[0], {
    overrides: { taskResourceLocalHandlers: handlers },
    // AWS's context object; the interpreter gives only Execution.Input and StartTime (which
    // it sets itself, in the ISO 8601 form with milliseconds that Step Functions uses). A
    // StartExecution without a name, as the Scheduler's, gets a UUID as its name.
    context: {
      Execution: {
        Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${stateMachineName}:${name}`,
        Name: name,
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/${stack.stackName}-StateMachineRole`,
      },
      StateMachine: {
        Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stateMachineName}`,
        Name: stateMachineName,
      },
    },
  });
  abort = execution.abort;
  const events: ExecutionEvent[] = [];
  const logged = (async () => {
    for await (const event of execution.eventLogs) events.push(event as ExecutionEvent);
  })();
  let status: ExecutionRecord['status'] = 'SUCCEEDED';
  let output: unknown;
  try {
    output = await execution.result;
  } catch (error) {
    status = error instanceof Error && error.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
  }
  await logged;
  // What IAM would decide of every call the functions made: a denial fails the test, named.
  await expectAllowed(deployment.template, world.aws.calls);
  const failed = events.find((event) => event.type === 'ExecutionFailed');
  return {
    name,
    status,
    output,
    error: failed?.Error,
    cause: failed === undefined ? undefined : String(failed.Cause),
    events,
    tasks,
    runsOf: (state) => tasks.filter((task) => task.state === state),
    payloads: () => payloadsOf(events),
  };
}

/**
 * A Lambda function's error as Step Functions sees it: the error is its `errorType`, the cause
 * the function's error payload as JSON.
 */
function stepFunctionsError(error: LambdaError): Error {
  const failure = new Error(JSON.stringify(error));
  failure.name = error.errorType;
  return failure;
}

function payloadsOf(events: readonly ExecutionEvent[]) {
  const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
  const sizes: { what: string; bytes: number }[] = [];
  for (const event of events) {
    if (event.type === 'ExecutionStarted') sizes.push({ what: 'execution input', bytes: size(event.input) });
    if (event.type === 'ExecutionSucceeded')
      sizes.push({ what: 'execution output', bytes: size(event.output) });
    if (event.type === 'StateEntered' && event.state) {
      sizes.push({ what: `${event.state.name} input`, bytes: size(event.state.input) });
    }
    if (event.type === 'StateExited' && event.state) {
      sizes.push({ what: `${event.state.name} output`, bytes: size(event.state.output) });
    }
  }
  return sizes;
}

/** Every item of the Connection table, read consistently. */
export async function storedItems(world: ReconcilerWorld): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, never> | undefined;
  do {
    const page = await world.table.client.send(
      new ScanCommand({ TableName: world.table.tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
  } while (ExclusiveStartKey);
  return items;
}

/** What the table holds of each connection, sorted: the fields the account decides. */
export function tableView(items: readonly Record<string, unknown>[]) {
  return items
    .map((item) => ({
      companyId: item.companyId,
      connectionId: item.connectionId,
      companyName: item.companyName,
      status: item.status,
      platformName: item.platformName,
      deleted: item.deleted === true,
    }))
    .sort(byKey);
}

/** The same fields of every connection the fake account holds, all live. */
export function accountView(account: FakeAccount) {
  return account.companies
    .flatMap((company) =>
      company.dataConnections.map((connection) => ({
        companyId: company.id,
        connectionId: connection.id,
        companyName: company.name,
        status: connection.status,
        platformName: connection.platformName,
        deleted: false,
      })),
    )
    .sort(byKey);
}

function byKey(
  a: { companyId: unknown; connectionId: unknown },
  b: { companyId: unknown; connectionId: unknown },
) {
  const left = `${a.companyId}/${a.connectionId}`;
  const right = `${b.companyId}/${b.connectionId}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Why an execution did not end as expected: its error, and what its last function wrote to stderr. */
export function explain(record: ExecutionRecord): string {
  const last = record.tasks.at(-1);
  return [
    `${record.status} ${record.error ?? ''} ${record.cause ?? ''}`,
    ...record.tasks.map(
      (task) =>
        `${task.state}: ${task.error ? `${task.error.errorType}: ${task.error.errorMessage}` : `ok ${JSON.stringify(task.response)?.slice(0, 120)}`}`,
    ),
    last ? `last stderr: ${last.stderr.slice(-2000)}` : '',
  ].join('\n');
}

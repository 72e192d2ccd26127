import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  type DeployedFunction,
  type Invocations,
  invokeDeployedFunction,
  startSecretsManagerStandIn,
} from '../bench/deployed-bundle';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { ensureConnectionTable, ensureTable } from '../local/embedded-dynamodb';
import { type FakeCodatApi, startFakeCodatApi } from '../local/fake-codat-api/server';
import { sampleCompanyEvent, sampleEvent } from '../local/sample-events';
import { historyTableInput } from '../src/history/history-table';
import { HISTORY_ROUTE } from '../src/http/read-history';
import { JOURNAL_TABLE } from '../src/reconcile/journal-table';
import { type AwsCall, type AwsCallRecorder, recordAwsCalls } from './support/aws-calls';
import { STACK_FUNCTIONS, type SynthesizedStack, synthesizeStack } from './support/deployed-bundle';
import { type EmbeddedTable, startTable } from './support/embedded-table';
import { FakeEventBridge, startEventBridgeServer } from './support/fake-eventbridge';
import { linkedDeauthorizedLinkedThenWalk, recordsOf } from './support/history';
import {
  ACCOUNT,
  decide,
  expectAllowed,
  type IamPrincipal,
  REGION,
  type StackTemplate,
  TemplateResolver,
  unusedGrants,
} from './support/iam';
import { signedApiEvent, testSecret } from './support/signed-request';
import { deauthorization, streamEvent } from './support/stream-records';
import { synthesizeTemplate } from './support/template';

/**
 * Every IAM decision the stack depends on, evaluated as AWS would. Each function's synthesized
 * bundle runs through realistic scenarios, its AWS calls recorded at a proxy in front of the
 * local services (the action, and the resource's ARN as AWS forms it), and each call is
 * evaluated against that function's role as synthesized, with `@cloud-copilot/iam-simulate`.
 * Then the principals that are not functions: alarms, the rule, the Scheduler, the state
 * machine, the stream mapping and the trust policies. DynamoDB Local and dynalite have no IAM:
 * only here does a missing grant show before a deploy.
 */

const SIGNING_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:CodatConnections-dev-signing-AbCdEf`;
const API_KEY_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:CodatConnections-dev-api-key-GhIjKl`;
const EVENT_BUS_NAME = 'CodatConnections-dev-connection-changes';
const WEBHOOK_URL = 'https://abc123defg.execute-api.us-east-1.amazonaws.com/webhooks/codat';

/** One scenario's run: what the function answered, and the AWS calls it made. */
interface Scenario {
  runs: Invocations[];
  calls: AwsCall[];
}

/** The distinct actions of `calls`, sorted. */
const actionsOf = (calls: readonly AwsCall[]) => [...new Set(calls.map((call) => call.action))].sort();

/** A GET of the history route, as the HTTP API hands it to the function. */
function historyEvent(companyId: string, connectionId: string, rawQueryString = '') {
  return apiGatewayEvent({
    method: 'GET',
    path: `/companies/${companyId}/connections/${connectionId}/history`,
    route: HISTORY_ROUTE,
    pathParameters: { companyId, connectionId },
    rawQueryString,
  });
}

/** A GET of the read API, as the HTTP API hands it to the function. */
function readEvent(companyId: string, connectionId?: string) {
  const one = connectionId !== undefined;
  return apiGatewayEvent({
    method: 'GET',
    path: `/companies/${companyId}/connections${one ? `/${connectionId}` : ''}`,
    route: `/companies/{companyId}/connections${one ? '/{connectionId}' : ''}`,
    pathParameters: { companyId, ...(one ? { connectionId } : {}) },
  });
}

let stack: SynthesizedStack;
let template: StackTemplate;
let recorder: AwsCallRecorder;
let receiverTable: EmbeddedTable;
let reconcileTableName: string;
let journalTableName: string;
let historyTableName: string;
let codat: FakeCodatApi;
const scenarios = new Map<string, Scenario>();
const closers: (() => Promise<void>)[] = [];

/** Runs `fn` through `events` in one cold process, its calls recorded under `scenario`. */
async function run(
  scenario: string,
  fn: DeployedFunction,
  events: unknown[],
  resolve: Record<string, string>,
  targets: { secretsManager?: string } = {},
): Promise<Invocations> {
  const endpoints = await recorder.endpointsFor({ caller: fn, scenario, resolve, targets });
  const result = await invokeDeployedFunction({ fn, resolve, endpoints, events });
  const entry = scenarios.get(scenario) ?? { runs: [], calls: [] };
  entry.runs.push(result);
  // By scenario rather than by position: the scenarios of different functions run side by side.
  entry.calls.push(
    ...recorder.calls.filter((call) => call.scenario === scenario && !entry.calls.includes(call)),
  );
  scenarios.set(scenario, entry);
  return result;
}

const scenario = (name: string): Scenario => {
  const found = scenarios.get(name);
  if (!found) throw new Error(`no scenario ${name}`);
  return found;
};

const RECEIVER_APPLIED = 'ReceiveWebhook: a signed connection.connected delivery, applied';
const RECEIVER_COMPANY_DELETED = 'ReceiveWebhook: company.deleted tombstones the company’s connections';
const READ_ONE = 'ReadApi/ReadConnections: GET one connection';
const READ_LIST = 'ReadApi/ReadConnections: GET a company’s connections';
const PUBLISHER = 'ChangeEvents/PublishChanges: a MODIFY record from Linked to Deauthorized';
const HISTORY_WRITER =
  'History/RecordHistory: a stream batch of Linked, Deauthorized, Linked and a walk’s Unlinked';
const READ_HISTORY = 'ReadApi/ReadConnections: GET a connection’s history, two pages';
const CHECK_ENDPOINT = 'Reconciler/CheckWebhookEndpoint: GET /webhooks for this stack’s endpoint';
const BACKFILL_PAGES = 'Reconciler/ReconcilePages: a backfill walk over several pages into an empty table';
const BACKFILL_SWEEP = 'Reconciler/ReconcileSweep: the sweep after the backfill, nothing to delete';
const GONE_PAGES =
  'Reconciler/ReconcilePages: a walk after a connection and a company were deleted at the provider';
const GONE_SWEEP =
  'Reconciler/ReconcileSweep: a sweep that finds a connection gone from a listed company ' +
  '(sweep.ts buryAbsent reads it again) and a company gone from the listing';

beforeAll(async () => {
  stack = synthesizeStack();
  template = stack.template();

  receiverTable = await startTable('dynalite');
  closers.push(() => receiverTable.close());
  // The reconciler's tables, in the same database: its own Connection table and the walk journal.
  reconcileTableName = `reconcile-${randomUUID()}`;
  journalTableName = `journal-${randomUUID()}`;
  await ensureConnectionTable(receiverTable.client, reconcileTableName);
  await ensureTable(receiverTable.client, journalTableName, { ...JOURNAL_TABLE, sortKeyType: 'N' });
  // The history table, in the same database.
  historyTableName = `history-${randomUUID()}`;
  await receiverTable.client.send(new CreateTableCommand(historyTableInput(historyTableName)));

  const secret = testSecret();
  const signing = await startSecretsManagerStandIn(secret);
  closers.push(() => signing.close());
  codat = await startFakeCodatApi({ accountOptions: { companies: 5, connectionsPerCompany: 2 } });
  closers.push(() => codat.close());
  codat.account.webhookConsumers.push({
    id: randomUUID(),
    url: WEBHOOK_URL,
    disabled: false,
    eventTypes: ['connection.connected'],
  });
  const apiKey = await startSecretsManagerStandIn(codat.apiKey);
  closers.push(() => apiKey.close());
  const bus = await startEventBridgeServer(new FakeEventBridge());
  closers.push(() => bus.close());

  recorder = await recordAwsCalls({
    dynamoDb: receiverTable.endpoint,
    secretsManager: signing.endpoint,
    eventBridge: bus.endpoint,
  });
  closers.push(() => recorder.close());

  // Three chains side by side, each in order: the receiver, the read API over what it stored,
  // then company.deleted; the publisher; the reconciler.
  const receiver = stack.fn('ReceiveWebhook');
  const receiverResolve = { TABLE_NAME: receiverTable.tableName, SIGNING_SECRET_ARN };
  const connected = sampleEvent({ eventType: 'connection.connected' });
  const companyId = connected.payload.referenceCompany.id;
  const connectionId = connected.payload.connection.id;
  const receiving = async () => {
    await run(
      RECEIVER_APPLIED,
      receiver,
      [signedApiEvent(JSON.stringify(connected), { secret })],
      receiverResolve,
    );
    const reader = stack.fn('ReadApi/ReadConnections');
    const readResolve = { TABLE_NAME: receiverTable.tableName, HISTORY_TABLE_NAME: historyTableName };
    await run(READ_ONE, reader, [readEvent(companyId, connectionId)], readResolve);
    await run(READ_LIST, reader, [readEvent(companyId)], readResolve);
    const deleted = sampleCompanyEvent({ eventType: 'company.deleted', companyId });
    await run(
      RECEIVER_COMPANY_DELETED,
      receiver,
      [signedApiEvent(JSON.stringify(deleted), { secret })],
      receiverResolve,
    );
  };

  // The publisher, on a stream record.
  const { record: deauthorizing } = deauthorization({ companyId, connectionId });
  const publishing = run(PUBLISHER, stack.fn('ChangeEvents/PublishChanges'), [streamEvent(deauthorizing)], {
    EVENT_BUS_NAME,
  });

  // The history writer on a stream batch, then the read function over what it wrote.
  const historyIds = { companyId: randomUUID(), connectionId: randomUUID() };
  const recording = async () => {
    const batch = streamEvent(...recordsOf(linkedDeauthorizedLinkedThenWalk(historyIds)));
    const historyResolve = { HISTORY_TABLE_NAME: historyTableName };
    await run(HISTORY_WRITER, stack.fn('History/RecordHistory'), [batch], historyResolve);
    const reader = stack.fn('ReadApi/ReadConnections');
    const readResolve = { TABLE_NAME: receiverTable.tableName, HISTORY_TABLE_NAME: historyTableName };
    const { invocations } = await run(
      READ_HISTORY,
      reader,
      [historyEvent(historyIds.companyId, historyIds.connectionId, 'limit=2')],
      readResolve,
    );
    const { nextCursor } = JSON.parse(invocations[0]?.response?.body ?? '{}') as { nextCursor?: string };
    const next = `limit=2&cursor=${nextCursor ?? ''}`;
    await run(
      READ_HISTORY,
      reader,
      [historyEvent(historyIds.companyId, historyIds.connectionId, next)],
      readResolve,
    );
  };

  // The reconciler's three functions, invoked directly as the state machine would, over the
  // fake Codat API. Its address and a small page size are the only variables the template
  // does not set: CODAT_API_URL's default is the provider's own API.
  const reconciler = (constructId: string): DeployedFunction => {
    const fn = stack.fn(constructId);
    return { ...fn, environment: { ...fn.environment, CODAT_API_URL: codat.url, PAGE_SIZE: '2' } };
  };
  const reconcileResolve = {
    TABLE_NAME: reconcileTableName,
    JOURNAL_TABLE_NAME: journalTableName,
    CODAT_API_KEY_SECRET_ARN: API_KEY_SECRET_ARN,
    WEBHOOK_URL,
  };
  const reconcile = (name: string, fn: DeployedFunction, input: unknown) =>
    run(name, fn, [input], reconcileResolve, { secretsManager: apiKey.endpoint });
  const pages = reconciler('Reconciler/ReconcilePages');
  const sweep = reconciler('Reconciler/ReconcileSweep');
  /** WalkPages until `nextPage` is null, as the state machine's Choice loops, then Sweep. */
  const walk = async (pagesScenario: string, sweepScenario: string) => {
    let progress: unknown = { walkId: randomUUID(), startedAt: new Date().toISOString() };
    for (let step = 0; step < 10; step += 1) {
      const { invocations } = await reconcile(pagesScenario, pages, progress);
      progress = invocations[0]?.response;
      if ((progress as { nextPage?: unknown }).nextPage === null) break;
    }
    await reconcile(sweepScenario, sweep, progress);
  };
  const reconciling = async () => {
    await reconcile(CHECK_ENDPOINT, reconciler('Reconciler/CheckWebhookEndpoint'), {});
    await walk(BACKFILL_PAGES, BACKFILL_SWEEP);
    const [listed, gone] = codat.account.companies;
    const lostConnection = listed?.dataConnections[0];
    if (!listed || !gone || !lostConnection) throw new Error('the fake account has too few companies');
    codat.account.deleteConnection(listed.id, lostConnection.id);
    codat.account.deleteCompany(gone.id);
    goneCase.connection = { companyId: listed.id, connectionId: lostConnection.id };
    goneCase.company = { companyId: gone.id, connectionId: gone.dataConnections[0]?.id ?? '' };
    await walk(GONE_PAGES, GONE_SWEEP);
  };
  await Promise.all([receiving(), publishing, recording(), reconciling()]);
  // Ten cold processes and a bundled synth: alone it takes under a minute, but a whole
  // `npm test` on two cores has taken it past two.
}, 300_000);

/** What the second walk should have tombstoned. */
const goneCase: Record<'connection' | 'company', { companyId: string; connectionId: string }> = {
  connection: { companyId: '', connectionId: '' },
  company: { companyId: '', connectionId: '' },
};

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  stack?.close();
});

/** Every function of the stack, by construct path. */
const FUNCTIONS = STACK_FUNCTIONS;

const tableArn = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;

describe('the calls each bundle makes, as IAM decides them', () => {
  it('runs every function of the stack through a scenario', () => {
    const callers = new Set([...scenarios.values()].flatMap(({ calls }) => calls.map((call) => call.caller)));

    expect(stack.functionLogicalIds().sort()).toEqual(
      FUNCTIONS.map((path) => stack.fn(path).logicalId).sort(),
    );
    expect([...callers].sort()).toEqual(stack.functionLogicalIds().sort());
  });

  it('records each call with its action and the resource ARN AWS forms from the request', () => {
    const { calls } = scenario(RECEIVER_APPLIED);

    expect(
      calls
        .map(({ action, resource }) => ({ action, resource }))
        .sort((a, b) => a.action.localeCompare(b.action)),
    ).toEqual([
      { action: 'dynamodb:UpdateItem', resource: tableArn(receiverTable.tableName) },
      { action: 'secretsmanager:GetSecretValue', resource: SIGNING_SECRET_ARN },
    ]);
    expect(calls.every((call) => call.caller === stack.fn('ReceiveWebhook').logicalId)).toBe(true);
  });

  it('allows every call the receiver makes to apply a signed delivery', async () => {
    const { runs, calls } = scenario(RECEIVER_APPLIED);

    expect(runs[0]?.invocations[0]?.response).toMatchObject({
      statusCode: 200,
      body: '{"result":"applied"}',
    });
    expect(actionsOf(calls)).toEqual(['dynamodb:UpdateItem', 'secretsmanager:GetSecretValue']);
    await expectAllowed(template, calls);
  });

  it('allows every call the receiver makes to tombstone a company on company.deleted', async () => {
    const { runs, calls } = scenario(RECEIVER_COMPANY_DELETED);

    expect(JSON.parse(runs[0]?.invocations[0]?.response?.body ?? '{}')).toMatchObject({
      result: 'applied',
      tombstoned: 1,
    });
    expect(actionsOf(calls)).toEqual([
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'secretsmanager:GetSecretValue',
    ]);
    await expectAllowed(template, calls);
  });

  it('allows every call the read API makes to get one connection and to list a company’s', async () => {
    const one = scenario(READ_ONE);
    const list = scenario(READ_LIST);

    expect(one.runs[0]?.invocations[0]?.response?.statusCode).toBe(200);
    expect(list.runs[0]?.invocations[0]?.response?.statusCode).toBe(200);
    expect(actionsOf(one.calls)).toEqual(['dynamodb:GetItem']);
    expect(actionsOf(list.calls)).toEqual(['dynamodb:Query']);
    await expectAllowed(template, [...one.calls, ...list.calls]);
  });

  it('allows every call the publisher makes to put a change event on the stack’s bus', async () => {
    const { runs, calls } = scenario(PUBLISHER);

    expect(runs[0]?.invocations[0]?.response).toEqual({ batchItemFailures: [] });
    expect(calls.map(({ action, resource }) => ({ action, resource }))).toEqual([
      {
        action: 'events:PutEvents',
        resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${EVENT_BUS_NAME}`,
      },
    ]);
    await expectAllowed(template, calls);
  });

  it('allows every call the history writer makes to put a stream batch’s items, one PutItem each', async () => {
    const { runs, calls } = scenario(HISTORY_WRITER);

    expect(runs[0]?.invocations[0]?.response).toEqual({ batchItemFailures: [] });
    expect(calls.map(({ action, resource }) => ({ action, resource }))).toEqual(
      Array(4).fill({ action: 'dynamodb:PutItem', resource: tableArn(historyTableName) }),
    );
    await expectAllowed(template, calls);
  });

  it('allows every call the read function makes to read a connection’s history page by page', async () => {
    const { runs, calls } = scenario(READ_HISTORY);
    const pages = runs.map((each) => JSON.parse(each.invocations[0]?.response?.body ?? '{}'));

    expect(runs.map((each) => each.invocations[0]?.response?.statusCode)).toEqual([200, 200]);
    expect(pages.map((page) => page.changes.map((change: { status: string }) => change.status))).toEqual([
      ['Unlinked', 'Linked'],
      ['Deauthorized', 'Linked'],
    ]);
    // The table itself: no history read goes to the byCompany index.
    expect(calls.map(({ action, resource }) => ({ action, resource }))).toEqual(
      Array(2).fill({ action: 'dynamodb:Query', resource: tableArn(historyTableName) }),
    );
    await expectAllowed(template, calls);
  });

  it('allows every call the endpoint check makes to read the API key', async () => {
    const { runs, calls } = scenario(CHECK_ENDPOINT);

    expect(runs[0]?.invocations[0]?.response).toEqual({ health: 'enabled' });
    expect(calls.map(({ action, resource }) => ({ action, resource }))).toEqual([
      { action: 'secretsmanager:GetSecretValue', resource: API_KEY_SECRET_ARN },
    ]);
    await expectAllowed(template, calls);
  });

  it('allows every call of a backfill walk over several pages, and of its sweep', async () => {
    const pages = scenario(BACKFILL_PAGES);
    const sweep = scenario(BACKFILL_SWEEP);

    expect(pages.calls.filter((call) => call.action === 'dynamodb:PutItem').length).toBeGreaterThan(1);
    expect(actionsOf(pages.calls)).toEqual([
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'secretsmanager:GetSecretValue',
    ]);
    expect(actionsOf(sweep.calls)).toEqual([
      'dynamodb:Query',
      'dynamodb:Scan',
      'secretsmanager:GetSecretValue',
    ]);
    await expectAllowed(template, [...pages.calls, ...sweep.calls]);
  });

  it('allows every call of a sweep that buries a connection gone from a listed company and a company gone from the listing', async () => {
    const pages = scenario(GONE_PAGES);
    const sweep = scenario(GONE_SWEEP);
    const read = async ({ companyId, connectionId }: { companyId: string; connectionId: string }) => {
      const { Item } = await receiverTable.client.send(
        new GetItemCommand({
          TableName: reconcileTableName,
          Key: { companyId: { S: companyId }, connectionId: { S: connectionId } },
          ConsistentRead: true,
        }),
      );
      return Item;
    };

    // Both paths ran: the sweep read the absent connection again, and tombstoned both.
    expect((await read(goneCase.connection))?.deleted?.BOOL).toBe(true);
    expect((await read(goneCase.company))?.deleted?.BOOL).toBe(true);
    expect(sweep.calls).toContainEqual(
      expect.objectContaining({ action: 'dynamodb:GetItem', resource: tableArn(reconcileTableName) }),
    );
    expect(actionsOf(sweep.calls)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
      'secretsmanager:GetSecretValue',
    ]);
    await expectAllowed(template, [...pages.calls, ...sweep.calls]);
  });
});

/** The calls AWS makes with a function's role besides the bundle's own: Lambda writing its logs. */
function logWrites(resolver: TemplateResolver): AwsCall[] {
  return resolver.resourcesOf('AWS::Lambda::Function').flatMap(([id, fn]) => {
    const group = String(resolver.resolve(fn.Properties?.LoggingConfig?.LogGroup));
    const stream = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`;
    return ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
      caller: id,
      scenario: `Lambda writes ${resolver.path(id)}’s logs to its log group`,
      action,
      resource: stream,
      status: 200,
      names: {},
    }));
  });
}

/** The stream mapping's calls, made by Lambda with the publisher's role: reading the stream, and a failed batch's place. */
function streamMappingCalls(resolver: TemplateResolver): AwsCall[] {
  return resolver.resourcesOf('AWS::Lambda::EventSourceMapping').flatMap(([id, mapping]) => {
    const { Properties = {} } = mapping;
    const functionName = String(resolver.resolve(Properties.FunctionName));
    const [fnId] =
      resolver.resourcesOf('AWS::Lambda::Function').find(([each]) => resolver.name(each) === functionName) ??
      [];
    if (!fnId) throw new Error(`${id} maps to no function of the stack`);
    const stream = String(resolver.resolve(Properties.EventSourceArn));
    const failures = String(resolver.resolve(Properties.DestinationConfig?.OnFailure?.Destination));
    const scenario = `the stream mapping ${resolver.path(id)} polls the table's stream`;
    const call = (action: string, resource: string) => ({
      caller: fnId,
      scenario,
      action,
      resource,
      status: 200,
      names: {},
    });
    return [
      call('dynamodb:DescribeStream', stream),
      call('dynamodb:GetRecords', stream),
      call('dynamodb:GetShardIterator', stream),
      call('dynamodb:ListStreams', '*'),
      call('sqs:SendMessage', failures),
    ];
  });
}

describe('the principals that are not functions, as AWS evaluates them', () => {
  const resolver = () => new TemplateResolver(template);
  const service = (name: string): IamPrincipal => ({ service: name });

  it('lets CloudWatch publish every alarm’s notifications to the topic the alarm names', async () => {
    const r = resolver();
    const alarms = r.resourcesOf('AWS::CloudWatch::Alarm');
    const topic = r.getAtt(
      r.resourcesOf('AWS::SNS::Topic').find(([id]) => r.path(id).includes('AlarmTopic'))?.[0] ?? '',
      'TopicArn',
    );
    const requests = alarms.flatMap(([id, alarm]) => {
      const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap(
        (key) => r.resolve(alarm.Properties?.[key] ?? []) as string[],
      );
      return [...new Set(actions)].map((target) => ({
        alarm: r.path(id),
        alarmArn: r.getAtt(id, 'Arn'),
        target,
      }));
    });

    // Every alarm of the stack notifies the alarm topic, and only it.
    expect(alarms.length).toBeGreaterThan(5);
    expect(requests.map(({ alarm, target }) => ({ alarm, target }))).toEqual(
      alarms.map(([id]) => ({ alarm: r.path(id), target: topic })),
    );
    const refused: string[] = [];
    for (const { alarm, alarmArn, target } of requests) {
      const decision = await decide(template, {
        principal: service('cloudwatch.amazonaws.com'),
        action: 'sns:Publish',
        resource: target,
        context: { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': ACCOUNT },
      });
      if (decision.result !== 'Allowed') {
        refused.push(
          `${alarm}: cloudwatch.amazonaws.com sns:Publish on ${target} is ${decision.result} by ${decision.evaluated.join(', ')}`,
        );
      }
    }
    expect(refused).toEqual([]);
  });

  it('lets the change-event rule publish to its notification topic when notifyEmail is set', async () => {
    const withNotify = synthesizeTemplate({
      changeEvents: { notifyEmail: 'team@example.com' },
    }).toJSON() as StackTemplate;
    const r = new TemplateResolver(withNotify);
    const rules = r.resourcesOf('AWS::Events::Rule');
    const targets = rules.flatMap(([id, rule]) =>
      ((rule.Properties?.Targets ?? []) as { Arn: unknown }[]).map((target) => ({
        ruleArn: r.getAtt(id, 'Arn'),
        target: String(r.resolve(target.Arn)),
      })),
    );

    expect(targets).toHaveLength(1);
    expect(targets[0]?.target).toMatch(/^arn:aws:sns:/);
    for (const { ruleArn, target } of targets) {
      const decision = await decide(withNotify, {
        principal: service('events.amazonaws.com'),
        action: 'sns:Publish',
        resource: target,
        context: { 'aws:SourceArn': ruleArn, 'aws:SourceAccount': ACCOUNT },
      });
      expect(decision.result).toBe('Allowed');
    }
    // Without the context value there is no rule to evaluate.
    expect(
      new TemplateResolver(synthesizeTemplate().toJSON() as StackTemplate).resourcesOf('AWS::Events::Rule'),
    ).toEqual([]);
  });

  it('lets the Scheduler’s role start the state machine, and nothing else of the stack', async () => {
    const r = resolver();
    const schedules = r.resourcesOf('AWS::Scheduler::Schedule');
    const [machineId] = r.resourcesOf('AWS::StepFunctions::StateMachine')[0] ?? [];

    expect(schedules).toHaveLength(1);
    for (const [id, schedule] of schedules) {
      const role = r.roleOf(schedule.Properties?.Target?.RoleArn, id);
      const target = String(r.resolve(schedule.Properties?.Target?.Arn));
      expect(target).toBe(r.getAtt(machineId ?? '', 'Arn'));
      const start = await decide(template, {
        principal: { role },
        action: 'states:StartExecution',
        resource: target,
      });
      expect(start.result).toBe('Allowed');
      const other = await decide(template, {
        principal: { role },
        action: 'lambda:InvokeFunction',
        resource: r.getAtt(stack.fn('Reconciler/ReconcileSweep').logicalId, 'Arn'),
      });
      expect(other.result).toBe('ImplicitlyDenied');
    }
  });

  it('lets the state machine invoke exactly its three functions and no other function of the stack', async () => {
    const r = resolver();
    const [machineId, machine] = r.resourcesOf('AWS::StepFunctions::StateMachine')[0] ?? [];
    if (!machineId || !machine) throw new Error('no state machine');
    const role = r.roleOf(machine.Properties?.RoleArn, machineId);
    const definition = JSON.parse(String(r.resolve(machine.Properties?.DefinitionString))) as {
      States: Record<string, { Type: string; Resource?: string; Parameters?: { FunctionName?: string } }>;
    };
    const invoked = new Set(
      Object.values(definition.States)
        .filter((state) => state.Type === 'Task')
        .map((state) =>
          state.Resource?.startsWith('arn:aws:lambda:') ? state.Resource : state.Parameters?.FunctionName,
        ),
    );
    const functions = FUNCTIONS.map((path) => ({ path, arn: r.getAtt(stack.fn(path).logicalId, 'Arn') }));

    expect(
      functions
        .filter(({ arn }) => invoked.has(arn))
        .map(({ path }) => path)
        .sort(),
    ).toEqual(['Reconciler/CheckWebhookEndpoint', 'Reconciler/ReconcilePages', 'Reconciler/ReconcileSweep']);
    for (const { path, arn } of functions) {
      const decision = await decide(template, {
        principal: { role },
        action: 'lambda:InvokeFunction',
        resource: arn,
      });
      expect({ path, result: decision.result }).toEqual({
        path,
        result: invoked.has(arn) ? 'Allowed' : 'ImplicitlyDenied',
      });
    }
  });

  it('lets the state machine’s role set up the delivery of its execution logs', async () => {
    const r = resolver();
    const [machineId, machine] = r.resourcesOf('AWS::StepFunctions::StateMachine')[0] ?? [];
    const role = r.roleOf(machine?.Properties?.RoleArn, machineId ?? '');
    // The actions the Step Functions developer guide lists for logging to CloudWatch Logs;
    // they take no resource ARN.
    const actions = [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ];

    expect(machine?.Properties?.LoggingConfiguration?.Level).toBe('ALL');
    for (const action of actions) {
      const decision = await decide(template, { principal: { role }, action, resource: '*' });
      expect({ action, result: decision.result }).toEqual({ action, result: 'Allowed' });
    }
  });

  it('lets each stream mapping read the table’s stream and send a failed batch’s place to its failure queue', async () => {
    const r = resolver();
    const calls = streamMappingCalls(r);
    const consumers = ['ChangeEvents/PublishChanges', 'History/RecordHistory'];

    expect(
      consumers.map((path) => ({
        path,
        actions: calls.filter((call) => call.caller === stack.fn(path).logicalId).map((call) => call.action),
      })),
    ).toEqual(
      consumers.map((path) => ({
        path,
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
          'sqs:SendMessage',
        ],
      })),
    );
    expect(calls).toHaveLength(2 * 5);
    // Each to its own queue.
    const queues = calls.filter((call) => call.action === 'sqs:SendMessage').map((call) => call.resource);
    expect(new Set(queues).size).toBe(2);
    await expectAllowed(template, calls);
  });

  it('lets the history writer only put history items, and the read function only query them', async () => {
    const r = resolver();
    const history = r.getAtt(
      (stack.fn('History/RecordHistory').environment.HISTORY_TABLE_NAME as { Ref: string }).Ref,
      'Arn',
    );
    const connections = r.getAtt(
      (stack.fn('ReadApi/ReadConnections').environment.TABLE_NAME as { Ref: string }).Ref,
      'Arn',
    );
    const roleOf = (path: string) => r.functionRole(stack.fn(path).logicalId);
    const asked = [
      ['History/RecordHistory', 'dynamodb:PutItem', history],
      ['History/RecordHistory', 'dynamodb:Query', history],
      ['History/RecordHistory', 'dynamodb:GetItem', history],
      ['History/RecordHistory', 'dynamodb:UpdateItem', history],
      ['History/RecordHistory', 'dynamodb:DeleteItem', history],
      ['History/RecordHistory', 'dynamodb:BatchWriteItem', history],
      ['History/RecordHistory', 'dynamodb:Scan', history],
      ['History/RecordHistory', 'dynamodb:PutItem', connections],
      ['History/RecordHistory', 'dynamodb:UpdateItem', connections],
      ['History/RecordHistory', 'dynamodb:DeleteItem', connections],
      ['History/RecordHistory', 'dynamodb:BatchWriteItem', connections],
      ['History/RecordHistory', 'dynamodb:GetItem', connections],
      ['ReadApi/ReadConnections', 'dynamodb:Query', history],
      ['ReadApi/ReadConnections', 'dynamodb:Query', `${history}/index/byCompany`],
      ['ReadApi/ReadConnections', 'dynamodb:PutItem', history],
      ['ReadApi/ReadConnections', 'dynamodb:UpdateItem', history],
      ['ReadApi/ReadConnections', 'dynamodb:DeleteItem', history],
      ['ReadApi/ReadConnections', 'dynamodb:BatchWriteItem', history],
      ['ReadApi/ReadConnections', 'dynamodb:Scan', history],
    ] as const;
    const decisions = [];
    for (const [path, action, resource] of asked) {
      const decision = await decide(template, { principal: { role: roleOf(path) }, action, resource });
      decisions.push(`${path} ${action} on ${resource.split(':table/')[1]}: ${decision.result}`);
    }

    const [historyName, connectionsName] = [history, connections].map((arn) => arn.split(':table/')[1]);
    expect(decisions).toEqual([
      `History/RecordHistory dynamodb:PutItem on ${historyName}: Allowed`,
      ...['Query', 'GetItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'Scan'].map(
        (action) => `History/RecordHistory dynamodb:${action} on ${historyName}: ImplicitlyDenied`,
      ),
      ...['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'GetItem'].map(
        (action) => `History/RecordHistory dynamodb:${action} on ${connectionsName}: ImplicitlyDenied`,
      ),
      `ReadApi/ReadConnections dynamodb:Query on ${historyName}: Allowed`,
      // No route reads a company's history yet: the index is not granted.
      `ReadApi/ReadConnections dynamodb:Query on ${historyName}/index/byCompany: ImplicitlyDenied`,
      ...['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'Scan'].map(
        (action) => `ReadApi/ReadConnections dynamodb:${action} on ${historyName}: ImplicitlyDenied`,
      ),
    ]);
  });

  it('lets Lambda write each function’s logs to its own log group with the function’s role', async () => {
    const calls = logWrites(resolver());

    expect(calls).toHaveLength(2 * stack.functionLogicalIds().length);
    await expectAllowed(template, calls);
  });

  it('lets API Gateway invoke the receiver and the read function, for their routes only', async () => {
    const r = resolver();
    const [apiId] = r.resourcesOf('AWS::ApiGatewayV2::Api')[0] ?? [];
    const route = (method: string, path: string) =>
      `arn:aws:execute-api:${REGION}:${ACCOUNT}:${r.ref(apiId ?? '')}/$default/${method}${path}`;
    const invoke = (constructId: string, sourceArn: string) =>
      decide(template, {
        principal: service('apigateway.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        resource: r.getAtt(stack.fn(constructId).logicalId, 'Arn'),
        context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT },
      });

    expect((await invoke('ReceiveWebhook', route('POST', '/webhooks/codat'))).result).toBe('Allowed');
    expect(
      (await invoke('ReadApi/ReadConnections', route('GET', '/companies/{companyId}/connections'))).result,
    ).toBe('Allowed');
    expect(
      (
        await invoke(
          'ReadApi/ReadConnections',
          route('GET', '/companies/{companyId}/connections/{connectionId}'),
        )
      ).result,
    ).toBe('Allowed');
    expect((await invoke('ReadApi/ReadConnections', route('GET', HISTORY_ROUTE))).result).toBe('Allowed');
    expect((await invoke('ReceiveWebhook', route('GET', '/companies/{companyId}/connections'))).result).toBe(
      'ImplicitlyDenied',
    );
    expect((await invoke('History/RecordHistory', route('GET', HISTORY_ROUTE))).result).toBe(
      'ImplicitlyDenied',
    );
  });

  it('lets each role be assumed by the service that runs it, and by no other', async () => {
    const r = resolver();
    const runs = new Map<string, { service: string; sourceArn?: string }>();
    for (const [id] of r.resourcesOf('AWS::Lambda::Function'))
      runs.set(r.functionRole(id), { service: 'lambda.amazonaws.com' });
    for (const [id, machine] of r.resourcesOf('AWS::StepFunctions::StateMachine')) {
      runs.set(r.roleOf(machine.Properties?.RoleArn, id), {
        service: 'states.amazonaws.com',
        sourceArn: r.getAtt(id, 'Arn'),
      });
    }
    for (const [id, schedule] of r.resourcesOf('AWS::Scheduler::Schedule')) {
      // Scheduler names the schedule group as the source (its guide's confused-deputy example).
      const group = schedule.Properties?.GroupName ?? 'default';
      runs.set(r.roleOf(schedule.Properties?.Target?.RoleArn, id), {
        service: 'scheduler.amazonaws.com',
        sourceArn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${group}`,
      });
    }
    const services = [...new Set([...runs.values()].map((each) => each.service))];

    // Every role of the stack is run by one of these services.
    expect(
      r
        .resourcesOf('AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...runs.keys()].sort());
    const decisions = [];
    for (const [role, runner] of runs) {
      for (const other of services) {
        const decision = await decide(template, {
          principal: service(other),
          action: 'sts:AssumeRole',
          resource: r.getAtt(role, 'Arn'),
          context: {
            'aws:SourceAccount': ACCOUNT,
            ...(runner.sourceArn ? { 'aws:SourceArn': runner.sourceArn } : {}),
          },
        });
        decisions.push({
          role: r.path(role),
          by: other,
          result: decision.result,
          runs: runner.service === other,
        });
      }
    }
    // Allowed for the service that runs the role; refused for the others.
    expect(decisions.filter(({ result, runs }) => (result === 'Allowed') !== runs)).toEqual([]);
    expect(decisions.filter(({ runs }) => runs)).toHaveLength(runs.size);
  });
});

describe('the recorder', () => {
  it('names an index for a Query on it, each table of a batch, each bus of a PutEvents, and refuses a service it has no target for', async () => {
    const own = await recordAwsCalls({ dynamoDb: receiverTable.endpoint, eventBridge: 'http://127.0.0.1:9' });
    const caller = stack.fn('ReceiveWebhook').logicalId;
    const endpoints = await own.endpointsFor({ caller, scenario: 'the recorder’s own test' });
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const dynamoDb = new DynamoDBClient({
      endpoint: endpoints.dynamoDb,
      region: REGION,
      credentials,
      maxAttempts: 1,
    });
    const put = (id: string) => ({ PutRequest: { Item: { companyId: { S: id }, connectionId: { S: id } } } });
    try {
      // The table has no such index: IAM decides before DynamoDB answers 400.
      await dynamoDb
        .send(
          new QueryCommand({
            TableName: receiverTable.tableName,
            IndexName: 'byStatus',
            KeyConditionExpression: 'companyId = :c',
            ExpressionAttributeValues: { ':c': { S: 'c' } },
          }),
        )
        .catch(() => undefined);
      await dynamoDb.send(
        new BatchWriteItemCommand({
          RequestItems: { [receiverTable.tableName]: [put('a')], [reconcileTableName]: [put('b')] },
        }),
      );
      // No Secrets Manager target: refused, and recorded all the same.
      const secrets = await fetch(endpoints.secretsManager, {
        method: 'POST',
        headers: {
          'x-amz-target': 'secretsmanager.GetSecretValue',
          'content-type': 'application/x-amz-json-1.1',
        },
        body: JSON.stringify({ SecretId: SIGNING_SECRET_ARN }),
      });
      expect(secrets.status).toBe(400);
      const events = new EventBridgeClient({
        endpoint: endpoints.eventBridge,
        region: REGION,
        credentials,
        maxAttempts: 1,
      });
      await events
        .send(
          new PutEventsCommand({
            Entries: [
              { EventBusName: 'one', Source: 's', DetailType: 'd', Detail: '{}' },
              {
                EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/two`,
                Source: 's',
                DetailType: 'd',
                Detail: '{}',
              },
              { Source: 's', DetailType: 'd', Detail: '{}' },
            ],
          }),
        )
        .catch(() => undefined);
      events.destroy();
    } finally {
      dynamoDb.destroy();
      await own.close();
    }

    const bus = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
    expect(own.calls.map(({ action, resource, status }) => ({ action, resource, status }))).toEqual([
      {
        action: 'dynamodb:Query',
        resource: `${tableArn(receiverTable.tableName)}/index/byStatus`,
        status: 400,
      },
      { action: 'dynamodb:BatchWriteItem', resource: tableArn(receiverTable.tableName), status: 200 },
      { action: 'dynamodb:BatchWriteItem', resource: tableArn(reconcileTableName), status: 200 },
      { action: 'secretsmanager:GetSecretValue', resource: SIGNING_SECRET_ARN, status: 400 },
      { action: 'events:PutEvents', resource: bus('one'), status: 502 },
      { action: 'events:PutEvents', resource: bus('two'), status: 502 },
      { action: 'events:PutEvents', resource: bus('default'), status: 502 },
    ]);
    // And the evaluator refuses what the receiver's role does not grant, naming each: this
    // caller named no secret, so the signing secret is not the one its role may read either.
    await expect(expectAllowed(template, own.calls)).rejects.toThrow(
      /IAM would deny 7 of the recorded calls:[\s\S]*dynamodb:Query on [^ ]+\/index\/byStatus[\s\S]*dynamodb:BatchWriteItem[\s\S]*made by: the recorder’s own test/,
    );
  });
});

describe('the grants no recorded call uses', () => {
  it('are, per function, only these', () => {
    const r = new TemplateResolver(template);
    const uses = [
      ...[...scenarios.values()].flatMap((each) => each.calls),
      ...logWrites(r),
      ...streamMappingCalls(r),
    ];
    const unused = Object.fromEntries(
      FUNCTIONS.map((path) => [path, unusedGrants(template, stack.fn(path).logicalId, uses)]),
    );

    expect(unused).toEqual({
      // The resources by logical id, less its hash.
      ReceiveWebhook: [],
      'ReadApi/ReadConnections': [],
      // SqsDlq grants these with SendMessage; the stream mapping only sends.
      'ChangeEvents/PublishChanges': [
        { action: 'sqs:GetQueueAttributes', resource: 'ChangeEventsPublishFailures' },
        { action: 'sqs:GetQueueUrl', resource: 'ChangeEventsPublishFailures' },
      ],
      // The same of its SqsDlq; its one DynamoDB grant, PutItem on the history table, is used.
      'History/RecordHistory': [
        { action: 'sqs:GetQueueAttributes', resource: 'HistoryRecordFailures' },
        { action: 'sqs:GetQueueUrl', resource: 'HistoryRecordFailures' },
      ],
      'Reconciler/ReconcilePages': [],
      'Reconciler/ReconcileSweep': [],
      'Reconciler/CheckWebhookEndpoint': [],
    });
  });
});

import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { RECONCILE_METRIC } from '../src/observability/names';
import { type SynthesizedStack, synthesizeStack } from './support/deployed-bundle';
import { dataPoints, emfLines } from './support/emf';
import { ENGINES } from './support/engines';
import {
  accountView,
  type ExecutionRecord,
  explain,
  type ReconcilerWorld,
  runReconciler,
  STATE_PAYLOAD_LIMIT_BYTES,
  startReconcilerWorld,
  storedItems,
  tableView,
} from './support/state-machine';

/**
 * The reconciler as AWS runs it: the state machine's definition as `cdk synth` writes it,
 * executed by aws-local-stepfunctions (an interpreter of the Amazon States Language), each
 * Task state running its function's synthesized bundle as Lambda does (test/support/
 * state-machine.ts), over a DynamoDB engine, the fake Codat API and a Secrets Manager stand-in.
 * Every execution's input is `{}`, what the EventBridge Scheduler target sends.
 */
let stack: SynthesizedStack;

beforeAll(() => {
  stack = synthesizeStack();
});

afterAll(() => {
  stack.close();
});

/** Each execution starts several Node processes, one per Task invocation. */
const EXECUTION_MS = 120_000;

function expectStatus(record: ExecutionRecord, status: ExecutionRecord['status']) {
  if (record.status !== status) throw new Error(`expected ${status}, got:\n${explain(record)}`);
}

/**
 * A 429 whose `Retry-After` is past a page's 3-minute retry budget fails the page at once,
 * with the same `RequestFailedError` as 5xx answers for 3 minutes would, without the wait.
 */
function throttleForever(world: ReconcilerWorld, page: number) {
  world.fake.faults.throttle({ retryAfter: 3600, match: { path: '/companies', page } });
}

/** The placeholder the stack's API key secret is created with, as Secrets Manager generates it. */
function placeholderSecret(): string {
  const [secret] = Object.entries(stack.template().Resources).filter(
    ([logicalId, resource]) =>
      resource.Type === 'AWS::SecretsManager::Secret' && /^ReconcilerApiKey[0-9A-F]{8}$/.test(logicalId),
  );
  if (!secret) throw new Error('the template has no API key secret');
  const { GenerateSecretString: generate } = secret[1].Properties as {
    GenerateSecretString: { SecretStringTemplate: string; GenerateStringKey: string };
  };
  return JSON.stringify({
    ...JSON.parse(generate.SecretStringTemplate),
    [generate.GenerateStringKey]: 'q8XWm2bTz7LcR4vN9pKd',
  });
}

/** The `Connections` the sweep published, by status alone: status → count. */
function connectionsByStatus(record: ExecutionRecord): Record<string, unknown> {
  const [sweep] = record.runsOf('Sweep');
  const points = dataPoints(emfLines(sweep?.stdout ?? ''), 'Connections');
  return Object.fromEntries(
    points
      .filter((point) => Object.keys(point.dimensions).length === 3)
      .map((point) => [point.dimensions.Status, point.value]),
  );
}

/** The live connections of `items` by status, zeros for the statuses none has. */
function liveByStatus(items: readonly { status: unknown; deleted: boolean }[]): Record<string, number> {
  const counts: Record<string, number> = { Deauthorized: 0, Linked: 0, PendingAuth: 0, Unlinked: 0 };
  for (const item of items)
    if (!item.deleted) counts[String(item.status)] = (counts[String(item.status)] ?? 0) + 1;
  return counts;
}

const caught = (record: ExecutionRecord, state: string) =>
  record.events.filter((event) => event.type === 'StateCaught' && event.state?.name === state);

describe.each(ENGINES)('the reconciler state machine, executed on %s', (engine) => {
  let world: ReconcilerWorld;

  afterEach(async () => {
    await world?.close();
  });

  it(
    'backfills an empty table over several pages until it holds what the account holds',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 7, connectionsPerCompany: 2 } });

      const record = await runReconciler(stack, world, { environment: { PAGE_SIZE: '3' } });

      expectStatus(record, 'SUCCEEDED');
      expect(tableView(await storedItems(world))).toEqual(accountView(world.account));
      const pages = world.fake.log.entries.filter((entry) => entry.path === '/companies');
      expect(pages.map((entry) => entry.page)).toEqual([1, 2, 3]);
      expect(record.output).toMatchObject({
        walkId: record.name,
        totals: { pages: 3, companies: 7, connections: 14, created: 14, tombstoned: 0 },
      });
      expect(connectionsByStatus(record)).toEqual(liveByStatus(accountView(world.account)));
    },
    EXECUTION_MS,
  );

  it(
    'goes on with the next page in another WalkPages invocation when a step has spent its time',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 24, connectionsPerCompany: 1 } });
      // The step starts pages until its remaining time is down to its 4-minute page margin. With
      // the template's 15 minutes that takes an 11-minute walk; deployed with 4 min 5 s (as an
      // operator could set it), a step has 5 s, and pages that each take a second need several.
      world.fake.faults.slow({ delayMs: 1000, match: { path: '/companies' } });

      const record = await runReconciler(stack, world, {
        environment: { PAGE_SIZE: '2' },
        timeouts: { 'Reconciler/ReconcilePages': 245 },
      });

      expectStatus(record, 'SUCCEEDED');
      const steps = record
        .runsOf('WalkPages')
        .map((run) => (run.response as { nextPage: number | null }).nextPage);
      expect(steps.length).toBeGreaterThan(1);
      expect(steps.at(-1)).toBeNull();
      const numbered = steps.slice(0, -1) as number[];
      // Each step made progress, and the next took up where it stopped: every page read once.
      expect(numbered).toEqual([...numbered].sort((a, b) => a - b));
      expect(new Set(numbered).size).toBe(numbered.length);
      const pages = world.fake.log.entries.filter((entry) => entry.path === '/companies');
      expect(pages.map((entry) => entry.page)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
      expect(tableView(await storedItems(world))).toEqual(accountView(world.account));
    },
    EXECUTION_MS,
  );

  it(
    'writes nothing to the Connection table when it runs again over an unchanged account',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 6, connectionsPerCompany: 2 } });
      const environment = { PAGE_SIZE: '2' };
      expectStatus(await runReconciler(stack, world, { environment }), 'SUCCEEDED');
      const before = await storedItems(world);
      world.dynamoDb.clear();

      const record = await runReconciler(stack, world, { environment });

      expectStatus(record, 'SUCCEEDED');
      expect(world.dynamoDb.writesTo(world.table.tableName)).toEqual([]);
      // The recorder sees the run's reads, and its writes to the journal: one page each.
      expect(world.dynamoDb.callsOn(world.table.tableName).length).toBeGreaterThan(0);
      expect(world.dynamoDb.writesTo(world.journalTable)).toHaveLength(3);
      expect(await storedItems(world)).toEqual(before);
      expect(record.output).toMatchObject({
        totals: { unchanged: 12, created: 0, updated: 0, tombstoned: 0 },
      });
    },
    EXECUTION_MS,
  );

  it(
    'makes tombstones of a company and of a connection the API no longer has',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 6, connectionsPerCompany: 2 } });
      const environment = { PAGE_SIZE: '2' };
      expectStatus(await runReconciler(stack, world, { environment }), 'SUCCEEDED');
      const [, gone, , kept] = world.account.companies;
      if (!gone || !kept?.dataConnections[0]) throw new Error('the account has too few companies');
      const removed = kept.dataConnections[0].id;
      world.account.deleteCompany(gone.id);
      world.account.deleteConnection(kept.id, removed);

      const record = await runReconciler(stack, world, { environment });

      expectStatus(record, 'SUCCEEDED');
      const items = tableView(await storedItems(world));
      const tombstones = items
        .filter((item) => item.deleted)
        .map((item) => `${item.companyId}/${item.connectionId}`);
      expect(tombstones.sort()).toEqual(
        [
          ...gone.dataConnections.map((connection) => `${gone.id}/${connection.id}`),
          `${kept.id}/${removed}`,
        ].sort(),
      );
      expect(items.filter((item) => !item.deleted)).toEqual(accountView(world.account));
      expect(record.output).toMatchObject({ totals: { tombstoned: 3 } });
      // The sweep's counts are the table as it leaves it: the three tombstones are not live.
      expect(connectionsByStatus(record)).toEqual(liveByStatus(items));
    },
    EXECUTION_MS,
  );

  it(
    'fails the execution and deletes nothing when a page keeps failing',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 6, connectionsPerCompany: 2 } });
      const environment = { PAGE_SIZE: '2' };
      expectStatus(await runReconciler(stack, world, { environment }), 'SUCCEEDED');
      const [, gone, , kept] = world.account.companies;
      if (!gone || !kept?.dataConnections[0]) throw new Error('the account has too few companies');
      world.account.deleteCompany(gone.id);
      world.account.deleteConnection(kept.id, kept.dataConnections[0].id);
      throttleForever(world, 2);
      world.dynamoDb.clear();

      const record = await runReconciler(stack, world, { environment });

      expectStatus(record, 'FAILED');
      expect(record.error).toBe('WalkIncompleteError');
      expect(record.cause).toContain('page 2');
      // Not an error worth a retry: the sweep ran once.
      expect(record.runsOf('Sweep')).toHaveLength(1);
      // The pages after the failing one were still read.
      expect(world.fake.log.entries.some((entry) => entry.path === '/companies' && entry.page === 3)).toBe(
        true,
      );
      expect(world.dynamoDb.writesTo(world.table.tableName)).toEqual([]);
      expect(tableView(await storedItems(world)).filter((item) => item.deleted)).toEqual([]);
      // Counts only from a complete walk.
      expect(connectionsByStatus(record)).toEqual({});
    },
    EXECUTION_MS,
  );

  it(
    'fails at once, saying how to set it, while the API key secret holds its placeholder',
    async () => {
      world = await startReconcilerWorld(engine, { secretString: placeholderSecret() });

      const record = await runReconciler(stack, world);

      expectStatus(record, 'FAILED');
      expect(record.error).toBe('ApiKeyNotSetError');
      expect(record.cause).toContain('still holds its placeholder');
      expect(record.cause).toContain('aws secretsmanager put-secret-value');
      // The endpoint check fails the same way and is caught; the walk's first step is not retried.
      expect(record.runsOf('CheckEndpoint').map((run) => run.error?.errorType)).toEqual([
        'ApiKeyNotSetError',
      ]);
      expect(caught(record, 'CheckEndpoint')).toHaveLength(1);
      expect(record.runsOf('WalkPages')).toHaveLength(1);
      expect(record.runsOf('Sweep')).toHaveLength(0);
      expect(world.fake.log.count()).toBe(0);
    },
    EXECUTION_MS,
  );

  it(
    'walks the account even when the endpoint check fails',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 3, connectionsPerCompany: 2 } });
      world.fake.faults.fail({ status: 401, match: { path: '/webhooks' } });

      const record = await runReconciler(stack, world);

      expectStatus(record, 'SUCCEEDED');
      // A 401 on /webhooks alone: the check says the key was refused; the walk's own reads pass.
      expect(record.runsOf('CheckEndpoint').map((run) => run.error?.errorType)).toEqual([
        'ApiKeyRefusedError',
      ]);
      expect(caught(record, 'CheckEndpoint')).toHaveLength(1);
      // The Catch discards the error: the walk starts from the execution's input.
      const startWalk = record.events.find(
        (event) => event.type === 'StateEntered' && event.state?.name === 'StartWalk',
      );
      expect(startWalk?.state?.input).toEqual({});
      expect(tableView(await storedItems(world))).toEqual(accountView(world.account));
    },
    EXECUTION_MS,
  );

  it(
    'names the walk after the execution started with the Scheduler input {}',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 2, connectionsPerCompany: 1 } });
      const schedules = Object.values(stack.template().Resources).filter(
        (resource) => resource.Type === 'AWS::Scheduler::Schedule',
      );
      // No Input: the Scheduler sends its default, the empty object.
      const targets = schedules.map((schedule) => schedule.Properties?.Target as { Input?: unknown });
      expect(targets).toHaveLength(1);
      expect(targets[0]).not.toHaveProperty('Input');

      const record = await runReconciler(stack, world, { input: {} });

      expectStatus(record, 'SUCCEEDED');
      const started = record.events.find(
        (event) => event.type === 'StateExited' && event.state?.name === 'StartWalk',
      );
      const start = started?.state?.output as { walkId: string; startedAt: string };
      expect(start.walkId).toBe(record.name);
      expect(new Date(start.startedAt).toISOString()).toBe(start.startedAt);
      expect(record.runsOf('WalkPages')[0]?.input).toEqual(start);
      const journal = await world.table.client.send(
        new ScanCommand({ TableName: world.journalTable, ConsistentRead: true }),
      );
      expect((journal.Items ?? []).map((item) => unmarshall(item).walkId)).toEqual([record.name]);
    },
    EXECUTION_MS,
  );

  it(
    "keeps every state's input and output under Step Functions' 256 KiB, however many pages fail",
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 41, connectionsPerCompany: 1 } });
      for (let page = 2; page <= 41; page += 1) throttleForever(world, page);

      const record = await runReconciler(stack, world, { environment: { PAGE_SIZE: '1' } });

      expectStatus(record, 'FAILED');
      expect(record.runsOf('Sweep')[0]?.input).toMatchObject({ failedPageCount: 40 });
      const payloads = record.payloads();
      expect(payloads.map((payload) => payload.what)).toEqual(
        expect.arrayContaining(['execution input', 'WalkPages input', 'WalkPages output', 'Sweep input']),
      );
      expect(payloads.filter((payload) => payload.bytes >= STATE_PAYLOAD_LIMIT_BYTES)).toEqual([]);
    },
    EXECUTION_MS,
  );

  it(
    'fails the execution with a message when a WalkPages step makes no progress',
    async () => {
      world = await startReconcilerWorld(engine, { account: { companies: 2, connectionsPerCompany: 1 } });

      // Deployed with a timeout below its 4-minute page margin, a step cannot start a page. The
      // execution is aborted after a few steps, so that a loop ends the test rather than running
      // into the execution's 6-hour timeout.
      const record = await runReconciler(stack, world, {
        timeouts: { 'Reconciler/ReconcilePages': 180 },
        maxTaskRuns: 6,
      });

      expectStatus(record, 'FAILED');
      expect(record.error).toBe('WalkStepTooShortError');
      expect(record.cause).toMatch(/no time to start page 1.*longer timeout/);
      expect(record.runsOf('WalkPages')).toHaveLength(1);
      expect(await storedItems(world)).toEqual([]);
    },
    EXECUTION_MS,
  );
});

describe('the reconciler state machine, on budgets that nest', () => {
  let world: ReconcilerWorld;

  afterEach(async () => {
    await world?.close();
  });

  // One engine: the endpoint check touches no table.
  it(
    'ends CheckEndpoint within its own timeout when the provider answers 5xx, so that it reports and the walk goes on',
    async () => {
      world = await startReconcilerWorld('dynalite', { account: { companies: 1, connectionsPerCompany: 1 } });
      world.fake.faults.fail({ status: 503, match: { path: '/webhooks' } });

      const record = await runReconciler(stack, world);

      expectStatus(record, 'SUCCEEDED');
      const [check] = record.runsOf('CheckEndpoint');
      // Past its timeout Lambda ends the function (Sandbox.Timedout) before its `finally`
      // publishes the endpoint metrics: the call's retry budget must end first.
      expect(check?.error?.errorType).toBe('RequestFailedError');
      expect(check?.error?.errorMessage).toMatch(/status 503.*the deadline it was given/);
      expect(check?.stdout).toContain(`"${RECONCILE_METRIC.endpointUnchecked}":1`);
    },
    EXECUTION_MS,
  );
});

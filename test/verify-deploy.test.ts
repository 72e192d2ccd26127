import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type FakeCodatApi, startFakeCodatApi } from '../local/fake-codat-api/server';
import { type LocalServer, startLocalServer } from '../local/server';
import { awsDeployedStack } from '../src/verify/aws-deployed-stack';
import type { CheckLine } from '../src/verify/check-line';
import { verifyDeployment } from '../src/verify/checks';
import { REQUIRED_EVENT_TYPES } from '../src/verify/consumer-check';
import { TEST_COMPANY_ID, TEST_CONNECTION_ID } from '../src/verify/test-events';
import {
  STAND_IN_CREDENTIALS,
  startCloudFormationStandIn,
  startCloudWatchStandIn,
  startIamGate,
  startSecretsStandIn,
} from './support/aws-stand-ins';
import { type EmbeddedTable, startTable } from './support/embedded-table';
import { RecordingLogger } from './support/logs';
import { type ReceiverHarness, startReceiverHarness } from './support/receiver-harness';
import { testSecret } from './support/signed-request';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const REGION = 'eu-west-1';
const STACK = 'CodatConnections-dev';
const SIGNING_ARN = `arn:aws:secretsmanager:${REGION}:000000000000:secret:SigningSecret-abc`;
const API_KEY_ARN = `arn:aws:secretsmanager:${REGION}:000000000000:secret:ApiKey-def`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:000000000000:${STACK}-AlarmTopic`;
/** What the stack's generateSecretString leaves in a secret until an operator replaces it. */
const PLACEHOLDER = JSON.stringify({
  replaceWith: 'the whsec_... value from the Codat portal',
  placeholder: 'x8Y',
});

let receiver: ReceiverHarness;
let codat: FakeCodatApi;
let cloudFormation: Awaited<ReturnType<typeof startCloudFormationStandIn>>;
let secrets: Awaited<ReturnType<typeof startSecretsStandIn>>;
let cloudWatch: Awaited<ReturnType<typeof startCloudWatchStandIn>>;
let gate: Awaited<ReturnType<typeof startIamGate>>;
const stacks = new Map<string, Record<string, string>>();
const secretValues = new Map<string, string>();
const savedEnv = { ...process.env };

/** The SDK's environment: the stand-ins' endpoints, credentials and region, nothing of the machine's. */
function awsEnvironment(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.url,
    AWS_ACCESS_KEY_ID: STAND_IN_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: STAND_IN_CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_MAX_ATTEMPTS: '1',
  };
}

function consumer(overrides: Record<string, unknown> = {}) {
  return {
    id: 'c0a7e1b2-0000-4000-8000-000000000001',
    url: receiver.server.webhookUrl,
    disabled: false,
    eventTypes: [...REQUIRED_EVENT_TYPES],
    companyTags: null,
    ...overrides,
  };
}

function alarm(name: string, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK') {
  return { name: `${STACK}-${name}`, state, alarmActions: [TOPIC_ARN], okActions: [TOPIC_ARN] };
}

/** A deployed stack that works: every output, both secrets set, a consumer, alarms that reach the topic. */
function arrangeWorkingStack() {
  stacks.clear();
  stacks.set(STACK, {
    WebhookUrl: receiver.server.webhookUrl,
    ReadApiUrl: `${gate.url}/companies/{companyId}/connections`,
    TableName: receiver.table.tableName,
    SigningSecretArn: SIGNING_ARN,
    CodatApiKeySecretArn: API_KEY_ARN,
    AlarmTopicArn: TOPIC_ARN,
    ReconcileStateMachineArn: `arn:aws:states:${REGION}:000000000000:stateMachine:reconcile`,
  });
  secretValues.clear();
  secretValues.set(SIGNING_ARN, receiver.secret);
  secretValues.set(API_KEY_ARN, codat.apiKey);
  codat.account.webhookConsumers = [
    consumer(),
    consumer({ id: 'other', url: 'https://elsewhere.example/hook' }),
  ];
  cloudWatch.state.alarms = [alarm('FunctionErrors'), alarm('ServerErrors')];
  cloudWatch.state.topicAllowsCloudWatch = true;
  cloudWatch.state.history = [];
  cloudWatch.state.stateChanges = [];
  gate.state.allow = true;
  gate.state.upstream = receiver.server.url;
  gate.state.authorizations = [];
  gate.state.refused = [];
}

async function verify(): Promise<CheckLine[]> {
  return verifyWith({});
}

async function verifyWith(options: Partial<Parameters<typeof verifyDeployment>[0]>): Promise<CheckLine[]> {
  const stack = awsDeployedStack();
  try {
    return await verifyDeployment({
      stack,
      stackName: STACK,
      codatApiUrl: codat.url,
      alarmWait: { pollMs: 20, timeoutMs: 1000 },
      ...options,
    });
  } finally {
    stack.destroy();
  }
}

const line = (lines: CheckLine[], check: string) => lines.find((each) => each.check === check);

/** A FAIL line whose advice contains `says`. */
const failing = (says: string) => ({ ok: false, say: expect.stringContaining(says) });

const TEST_KEY = { companyId: { S: TEST_COMPANY_ID }, connectionId: { S: TEST_CONNECTION_ID } };

async function testItem() {
  const { Item } = await receiver.table.client.send(
    new GetItemCommand({ TableName: receiver.table.tableName, Key: TEST_KEY, ConsistentRead: true }),
  );
  return Item;
}

beforeAll(async () => {
  receiver = await startReceiverHarness();
  codat = await startFakeCodatApi({ accountOptions: { companies: 1 } });
  cloudFormation = await startCloudFormationStandIn(stacks);
  secrets = await startSecretsStandIn(secretValues);
  cloudWatch = await startCloudWatchStandIn();
  gate = await startIamGate({ upstream: receiver.server.url, region: REGION });
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, awsEnvironment());
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([
    receiver.close(),
    codat.close(),
    cloudFormation.close(),
    secrets.close(),
    cloudWatch.close(),
    gate.close(),
  ]);
});

beforeEach(async () => {
  arrangeWorkingStack();
  // Each test starts without an earlier test's test connection or tombstone.
  await receiver.table.client.send(
    new DeleteItemCommand({ TableName: receiver.table.tableName, Key: TEST_KEY }),
  );
});

describe('npm run verify-deploy, against the local server, the fake Codat API and stand-ins of AWS', () => {
  it('passes every check of a stack that works, one line each, in order', async () => {
    const lines = await verify();

    expect(lines.map((each) => [each.check, each.ok])).toEqual([
      ['stack', true],
      ['signing secret', true],
      ['Codat API key', true],
      ['test delivery', true],
      ['read back', true],
      ['tombstone', true],
      ['webhook consumer', true],
      ['alarm notification', true],
    ]);
    expect(line(lines, 'stack')?.say).toContain(`${STACK} in ${REGION}`);
    expect(line(lines, 'webhook consumer')?.say).toContain('c0a7e1b2-0000-4000-8000-000000000001');
  });

  it('reads the outputs of the stack it names with DescribeStacks', async () => {
    cloudFormation.calls.length = 0;

    await verify();

    expect(cloudFormation.calls).toEqual([`DescribeStacks ${STACK}`]);
  });

  it('leaves the test connection a tombstone that TTL removes, with the test ids', async () => {
    await verify();

    const item = await testItem();
    expect(item?.deleted).toEqual({ BOOL: true });
    expect(item?.lastEventType).toEqual({ S: 'company.deleted' });
    expect(Number(item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000);
  });

  it('signs every read with SigV4 for execute-api in the region, which the IAM stand-in verifies', async () => {
    await verify();

    expect(gate.state.authorizations.length).toBe(3);
    for (const authorization of gate.state.authorizations) {
      expect(authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${STAND_IN_CREDENTIALS.accessKeyId}/\\d{8}/${REGION}/execute-api/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`,
        ),
      );
    }
    expect(gate.state.refused).toEqual([]);
  });

  it('runs again over its own tombstone: the second run passes too', async () => {
    await verify();

    const again = await verify();

    expect(again.filter((each) => !each.ok)).toEqual([]);
    expect((await testItem())?.deleted).toEqual({ BOOL: true });
  });

  it('FAILs the test delivery as stale after a run whose clock was ahead, saying so, and keeps the tombstone', async () => {
    const ahead = new Date(Date.now() + 4 * 60_000);
    const first = await verifyWith({ now: () => ahead });
    expect(first.filter((each) => !each.ok)).toEqual([]);

    const lines = await verify();

    expect(line(lines, 'test delivery')).toMatchObject(
      failing(`answered 200 {"result":"stale"}: the table holds a test event dated later`),
    );
    expect(line(lines, 'read back')).toBeUndefined();
    expect(line(lines, 'tombstone')?.ok).toBe(true);
    expect((await testItem())?.deleted).toEqual({ BOOL: true });
  });

  it('FAILs the signing secret while it holds the placeholder, saying which command sets it, and sends nothing', async () => {
    secretValues.set(SIGNING_ARN, PLACEHOLDER);
    const before = await receiver.itemCount();
    const deliveriesBefore = receiver.logger.lines.length;

    const lines = await verify();

    expect(line(lines, 'signing secret')).toEqual({
      check: 'signing secret',
      ok: false,
      say: expect.stringContaining(
        `still holds the placeholder the stack created: copy the endpoint's signing secret (whsec_…) from the Codat portal`,
      ),
    });
    expect(line(lines, 'signing secret')?.say).toContain(
      `aws secretsmanager put-secret-value --secret-id ${SIGNING_ARN} --secret-string 'whsec_…'`,
    );
    expect(line(lines, 'test delivery')).toMatchObject(failing('not sent'));
    expect(line(lines, 'read back')).toBeUndefined();
    expect(await receiver.itemCount()).toBe(before);
    expect(receiver.logger.lines.length).toBe(deliveriesBefore);
  });

  it('FAILs the signing secret when it is not a whsec_ value, naming the problem', async () => {
    secretValues.set(SIGNING_ARN, 'not base64!');

    const lines = await verify();

    expect(line(lines, 'signing secret')).toMatchObject(failing('is not of the form whsec_<base64>'));
  });

  it('FAILs the Codat API key while it holds its placeholder, with the command, and asks the provider nothing', async () => {
    secretValues.set(
      API_KEY_ARN,
      JSON.stringify({ replaceWith: 'the API key from the Codat portal', placeholder: 'q' }),
    );
    const requestsBefore = codat.log.entries.length;

    const lines = await verify();

    expect(line(lines, 'Codat API key')).toMatchObject(
      failing(`aws secretsmanager put-secret-value --secret-id ${API_KEY_ARN} --secret-string <API key>`),
    );
    expect(line(lines, 'webhook consumer')).toMatchObject(failing('not asked'));
    expect(codat.log.entries.length).toBe(requestsBefore);
  });

  it('FAILs the test delivery when the endpoint answers 401, saying the secrets differ, and writes nothing', async () => {
    secretValues.set(SIGNING_ARN, testSecret()); // a whsec_ value, but not the one the receiver verifies with
    const before = await receiver.itemCount();

    const lines = await verify();

    expect(line(lines, 'test delivery')).toMatchObject({
      ok: false,
      say: expect.stringMatching(
        /answered 401 .*invalid signature.*another secret than SigningSecretArn holds/,
      ),
    });
    expect(line(lines, 'read back')).toBeUndefined();
    expect(line(lines, 'tombstone')).toBeUndefined();
    expect(await receiver.itemCount()).toBe(before);
  });

  describe('when the read API serves another table', () => {
    let other: LocalServer;
    let otherTable: EmbeddedTable;

    beforeAll(async () => {
      otherTable = await startTable('dynalite');
      other = await startLocalServer({
        port: 0,
        signingSecret: testSecret(),
        dynamoDbEndpoint: otherTable.endpoint,
        tableName: otherTable.tableName,
        logger: new RecordingLogger({ stage: 'local' }),
      });
    });

    afterAll(async () => {
      await other.close();
      await otherTable.close();
    });

    it('FAILs the read back (404) and the tombstone it cannot see, and still tombstones the test connection', async () => {
      gate.state.upstream = other.url;

      const lines = await verify();

      expect(line(lines, 'test delivery')?.ok).toBe(true);
      expect(line(lines, 'read back')).toMatchObject(
        failing('answered 404: the read API does not show what the delivery wrote'),
      );
      expect(line(lines, 'tombstone')).toMatchObject(
        failing('the read API answers 404 for the test connection and 404'),
      );
      expect((await testItem())?.deleted).toEqual({ BOOL: true });
    });
  });

  it('FAILs the read back with the permission to grant when IAM refuses the caller (403)', async () => {
    gate.state.allow = false;

    const lines = await verify();

    expect(line(lines, 'read back')).toMatchObject(
      failing(
        'answered 403 {"message":"Forbidden"}: your credentials need execute-api:Invoke on arn:aws:execute-api:',
      ),
    );
    expect(line(lines, 'tombstone')?.ok).toBe(false);
  });

  it.each([
    {
      case: 'no consumer for WebhookUrl',
      consumers: () => [consumer({ url: 'https://elsewhere.example/hook' })],
      says: 'the provider lists no consumer for',
    },
    {
      case: 'its consumer disabled',
      consumers: () => [consumer({ disabled: true })],
      says: 'is disabled: the provider disables an endpoint after 5 days of failed deliveries. Enable it',
    },
    {
      case: 'its consumer not subscribed to company.deleted',
      consumers: () => [
        consumer({ eventTypes: REQUIRED_EVENT_TYPES.filter((type) => type !== 'company.deleted') }),
      ],
      says: 'is not subscribed to company.deleted: add them to the endpoint in the Codat portal',
    },
    {
      case: 'its consumer subscribed to connection.* events but one',
      consumers: () => [
        consumer({ eventTypes: ['connection.created', 'connection.connected', 'company.deleted'] }),
      ],
      says: 'is not subscribed to connection.disconnected, connection.reconnected, connection.failed, connection.deleted',
    },
  ])(
    'FAILs the webhook consumer when the provider lists $case, saying what to do',
    async ({ consumers, says }) => {
      codat.account.webhookConsumers = consumers();

      const lines = await verify();

      expect(line(lines, 'webhook consumer')).toMatchObject(failing(says));
    },
  );

  it('takes an enabled consumer over a disabled one for the same URL', async () => {
    codat.account.webhookConsumers = [consumer({ id: 'old', disabled: true }), consumer({ id: 'new' })];

    const lines = await verify();

    expect(line(lines, 'webhook consumer')).toMatchObject({
      ok: true,
      say: expect.stringContaining('consumer new'),
    });
  });

  it('FAILs the webhook consumer when the provider refuses the API key', async () => {
    secretValues.set(API_KEY_ARN, 'a-key-the-provider-does-not-know');

    const lines = await verify();

    expect(line(lines, 'Codat API key')?.ok).toBe(true);
    expect(line(lines, 'webhook consumer')).toMatchObject(failing('refused the API key (401)'));
  });

  it('sets an alarm that notifies the topic to ALARM and back to OK, and says a test e-mail goes out', async () => {
    const lines = await verify();

    expect(cloudWatch.state.stateChanges).toEqual([
      `${STACK}-FunctionErrors ALARM`,
      `${STACK}-FunctionErrors OK`,
    ]);
    expect(line(lines, 'alarm notification')?.say).toContain(
      `${STACK}-FunctionErrors notified ${TOPIC_ARN} (Successfully executed action ${TOPIC_ARN})`,
    );
    expect(line(lines, 'alarm notification')?.say).toContain(
      'get one test ALARM notification, and an OK one',
    );
  });

  it('never tests with an alarm that is firing, nor one that notifies another topic', async () => {
    cloudWatch.state.alarms = [
      alarm('FunctionErrors', 'ALARM'),
      { ...alarm('AnotherTopic'), alarmActions: ['arn:aws:sns:eu-west-1:000000000000:other'] },
      alarm('ServerErrors', 'INSUFFICIENT_DATA'),
    ];

    const lines = await verify();

    expect(line(lines, 'alarm notification')?.ok).toBe(true);
    expect(cloudWatch.state.stateChanges).toEqual([
      `${STACK}-ServerErrors ALARM`,
      `${STACK}-ServerErrors INSUFFICIENT_DATA`,
    ]);
  });

  it('FAILs the alarm notification naming the SNS:Publish denial, and sets the alarm back to OK', async () => {
    cloudWatch.state.topicAllowsCloudWatch = false;

    const lines = await verify();

    expect(line(lines, 'alarm notification')).toMatchObject(
      failing(
        `CloudWatch may not publish to ${TOPIC_ARN}: Resource: arn:aws:cloudwatch:${REGION}:000000000000:alarm:${STACK}-FunctionErrors is not authorized to perform: SNS:Publish`,
      ),
    );
    expect(line(lines, 'alarm notification')?.say).toContain(
      'must allow cloudwatch.amazonaws.com sns:Publish',
    );
    expect(cloudWatch.state.alarms[0]?.state).toBe('OK');
  });

  it('FAILs the alarm notification when every alarm of the topic is firing, and changes none', async () => {
    cloudWatch.state.alarms = [alarm('FunctionErrors', 'ALARM')];

    const lines = await verify();

    expect(line(lines, 'alarm notification')).toMatchObject(failing('is in ALARM now'));
    expect(cloudWatch.state.stateChanges).toEqual([]);
  });

  it('FAILs one line, and checks nothing more, when the stack is not there', async () => {
    stacks.clear();

    const lines = await verify();

    expect(lines).toEqual([
      {
        check: 'stack',
        ok: false,
        say: expect.stringContaining(`Stack with id ${STACK} does not exist`),
      },
    ]);
  });

  it('FAILs the checks of an output the stack does not have, saying to deploy this version', async () => {
    const { AlarmTopicArn: _, ...older } = stacks.get(STACK) as Record<string, string>;
    stacks.set(STACK, older);

    const lines = await verify();

    expect(line(lines, 'alarm notification')).toMatchObject(
      failing('has no output AlarmTopicArn: deploy this version'),
    );
  });
});

/** The command as npm runs it: tsx, in a process of its own, told only by its environment. */
function runCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(BIN, 'tsx'), ['local/verify-deploy.ts', ...args], {
      cwd: ROOT,
      env: {
        PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? '',
        ...awsEnvironment(),
        CODAT_API_URL: codat.url,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the verify-deploy command', () => {
  it('prints ok for every check of the stack of -c stage=dev and exits 0', async () => {
    const { status, stdout } = await runCli('-c', 'stage=dev');

    expect(stdout.split('\n').filter((text) => /^(ok|FAIL)/.test(text))).toEqual([
      expect.stringMatching(/^ok {4}stack: CodatConnections-dev in eu-west-1/),
      expect.stringMatching(/^ok {4}signing secret: /),
      expect.stringMatching(/^ok {4}Codat API key: /),
      expect.stringMatching(/^ok {4}test delivery: /),
      expect.stringMatching(/^ok {4}read back: /),
      expect.stringMatching(/^ok {4}tombstone: /),
      expect.stringMatching(/^ok {4}webhook consumer: /),
      expect.stringMatching(/^ok {4}alarm notification: /),
    ]);
    expect(stdout).toContain('All 8 checks passed');
    expect(status).toBe(0);
  }, 60_000);

  it('prints FAIL with what to do, and exits 1, when a check fails', async () => {
    secretValues.set(API_KEY_ARN, PLACEHOLDER);

    const { status, stdout } = await runCli('-c', 'stage=dev');

    expect(stdout).toMatch(/^FAIL {2}Codat API key: .*put-secret-value --secret-id /m);
    expect(stdout).toContain('2 of 8 checks failed.');
    expect(status).toBe(1);
  }, 60_000);

  it('refuses a stage that does not exist with the usage, and exits 2', async () => {
    const { status, stderr, stdout } = await runCli('-c', 'stage=staging');

    expect(stderr).toContain('stage must be one of dev, prod, but is "staging"');
    expect(stderr).toContain('Usage: npm run verify-deploy');
    expect(stdout).toBe('');
    expect(status).toBe(2);
  }, 60_000);
});

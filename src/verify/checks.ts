import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { CONNECTION_EVENT_TYPES } from '../connection/schema';
import { DEFAULT_CODAT_API_URL } from '../defaults';
import { ApiKeyNotSetError, CodatApiError } from '../errors';
import { apiKeyFrom } from '../reconcile/api-key';
import { CodatApi, type WebhookConsumer } from '../reconcile/codat-api';
import { consumersOf } from '../reconcile/endpoint-health';
import { signDelivery } from '../webhook/sign';
import { parseSigningSecrets } from '../webhook/signature';
import type {
  AlarmActionRecord,
  AlarmSummary,
  DeployedStack,
  HttpAnswer,
  StackOutputs,
} from './deployed-stack';
import {
  TEST_COMPANY_ID,
  TEST_CONNECTION_ID,
  testCompanyDeletedEvent,
  testConnectionEvent,
} from './test-events';

/** One line of the report: what was checked, whether it holds, and what to do when it does not. */
export interface CheckLine {
  check: string;
  ok: boolean;
  say: string;
}

/** The events the endpoint's consumer must be subscribed to: every one the receiver stores. */
export const REQUIRED_EVENT_TYPES: readonly string[] = [...CONNECTION_EVENT_TYPES, 'company.deleted'];

export interface VerifyInput {
  stack: DeployedStack;
  stackName: string;
  /** The provider's API. @default https://api.codat.io */
  codatApiUrl?: string;
  /** How the test deliveries are posted. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** @default () => new Date() */
  now?: () => Date;
  /** How often, and how long, the alarm's history is read for the notification. @default 2 s, 90 s */
  alarmWait?: { pollMs: number; timeoutMs: number };
  /** @default a real timer */
  sleep?: (ms: number) => Promise<void>;
  /** Told each line as soon as it is known, so that a terminal shows progress during the alarm's wait. */
  onLine?: (line: CheckLine) => void;
}

const ok = (check: string, say: string): CheckLine => ({ check, ok: true, say });
const fail = (check: string, say: string): CheckLine => ({ check, ok: false, say });

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}${cause}`;
}

function missingOutput(check: string, key: string, stackName: string): CheckLine {
  return fail(
    check,
    `the stack ${stackName} has no output ${key}: deploy this version of the project (npm run deploy), then run this again`,
  );
}

/**
 * Checks a deployed stack end to end, as AWS and the provider see it: the two secrets hold real
 * values, a signed test delivery is stored and reads back through the IAM-authorized read API
 * (and is then tombstoned), the provider delivers to this endpoint, and an alarm's notification
 * reaches the alarm topic. Returns one line per check; none throws.
 */
export async function verifyDeployment(input: VerifyInput): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const report = (line: CheckLine) => {
    lines.push(line);
    input.onLine?.(line);
    return line;
  };
  let outputs: StackOutputs;
  try {
    outputs = await input.stack.outputs(input.stackName);
    const region = await input.stack.region();
    report(ok('stack', `${input.stackName} in ${region}: ${Object.keys(outputs).length} outputs`));
  } catch (error) {
    report(
      fail(
        'stack',
        `could not read the outputs of ${input.stackName}: ${describe(error)}. Check the stage (-c stage=…), ` +
          'AWS_REGION and AWS_PROFILE, and that your credentials may call cloudformation:DescribeStacks',
      ),
    );
    return lines;
  }

  const secret = await checkSigningSecret(input, outputs, report);
  const apiKey = await checkApiKey(input, outputs, report);
  await checkTestDelivery(input, outputs, secret, report);
  await checkConsumer(input, outputs, apiKey, report);
  await checkAlarmNotification(input, outputs, report);
  return lines;
}

type Report = (line: CheckLine) => CheckLine;

async function readSecret(
  input: VerifyInput,
  check: string,
  arn: string,
): Promise<{ value: string } | { line: CheckLine }> {
  try {
    return { value: await input.stack.secretString(arn) };
  } catch (error) {
    return {
      line: fail(
        check,
        `could not read ${arn}: ${describe(error)}. Your credentials need secretsmanager:GetSecretValue on it`,
      ),
    };
  }
}

/** 1. The signing secret holds `whsec_` values, not the placeholder the stack created. */
async function checkSigningSecret(
  input: VerifyInput,
  outputs: StackOutputs,
  report: Report,
): Promise<string | undefined> {
  const check = 'signing secret';
  const arn = outputs.SigningSecretArn;
  if (!arn) return void report(missingOutput(check, 'SigningSecretArn', input.stackName));
  const read = await readSecret(input, check, arn);
  if ('line' in read) return void report(read.line);
  const put =
    "copy the endpoint's signing secret (whsec_…) from the Codat portal (Settings > Webhooks, the endpoint " +
    `of WebhookUrl) and store it: aws secretsmanager put-secret-value --secret-id ${arn} --secret-string 'whsec_…'`;
  if (read.value.trim().startsWith('{')) {
    return void report(fail(check, `${arn} still holds the placeholder the stack created: ${put}`));
  }
  try {
    const secrets = parseSigningSecrets(read.value);
    report(ok(check, `${arn} holds ${secrets.length} whsec_ value${secrets.length === 1 ? '' : 's'}`));
    return read.value;
  } catch (error) {
    return void report(fail(check, `${arn}: ${describe(error)}; ${put}`));
  }
}

/** 2. The Codat API key is set, not the placeholder. */
async function checkApiKey(
  input: VerifyInput,
  outputs: StackOutputs,
  report: Report,
): Promise<string | undefined> {
  const check = 'Codat API key';
  const arn = outputs.CodatApiKeySecretArn;
  if (!arn) return void report(missingOutput(check, 'CodatApiKeySecretArn', input.stackName));
  const read = await readSecret(input, check, arn);
  if ('line' in read) return void report(read.line);
  try {
    const key = apiKeyFrom(read.value, arn);
    report(ok(check, `${arn} holds a value that is not the placeholder`));
    return key;
  } catch (error) {
    if (!(error instanceof ApiKeyNotSetError)) throw error;
    return void report(
      fail(check, `${error.message} (the key is in the Codat portal under Developers > API keys)`),
    );
  }
}

/** The read API's URL of the test connection, from the `ReadApiUrl` output's template. */
export function testConnectionUrl(readApiUrl: string, query = ''): string | undefined {
  if (!readApiUrl.includes('{companyId}')) return undefined;
  const base = readApiUrl.replace('{companyId}', encodeURIComponent(TEST_COMPANY_ID)).replace(/\/+$/, '');
  return `${base}/${encodeURIComponent(TEST_CONNECTION_ID)}${query}`;
}

const TEST_KEY = `${TEST_COMPANY_ID}/${TEST_CONNECTION_ID}`;

async function post(input: VerifyInput, url: string, secret: string, body: string): Promise<HttpAnswer> {
  const fetch = input.fetch ?? globalThis.fetch;
  // The provider gives up on an attempt after 15 s: an endpoint slower than that fails here too.
  const response = await fetch(url, {
    method: 'POST',
    headers: signDelivery(secret, body),
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.text()).slice(0, 500) };
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What a delivery's answer other than 200 says to do. */
function deliveryAdvice(answer: HttpAnswer): string {
  if (answer.status === 401) {
    return (
      'the function verified it with another secret than SigningSecretArn holds. It reads the secret again ' +
      'every 5 minutes: if you stored it just now, wait and run this again. If the reason is the timestamp, ' +
      "set this machine's clock"
    );
  }
  if (answer.status === 403) {
    return (
      'the stack serves only the addresses of -c allowedSourceIps: run this from one of them, or deploy ' +
      'without it to try'
    );
  }
  if (answer.status === 503) return 'see "Every answer the endpoint gives" and the runbook in the README';
  return 'see the function log group (LogGroupName output) and the runbook in the README';
}

const READ_API_ACCESS =
  'your credentials need execute-api:Invoke on arn:aws:execute-api:<region>:<account>:<api id>/$default/GET/companies/*';

function readAdvice(answer: HttpAnswer): string {
  if (answer.status === 403) return `${READ_API_ACCESS} (see "The read API" in the README)`;
  return 'see the read function in the dashboard and the runbook in the README';
}

/**
 * 3. A signed test delivery answers 200 and reads back through the read API (SigV4); then a
 * signed `company.deleted` for the test company tombstones it, and the read API shows that too.
 */
async function checkTestDelivery(
  input: VerifyInput,
  outputs: StackOutputs,
  secret: string | undefined,
  report: Report,
): Promise<void> {
  const webhookUrl = outputs.WebhookUrl;
  if (!webhookUrl) return void report(missingOutput('test delivery', 'WebhookUrl', input.stackName));
  if (secret === undefined) {
    return void report(
      fail(
        'test delivery',
        'not sent: it needs the signing secret (see above); run this again once it is set',
      ),
    );
  }
  const now = (input.now ?? (() => new Date()))();
  const event = testConnectionEvent(randomUUID(), now);
  let answer: HttpAnswer;
  try {
    answer = await post(input, webhookUrl, secret, JSON.stringify(event));
  } catch (error) {
    return void report(fail('test delivery', `could not reach ${webhookUrl}: ${describe(error)}`));
  }
  if (answer.status !== 200) {
    return void report(
      fail(
        'test delivery',
        `POST ${webhookUrl} answered ${answer.status} ${answer.body}: ${deliveryAdvice(answer)}`,
      ),
    );
  }
  if (parse(answer.body)?.result === 'stale') {
    report(
      fail(
        'test delivery',
        `POST ${webhookUrl} answered 200 ${answer.body}: the table holds a test event dated later than this ` +
          "one, from an earlier run on a machine whose clock was ahead; set this machine's clock",
      ),
    );
    report(await tombstoneTestCompany(input, outputs, webhookUrl, secret, now));
    return;
  }
  report(
    ok('test delivery', `POST ${webhookUrl} answered 200 ${answer.body} for the test connection ${TEST_KEY}`),
  );

  const readUrl = outputs.ReadApiUrl ? testConnectionUrl(outputs.ReadApiUrl) : undefined;
  if (!readUrl) {
    report(missingOutput('read back', 'ReadApiUrl (with {companyId})', input.stackName));
  } else {
    report(await checkReadBack(input, readUrl, event.id));
  }
  // Whatever the read said, the test connection is not left live in the table.
  report(await tombstoneTestCompany(input, outputs, webhookUrl, secret, now));
}

async function signedGet(input: VerifyInput, url: string): Promise<HttpAnswer | { error: string }> {
  try {
    return await input.stack.signedGet(url);
  } catch (error) {
    return { error: `GET ${url} failed: ${describe(error)}` };
  }
}

async function checkReadBack(input: VerifyInput, readUrl: string, eventId: string): Promise<CheckLine> {
  const check = 'read back';
  const answer = await signedGet(input, readUrl);
  if ('error' in answer) return fail(check, answer.error);
  if (answer.status === 404) {
    return fail(
      check,
      `GET ${readUrl} (SigV4) answered 404: the read API does not show what the delivery wrote. Are the ` +
        'webhook route and the read routes of the same stack? See the read function in the dashboard',
    );
  }
  if (answer.status !== 200) {
    return fail(
      check,
      `GET ${readUrl} (SigV4) answered ${answer.status} ${answer.body}: ${readAdvice(answer)}`,
    );
  }
  const lastEvent = parse(answer.body)?.lastEvent as { id?: unknown } | undefined;
  if (lastEvent?.id !== eventId) {
    return fail(
      check,
      `GET ${readUrl} (SigV4) shows event ${String(lastEvent?.id)}, not the test delivery's ${eventId}: ` +
        "an earlier test event dated later is stored (this machine's clock?), or another run is under way",
    );
  }
  return ok(check, `GET ${readUrl} signed with SigV4 answered 200 with the test delivery's event ${eventId}`);
}

/** A signed `company.deleted` for the test company, then the read API must show the tombstone. */
async function tombstoneTestCompany(
  input: VerifyInput,
  outputs: StackOutputs,
  webhookUrl: string,
  secret: string,
  connectedAt: Date,
): Promise<CheckLine> {
  const check = 'tombstone';
  const table = outputs.TableName ?? '<TableName output>';
  const byHand =
    `remove the test item by hand: aws dynamodb delete-item --table-name ${table} --key ` +
    `'{"companyId":{"S":"${TEST_COMPANY_ID}"},"connectionId":{"S":"${TEST_CONNECTION_ID}"}}'`;
  // Later than the connection event even within one millisecond, and never ahead of the clock,
  // so that the next run's connection event is newer than this tombstone.
  const at = Math.max((input.now ?? (() => new Date()))().getTime(), connectedAt.getTime() + 1);
  const event = testCompanyDeletedEvent(randomUUID(), new Date(at));
  let answer: HttpAnswer;
  try {
    answer = await post(input, webhookUrl, secret, JSON.stringify(event));
  } catch (error) {
    return fail(check, `company.deleted could not reach ${webhookUrl}: ${describe(error)}; ${byHand}`);
  }
  // n tombstoned, or m unchanged when a tombstone dated later is there already: the read decides.
  const { tombstoned, unchanged } = parse(answer.body) ?? {};
  if (answer.status !== 200 || typeof tombstoned !== 'number' || tombstoned + Number(unchanged ?? 0) < 1) {
    return fail(
      check,
      `company.deleted for ${TEST_COMPANY_ID} answered ${answer.status} ${answer.body}, tombstoning nothing; ${byHand}`,
    );
  }
  const readUrl = outputs.ReadApiUrl ? testConnectionUrl(outputs.ReadApiUrl) : undefined;
  if (!readUrl) return fail(check, `company.deleted answered 200 ${answer.body}, but ReadApiUrl is missing`);
  const live = await signedGet(input, readUrl);
  const kept = await signedGet(
    input,
    testConnectionUrl(outputs.ReadApiUrl ?? '', '?includeDeleted=true') ?? '',
  );
  if ('error' in live || 'error' in kept) {
    return fail(
      check,
      `company.deleted answered 200; ${'error' in live ? live.error : (kept as { error: string }).error}`,
    );
  }
  const deleted = parse(kept.body)?.deleted;
  if (live.status !== 404 || kept.status !== 200 || deleted !== true) {
    return fail(
      check,
      `company.deleted answered 200 ${answer.body}, but the read API answers ${live.status} for the test ` +
        `connection and ${kept.status} (deleted: ${String(deleted)}) with ?includeDeleted=true, where a ` +
        `tombstone answers 404 and 200 (deleted: true)${live.status === 403 || kept.status === 403 ? `; ${READ_API_ACCESS}` : ''}`,
    );
  }
  return ok(
    check,
    `a signed company.deleted for ${TEST_COMPANY_ID} tombstoned the test connection: the read API answers 404 ` +
      'for it, and deleted: true with ?includeDeleted=true; DynamoDB TTL removes it after tombstoneTtlDays',
  );
}

/** 4. The provider lists an enabled consumer for WebhookUrl, subscribed to every event the receiver stores. */
async function checkConsumer(
  input: VerifyInput,
  outputs: StackOutputs,
  apiKey: string | undefined,
  report: Report,
): Promise<void> {
  const check = 'webhook consumer';
  const webhookUrl = outputs.WebhookUrl;
  if (!webhookUrl) return void report(missingOutput(check, 'WebhookUrl', input.stackName));
  if (apiKey === undefined) {
    return void report(fail(check, 'not asked: GET /webhooks needs the Codat API key (see above)'));
  }
  const baseUrl = input.codatApiUrl ?? DEFAULT_CODAT_API_URL;
  const api = new CodatApi({ apiKey, baseUrl, retry: { budgetMs: 30_000 } });
  let consumers: WebhookConsumer[];
  try {
    consumers = (await api.listWebhookConsumers()).consumers;
  } catch (error) {
    const refused = error instanceof CodatApiError && (error.status === 401 || error.status === 403);
    return void report(
      fail(
        check,
        refused
          ? `${baseUrl} refused the API key (${(error as CodatApiError).status}): store a current key from ` +
              'the Codat portal (Developers > API keys) in CodatApiKeySecretArn'
          : `GET ${baseUrl}/webhooks failed: ${describe(error)}`,
      ),
    );
  }
  report(consumerLine(consumersOf(consumers, webhookUrl), consumers.length, webhookUrl));
}

function consumerLine(ours: WebhookConsumer[], total: number, webhookUrl: string): CheckLine {
  const check = 'webhook consumer';
  const events = REQUIRED_EVENT_TYPES.join(', ');
  if (ours.length === 0) {
    return fail(
      check,
      `the provider lists no consumer for ${webhookUrl} (${total} for other URLs): in the Codat portal ` +
        `(Settings > Webhooks) add an endpoint with this URL, subscribed to ${events}, and store its signing secret`,
    );
  }
  const enabled = ours.filter((consumer) => !consumer.disabled);
  if (enabled.length === 0) {
    return fail(
      check,
      `the consumer for ${webhookUrl} (${ours.map((consumer) => consumer.id).join(', ')}) is disabled: the ` +
        'provider disables an endpoint after 5 days of failed deliveries. Enable it in the Codat portal ' +
        '(Settings > Webhooks), then recover what it missed (see the runbook) or start a reconciliation',
    );
  }
  const missing = (consumer: WebhookConsumer) =>
    REQUIRED_EVENT_TYPES.filter((type) => !(consumer.eventTypes ?? []).includes(type));
  const best = [...enabled].sort((a, b) => missing(a).length - missing(b).length)[0] as WebhookConsumer;
  const lacking = missing(best);
  if (lacking.length > 0) {
    return fail(
      check,
      `the consumer ${best.id} for ${webhookUrl} is not subscribed to ${lacking.join(', ')}: add them to the ` +
        'endpoint in the Codat portal (Settings > Webhooks); through the API a consumer cannot be changed, ' +
        'only deleted and created again, with a new signing secret',
    );
  }
  const tags = best.companyTags?.length ? ` (only companies tagged ${best.companyTags.join(', ')})` : '';
  return ok(check, `the consumer ${best.id} for ${webhookUrl} is enabled and subscribed to ${events}${tags}`);
}

/**
 * 5. An alarm's notification reaches the alarm topic: one of the stack's alarms that notifies it,
 * in OK (never one that is firing) is set to ALARM, its history is read for the SNS action's
 * outcome, and it is set back.
 */
async function checkAlarmNotification(
  input: VerifyInput,
  outputs: StackOutputs,
  report: Report,
): Promise<void> {
  const check = 'alarm notification';
  const topicArn = outputs.AlarmTopicArn;
  if (!topicArn) return void report(missingOutput(check, 'AlarmTopicArn', input.stackName));
  let alarms: AlarmSummary[];
  try {
    alarms = await input.stack.alarms(`${input.stackName}-`);
  } catch (error) {
    return void report(
      fail(
        check,
        `could not list the alarms: ${describe(error)}. Your credentials need cloudwatch:DescribeAlarms`,
      ),
    );
  }
  const notifying = alarms.filter((alarm) => alarm.alarmActions.includes(topicArn));
  if (notifying.length === 0) {
    return void report(
      fail(
        check,
        `no alarm named ${input.stackName}-… notifies ${topicArn}: deploy this version of the project`,
      ),
    );
  }
  const quiet = notifying
    .filter((alarm) => alarm.state !== 'ALARM')
    .sort((a, b) => Number(b.state === 'OK') - Number(a.state === 'OK') || a.name.localeCompare(b.name));
  const alarm = quiet[0];
  if (!alarm) {
    return void report(
      fail(
        check,
        `every alarm that notifies ${topicArn} is in ALARM now (${notifying.map((each) => each.name).join(', ')}): ` +
          'see the runbook for them, and run this again once one is back to OK',
      ),
    );
  }
  report(await testAlarm(input, alarm, topicArn));
}

async function testAlarm(input: VerifyInput, alarm: AlarmSummary, topicArn: string): Promise<CheckLine> {
  const check = 'alarm notification';
  const { pollMs, timeoutMs } = input.alarmWait ?? { pollMs: 2000, timeoutMs: 90_000 };
  const sleep = input.sleep ?? ((ms: number) => delay(ms));
  const now = input.now ?? (() => new Date());
  // The items there before the test are not ours: what appears after it is, whatever this
  // machine's clock says (an hour of history either side of it covers any sane skew).
  const since = new Date(now().getTime() - 3_600_000);
  const key = (record: AlarmActionRecord) => `${record.timestamp.getTime()} ${record.summary}`;
  let before: Set<string>;
  try {
    before = new Set((await input.stack.alarmActions(alarm.name, since)).map(key));
  } catch (error) {
    return fail(
      check,
      `could not read the history of ${alarm.name}: ${describe(error)}. Your credentials need cloudwatch:DescribeAlarmHistory`,
    );
  }
  const mails =
    alarm.state === 'OK' && alarm.okActions.includes(topicArn)
      ? "the topic's subscribers get one test ALARM notification, and an OK one as it is set back"
      : "the topic's subscribers get one test ALARM notification";
  try {
    await input.stack.setAlarmState(
      alarm.name,
      'ALARM',
      'npm run verify-deploy: a test of the alarm notification; set back at once',
    );
  } catch (error) {
    return fail(
      check,
      `could not set ${alarm.name} to ALARM: ${describe(error)}. Your credentials need cloudwatch:SetAlarmState`,
    );
  }
  let outcome: AlarmActionRecord | undefined;
  let problem: string | undefined;
  try {
    for (const started = Date.now(); ; ) {
      const records = await input.stack.alarmActions(alarm.name, since);
      outcome = records.find(
        (record) => !before.has(key(record)) && (record.resource ?? record.summary).includes(topicArn),
      );
      if (outcome || Date.now() - started >= timeoutMs) break;
      await sleep(pollMs);
    }
  } catch (error) {
    problem = `could not read the history of ${alarm.name}: ${describe(error)}. Your credentials need cloudwatch:DescribeAlarmHistory`;
  } finally {
    await input.stack
      .setAlarmState(alarm.name, alarm.state, 'npm run verify-deploy: the test is over')
      .catch((error: unknown) => {
        problem = `${problem ? `${problem}; ` : ''}could not set ${alarm.name} back to ${alarm.state} (${describe(error)}): it returns at its next evaluation`;
      });
  }
  if (problem) return fail(check, problem);
  if (!outcome) {
    return fail(
      check,
      `${alarm.name} was set to ALARM, but its history shows no action for ${topicArn} within ` +
        `${Math.round(timeoutMs / 1000)} s: check the alarm's actions are enabled (aws cloudwatch enable-alarm-actions ` +
        `--alarm-names ${alarm.name})`,
    );
  }
  const succeeded = outcome.actionState === 'Succeeded' || /^Successfully executed/i.test(outcome.summary);
  if (succeeded) return ok(check, `${alarm.name} notified ${topicArn} (${outcome.summary}); ${mails}`);
  const reason = outcome.error ?? outcome.summary;
  if (/not authorized to perform:?\s*SNS:Publish/i.test(reason)) {
    return fail(
      check,
      `CloudWatch may not publish to ${topicArn}: ${reason}. Every alarm of the stack is silent: the topic's ` +
        'policy must allow cloudwatch.amazonaws.com sns:Publish (deploy a version with that fix, or add the ' +
        'statement to the topic policy)',
    );
  }
  return fail(check, `${alarm.name} failed to notify ${topicArn}: ${reason}`);
}

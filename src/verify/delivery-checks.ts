import { randomUUID } from 'node:crypto';
import { signDelivery } from '../webhook/sign';
import type { CheckLine, Report, VerifyInput } from './check-line';
import { describe, fail, missingOutput, ok } from './check-line';
import type { HttpAnswer, StackOutputs } from './deployed-stack';
import {
  TEST_COMPANY_ID,
  TEST_CONNECTION_ID,
  testCompanyDeletedEvent,
  testConnectionEvent,
} from './test-events';

/** The read API's URL of the test connection, from the `ReadApiUrl` output's template. */
function testConnectionUrl(readApiUrl: string, query = ''): string | undefined {
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
  if (answer.status === 503) {
    return 'see "Every answer the endpoint gives" in docs/reference.md and the runbook in docs/operating.md';
  }
  return 'see the function log group (LogGroupName output) and the runbook in docs/operating.md';
}

const READ_API_ACCESS =
  'your credentials need execute-api:Invoke on arn:aws:execute-api:<region>:<account>:<api id>/$default/GET/companies/*';

function readAdvice(answer: HttpAnswer): string {
  if (answer.status === 403) return `${READ_API_ACCESS} (see "The read API" in docs/reference.md)`;
  return 'see the read function in the dashboard and the runbook in docs/operating.md';
}

/**
 * 3. A signed test delivery answers 200 and reads back through the read API (SigV4); then a
 * signed `company.deleted` for the test company tombstones it, and the read API shows that too.
 */
export async function checkTestDelivery(
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

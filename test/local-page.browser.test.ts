import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { LocalChangeEvent } from '../local/change-stream';
import { sampleEvent } from '../local/sample-events';
import { type LocalServer, startLocalServer } from '../local/server';
import type { ConnectionChangeDetail } from '../src/events/change-event';
import { type Browser, describeInChromium, launchChromium } from './support/chromium';
import { postSigned, testSecret } from './support/signed-request';

const secret = testSecret();
const HISTORY_PATH = /^\/companies\/([^/]+)\/connections\/([^/]+)\/history$/;
/** How long the page waits between reads in these tests (its own default is 3 s). */
const REFRESH_MS = 250;

let server: LocalServer;
let front: Server;
let frontUrl: string;
let browser: Browser;
/** Whether the local server has the history route of its own (issue 19, point 2). */
let realHistory: boolean;
/** Set by a test to make the front answer every history path as a server without the route. */
let historyMissing = false;

async function send(event: ReturnType<typeof sampleEvent>) {
  const answer = await postSigned(server.webhookUrl, secret, JSON.stringify(event));
  expect(answer.json).toMatchObject({ result: 'applied' });
  await server.changeEventsSettled();
}

/**
 * STAND-IN, used only while the local server has no history route of its own: an answer of
 * `GET /companies/{companyId}/connections/{connectionId}/history` as its contract has it (newest
 * first, with the time spent in each status), made of the local change events, which carry each
 * applied change's statuses and cause. Once the real route is there the front passes history
 * paths through to it, this is never called, and it should be deleted.
 */
async function standInHistory(companyId: string, connectionId: string) {
  const { events } = (await (await fetch(`${server.url}/events`)).json()) as { events: LocalChangeEvent[] };
  const details = events
    .map((event) => event.detail as unknown as ConnectionChangeDetail)
    .filter((detail) => detail.companyId === companyId && detail.connectionId === connectionId);
  const timeInStatus: Record<string, number> = {};
  details.slice(1).forEach((detail, index) => {
    const before = details[index] as ConnectionChangeDetail;
    const spent = Date.parse(detail.cause.generatedDate) - Date.parse(before.cause.generatedDate);
    timeInStatus[before.status] = (timeInStatus[before.status] ?? 0) + spent;
  });
  const changes = details.reverse().map(({ cause, ...detail }) => ({
    orderKey: cause.order,
    at: cause.generatedDate,
    ...(detail.previousStatus ? { previousStatus: detail.previousStatus } : {}),
    status: detail.status,
    cause: {
      type: cause.eventType.startsWith('reconcile.')
        ? 'reconcile'
        : cause.eventType === 'company.deleted'
          ? 'company.deleted'
          : 'webhook',
      eventId: cause.eventId,
      eventType: cause.eventType,
      generatedDate: cause.generatedDate,
    },
    errors: detail.dataConnectionErrors ?? [],
    deleted: detail.deleted,
  }));
  return { companyId, connectionId, changes, timeInStatus };
}

/** The page's server: the local server, with the history route answered as the test asks. */
async function startFront(): Promise<Server> {
  const listening = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const history = HISTORY_PATH.exec(path);
    const answer = async (): Promise<{ status: number; type: string; body: string }> => {
      if (history && historyMissing) {
        return { status: 404, type: 'application/json', body: JSON.stringify({ error: 'not found' }) };
      }
      if (history && !realHistory) {
        const [, companyId, connectionId] = history.map((part) => decodeURIComponent(part));
        const body = await standInHistory(companyId as string, connectionId as string);
        return { status: 200, type: 'application/json', body: JSON.stringify(body) };
      }
      const passed = await fetch(`${server.url}${request.url}`, { method: request.method });
      return {
        status: passed.status,
        type: passed.headers.get('content-type') ?? '',
        body: await passed.text(),
      };
    };
    answer().then(
      ({ status, type, body }) => response.writeHead(status, { 'content-type': type }).end(body),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((done) => listening.listen(0, '127.0.0.1', done));
  return listening;
}

/** A fresh page of the local page, failing the test on any error of its script. */
async function openPage(): Promise<{ page: Page; errors: Error[] }> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(5_000);
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${frontUrl}/?refresh=${REFRESH_MS}`);
  return { page, errors };
}

const company = (page: Page, companyId: string) =>
  page.locator(`[data-testid="company"][data-company-id="${companyId}"]`);
const connectionRow = (page: Page, connectionId: string) =>
  page.locator(`[data-testid="connection"][data-connection-id="${connectionId}"]`);

describeInChromium()('the local page, in Chromium', () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startLocalServer({ port: 0, signingSecret: secret }),
      launchChromium(),
    ]);
    const probe = await fetch(`${server.url}/companies/probe/connections/probe/history`);
    realHistory = !(
      probe.status === 404 && ((await probe.json()) as { error?: string }).error === 'not found'
    );
    front = await startFront();
    frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    front?.closeAllConnections();
    await new Promise((done) => front?.close(done));
    await server?.close();
  });

  afterEach(async () => {
    historyMissing = false;
    for (const page of browser.context.pages()) await page.close();
  });

  it('shows each company with its connections and their statuses', async () => {
    const companyId = randomUUID();
    const [linked, pending] = [randomUUID(), randomUUID()];
    await send(sampleEvent({ eventType: 'connection.connected', companyId, connectionId: linked }));
    await send(sampleEvent({ eventType: 'connection.created', companyId, connectionId: pending }));

    const { page, errors } = await openPage();
    await company(page, companyId).waitFor();

    expect(await company(page, companyId).getByTestId('company-name').textContent()).toBe('Toft stores');
    expect(await connectionRow(page, linked).getByTestId('connection-status').textContent()).toBe('Linked');
    expect(await connectionRow(page, pending).getByTestId('connection-status').textContent()).toBe(
      'PendingAuth',
    );
    expect(errors).toEqual([]);
  });

  it("opens a connection's history on a click: its changes newest first, and the time in each status", async () => {
    const key = { companyId: randomUUID(), connectionId: randomUUID() };
    const steps = [
      ['connection.connected', 'Linked', '10:00'],
      ['connection.disconnected', 'Deauthorized', '11:00'],
      ['connection.reconnected', 'Linked', '12:00'],
    ] as const;
    for (const [eventType, status, at] of steps) {
      await send(sampleEvent({ eventType, ...key, status, generatedDate: `2026-11-28T${at}:00Z` }));
    }
    const { page, errors } = await openPage();

    await connectionRow(page, key.connectionId).getByRole('button', { name: 'History' }).click();
    const changes = page.getByTestId('history').getByTestId('history-change');
    await changes.nth(2).waitFor();

    expect(await changes.getByTestId('change-status').allTextContents()).toEqual([
      'Linked',
      'Deauthorized',
      'Linked',
    ]);
    expect(await changes.first().getByTestId('change-statuses').textContent()).toBe('Deauthorized → Linked');
    expect(await changes.first().getByTestId('change-cause').textContent()).toContain(
      'webhook connection.reconnected',
    );
    expect(await page.getByTestId('time-in-status').textContent()).toContain('Deauthorized');
    expect(await connectionRow(page, key.connectionId).getAttribute('aria-current')).toBe('true');
    expect(errors).toEqual([]);
  });

  it('says the history is not available when the server has no history route', async () => {
    const key = { companyId: randomUUID(), connectionId: randomUUID() };
    await send(sampleEvent({ eventType: 'connection.connected', ...key }));
    historyMissing = true;
    const { page, errors } = await openPage();

    await connectionRow(page, key.connectionId).getByRole('button', { name: 'History' }).click();
    const message = page.getByTestId('history').getByTestId('history-message');
    await message.waitFor();

    expect(await message.textContent()).toBe('History not available: this server has no history route.');
    expect(errors).toEqual([]);
  });

  it('shows the latest change events, newest first', async () => {
    const key = { companyId: randomUUID(), connectionId: randomUUID() };
    await send(sampleEvent({ eventType: 'connection.connected', ...key }));
    await send(sampleEvent({ eventType: 'connection.disconnected', ...key }));

    const { page, errors } = await openPage();
    const events = page.locator(`[data-testid="event"][data-connection-id="${key.connectionId}"]`);
    await events.nth(1).waitFor();

    expect(await events.getByTestId('event-status').allTextContents()).toEqual(['Unlinked', 'Linked']);
    expect(await page.getByTestId('event').first().getAttribute('data-connection-id')).toBe(key.connectionId);
    expect(errors).toEqual([]);
  });

  it('shows a new webhook on its own, without a reload', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('refreshed-at').and(page.locator('[datetime]')).waitFor();
    await page.evaluate(() => {
      (globalThis as { loadedOnce?: boolean }).loadedOnce = true;
    });
    const key = { companyId: randomUUID(), connectionId: randomUUID() };

    await send(sampleEvent({ eventType: 'connection.connected', ...key }));

    await connectionRow(page, key.connectionId).waitFor();
    await page.locator(`[data-testid="event"][data-connection-id="${key.connectionId}"]`).waitFor();
    expect(await page.evaluate(() => (globalThis as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    expect(errors).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { type FakeCodatApi, startFakeCodatApi } from '../local/fake-codat-api/server';
import { sampleEvent } from '../local/sample-events';
import { type LocalServer, startLocalServer } from '../local/server';
import { LOCAL_RECONCILE_PATH, type LocalWalkSettings } from '../local/walk';
import { type Browser, describeInChromium, launchChromium } from './support/chromium';
import { postSigned, testSecret } from './support/signed-request';

const secret = testSecret();
/** How long the page waits between reads in these tests (its own default is 3 s). */
const REFRESH_MS = 250;

let server: LocalServer;
let browser: Browser;
let fake: FakeCodatApi;

/** A reconcile walk of the fake API inside the server, as `npm run reconcile` asks for one. */
async function walk() {
  const settings: LocalWalkSettings = {
    apiKey: fake.apiKey,
    apiUrl: fake.url,
    pageSize: 100,
    lagMinutes: 5,
    pageBudgetSeconds: 10,
    timeBudgetMinutes: 1,
    concurrency: 4,
    tombstoneTtlDays: 30,
    dryRun: false,
  };
  const answer = await fetch(`${server.url}${LOCAL_RECONCILE_PATH}`, {
    method: 'POST',
    body: JSON.stringify(settings),
  });
  expect(answer.status).toBe(200);
  await server.changeEventsSettled();
}

async function send(event: ReturnType<typeof sampleEvent>) {
  const answer = await postSigned(server.webhookUrl, secret, JSON.stringify(event));
  expect(answer.json).toMatchObject({ result: 'applied' });
  await server.changeEventsSettled();
}

/** A fresh page of the local page, failing the test on any error of its script. */
async function openPage(): Promise<{ page: Page; errors: Error[] }> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(5_000);
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  await page.goto(`${server.url}/?refresh=${REFRESH_MS}`);
  return { page, errors };
}

const company = (page: Page, companyId: string) =>
  page.locator(`[data-testid="company"][data-company-id="${companyId}"]`);
const connectionRow = (page: Page, connectionId: string) =>
  page.locator(`[data-testid="connection"][data-connection-id="${connectionId}"]`);

describeInChromium()('the local page, in Chromium', () => {
  beforeAll(async () => {
    [server, browser, fake] = await Promise.all([
      startLocalServer({ port: 0, signingSecret: secret }),
      launchChromium(),
      startFakeCodatApi({ accountOptions: { companies: 0 } }),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await fake?.close();
    await server?.close();
  });

  afterEach(async () => {
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

  it("opens a connection's history on a click: webhook and walk changes newest first, and the time in each status", async () => {
    const key = { companyId: randomUUID(), connectionId: randomUUID() };
    const steps = [
      ['connection.connected', 'Linked', '10:00'],
      ['connection.disconnected', 'Deauthorized', '11:00'],
      ['connection.reconnected', 'Linked', '12:00'],
    ] as const;
    for (const [eventType, status, at] of steps) {
      await send(sampleEvent({ eventType, ...key, status, generatedDate: `2026-11-28T${at}:00Z` }));
    }
    fake.account.addCompany({ id: key.companyId, name: 'Toft stores' });
    fake.account.addConnection(key.companyId, { id: key.connectionId, status: 'Unlinked' });
    await walk();
    const { page, errors } = await openPage();

    await connectionRow(page, key.connectionId).getByRole('button', { name: 'History' }).click();
    const changes = page.getByTestId('history').getByTestId('history-change');
    await changes.nth(3).waitFor();

    expect(await changes.getByTestId('change-status').allTextContents()).toEqual([
      'Unlinked',
      'Linked',
      'Deauthorized',
      'Linked',
    ]);
    expect(await changes.first().getByTestId('change-statuses').textContent()).toBe('Linked → Unlinked');
    expect(await changes.first().getByTestId('change-cause').textContent()).toMatch(
      /^reconcile\.observed \(walk cli-\S+\)$/,
    );
    expect(await changes.nth(1).getByTestId('change-cause').textContent()).toMatch(
      /^connection\.reconnected \(event [0-9a-f-]{36}\)$/,
    );
    expect(await page.getByTestId('time-in-status').textContent()).toContain('Deauthorized');
    expect(await connectionRow(page, key.connectionId).getAttribute('aria-current')).toBe('true');
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

  it('adds a new change to the open history on its own, newest first', async () => {
    const key = { companyId: randomUUID(), connectionId: randomUUID() };
    await send(sampleEvent({ eventType: 'connection.connected', ...key }));
    const { page, errors } = await openPage();
    await connectionRow(page, key.connectionId).getByRole('button', { name: 'History' }).click();
    const changes = page.getByTestId('history').getByTestId('history-change');
    await changes.first().waitFor();

    await send(sampleEvent({ eventType: 'connection.disconnected', ...key, status: 'Deauthorized' }));

    await changes.nth(1).waitFor();
    expect(await changes.getByTestId('change-status').allTextContents()).toEqual(['Deauthorized', 'Linked']);
    expect(errors).toEqual([]);
  });
});

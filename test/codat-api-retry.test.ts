import type { FakeCodatApi } from '../local/fake-codat-api/server';
import { DEFAULT_RETRY_POLICY } from '../src/defaults';
import { RequestFailedError } from '../src/errors';
import type { CodatApi, CodatApiOptions } from '../src/reconcile/codat-api';
import { backoffMs, retryAfterMs } from '../src/reconcile/retry';
import { allPages, apiAndClient, type FakeTime } from './support/codat-api';

let fake: FakeCodatApi;
let client: CodatApi;
let time: FakeTime;
/** 30 companies in pages of 10: three pages. */
const PAGE_SIZE = 10;

async function start(
  retry: Partial<typeof DEFAULT_RETRY_POLICY> = {},
  environment = {},
  options: Partial<CodatApiOptions> = {},
) {
  ({ fake, client, time } = await apiAndClient(
    { accountOptions: { companies: 30, connectionsPerCompany: 1 } },
    { retry, environment, ...options },
  ));
}

afterEach(async () => {
  await fake.close();
});

describe('retries against the fake API', () => {
  it('waits as long as Retry-After says after a 429, then reads the page', async () => {
    await start();
    fake.faults.throttle({ times: 2, retryAfter: 7 });

    const pages = await allPages(client, PAGE_SIZE);

    expect(pages).toHaveLength(3);
    expect(time.sleeps).toEqual([7000, 7000]);
    expect(client.stats).toMatchObject({ requests: 5, retries: 2, throttles: 2 });
  });

  it('reads Retry-After given as an HTTP date', async () => {
    await start();
    fake.faults.throttle({ times: 1, retryAfter: new Date(time.now() + 30_000).toUTCString() });

    await allPages(client, PAGE_SIZE);

    expect(time.sleeps).toEqual([30_000]);
  });

  it('backs off with jitter on 5xx and reads the page once the server recovers', async () => {
    await start();
    fake.faults.fail({ status: 503, times: 3, match: { path: '/companies', page: 2 } });

    const pages = await allPages(client, PAGE_SIZE);

    expect(pages.map((page) => page.pageNumber)).toEqual([1, 2, 3]);
    // Full jitter with the random source fixed at a half: half of 500, 1000 and 2000 ms.
    expect(time.sleeps).toEqual([250, 500, 1000]);
    expect(client.stats).toMatchObject({ retries: 3, throttles: 0 });
  });

  it('gives up on a page that keeps failing once its budget is spent, naming the page and the last status', async () => {
    await start({ budgetMs: 10_000 });
    fake.faults.fail({ match: { path: '/companies', page: 2 } });
    const seen: number[] = [];

    const walk = (async () => {
      for await (const page of client.companyPages({ pageSize: PAGE_SIZE })) seen.push(page.pageNumber);
    })();

    await expect(walk).rejects.toThrow(RequestFailedError);
    await expect(walk).rejects.toMatchObject({ page: 2, lastStatus: 500 });
    await expect(walk).rejects.toThrow(/companies\?page=2&pageSize=10 \(page 2\) failed after \d+ attempt/);
    expect(seen).toEqual([1]);
    expect(time.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(10_000);
  });

  it('fails at once rather than sleeping past the budget when Retry-After is longer than what is left', async () => {
    await start({ budgetMs: 60_000 });
    fake.faults.throttle({ times: 1, retryAfter: 3600 });

    await expect(allPages(client, PAGE_SIZE)).rejects.toMatchObject({ lastStatus: 429, attempts: 1 });
    expect(time.sleeps).toEqual([]);
  });

  it('retries an answer slower than the attempt timeout', async () => {
    // The first answer is held a minute (the fake stops holding it when the client hangs up),
    // far past the attempt timeout; the other answers take milliseconds, far inside it even on
    // a loaded machine, so that the one retry is the held answer's. Without the timeout the
    // test would outlast its own 30 s.
    await start({ attemptTimeoutMs: 2000 });
    fake.faults.slow({ delayMs: 60_000, times: 1, match: { path: '/companies', page: 1 } });

    const pages = await allPages(client, PAGE_SIZE);

    expect(pages).toHaveLength(3);
    expect(client.stats).toMatchObject({ requests: 4, retries: 1 });
  });

  it('retries a network error', async () => {
    let refused = 0;
    await start(
      {},
      {
        fetch: async (input: string | URL | Request, init?: RequestInit) => {
          if (refused++ === 0) throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
          return fetch(input, init);
        },
      },
    );

    const pages = await allPages(client, PAGE_SIZE);

    expect(pages).toHaveLength(3);
    expect(client.stats).toMatchObject({ retries: 1, requests: 4 });
  });

  it('waits for the next minute when the per-minute request limit is reached', async () => {
    await start();
    fake.faults.limitPerMinute(2);
    const secondsLeftInMinute = 60 - new Date(time.now()).getUTCSeconds();

    const pages = await allPages(client, PAGE_SIZE);

    expect(pages).toHaveLength(3);
    expect(time.sleeps).toEqual([secondsLeftInMinute * 1000]);
    expect(fake.log.entries.map((entry) => entry.status)).toEqual([200, 200, 429, 200]);
  });
});

describe('a deadline from outside the call', () => {
  // A Lambda function's timeout: no call's retries may outlive it, whatever its own budget.
  const START = Date.UTC(2026, 0, 1);

  it('stops retrying at the deadline it is given, long before its own budget', async () => {
    await start({ budgetMs: 180_000 }, {}, { deadline: START + 50_000 });
    fake.faults.fail({ status: 503, match: { path: '/webhooks' } });

    const call = client.listWebhookConsumers();

    await expect(call).rejects.toThrow(RequestFailedError);
    await expect(call).rejects.toThrow(/status 503.*the deadline it was given/);
    expect(time.now()).toBeLessThanOrEqual(START + 50_000);
  });

  it('sends no request once the deadline has passed, and says so', async () => {
    await start({}, {}, { deadline: START - 1 });

    const call = client.getCompany('any-company');

    await expect(call).rejects.toMatchObject({ attempts: 0 });
    await expect(call).rejects.toThrow(/no time was left before the deadline it was given/);
    expect(fake.log.entries).toHaveLength(0);
  });

  it('keeps its own budget when the deadline is further away', async () => {
    await start({ budgetMs: 10_000 }, {}, { deadline: START + 3_600_000 });
    fake.faults.fail({ match: { path: '/webhooks' } });

    await expect(client.listWebhookConsumers()).rejects.toThrow(/budget 10000 ms/);
    expect(time.now()).toBeLessThanOrEqual(START + 10_000);
  });
});

describe('the wait rules', () => {
  it('reads Retry-After as seconds or an HTTP date, and ignores what it cannot read', () => {
    const now = Date.UTC(2026, 0, 1);

    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(retryAfterMs(new Date(now - 5000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('doubles the backoff ceiling each attempt up to its maximum', () => {
    const ceilings = [1, 2, 3, 8, 20].map((attempt) =>
      backoffMs(attempt, DEFAULT_RETRY_POLICY, () => 0.999_999),
    );

    expect(ceilings).toEqual([499, 999, 1999, 29_999, 29_999]);
  });
});

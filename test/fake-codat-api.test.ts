import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FakeAccount } from '../local/fake-codat-api/account';
import { type FakeCodatApi, startFakeCodatApi } from '../local/fake-codat-api/server';
import { CONNECTION_STATUSES, SOURCE_TYPES } from '../src/connection/schema';

let fake: FakeCodatApi;

beforeAll(async () => {
  fake = await startFakeCodatApi({
    accountOptions: { companies: 10, connectionsPerCompany: 2 },
    apiKey: 'key',
  });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.faults.clear();
  fake.log.clear();
});

async function get(path: string, authorization = fake.authorization) {
  const response = await fetch(`${fake.url}${path}`, { headers: { authorization } });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

describe('the fake account', () => {
  it('is the same account for the same seed and another for another seed', () => {
    const ids = (seed: number) =>
      new FakeAccount({ companies: 3, seed }).companies.map((company) => company.id);

    expect(ids(7)).toEqual(ids(7));
    expect(ids(7)).not.toEqual(ids(8));
  });

  it('spreads connections over every status and source type', () => {
    const connections = fake.account.companies.flatMap((company) => company.dataConnections);

    expect(new Set(connections.map((connection) => connection.status))).toEqual(new Set(CONNECTION_STATUSES));
    expect(new Set(connections.map((connection) => connection.sourceType))).toEqual(new Set(SOURCE_TYPES));
  });
});

describe('the fake Codat API', () => {
  it('answers 401 with the provider’s error body without Basic auth of the API key', async () => {
    const plain = await get('/companies', 'Basic key');

    expect(plain.status).toBe(401);
    expect(plain.json).toMatchObject({ statusCode: 401, service: 'PublicApi', error: 'Unauthorized' });
    expect(plain.json.correlationId).toEqual(expect.any(String));
  });

  it('pages from 1 with HAL links to the next and previous pages', async () => {
    const middle = await get('/companies?page=2&pageSize=3');

    expect(middle.json).toMatchObject({
      pageNumber: 2,
      pageSize: 3,
      totalResults: 10,
      _links: {
        self: { href: '/companies' },
        current: { href: '/companies?page=2&pageSize=3' },
        next: { href: '/companies?page=3&pageSize=3' },
        previous: { href: '/companies?page=1&pageSize=3' },
      },
    });
    const last = await get('/companies?page=4&pageSize=3');
    expect((last.json.results as unknown[]).length).toBe(1);
    expect(last.json._links).not.toHaveProperty('next');
  });

  it('defaults to pages of 100 and refuses a page size over 5000 or a page 0', async () => {
    expect((await get('/companies')).json).toMatchObject({ pageNumber: 1, pageSize: 100 });
    expect((await get('/companies?pageSize=5001')).status).toBe(400);
    expect((await get('/companies?page=0')).status).toBe(400);
  });

  it('answers 404 for a deleted connection and for the connections of a deleted company', async () => {
    const account = new FakeAccount({ companies: 2, connectionsPerCompany: 1 });
    const own = await startFakeCodatApi({ account });
    const [first, second] = account.companies;
    account.deleteConnection(first?.id ?? '', first?.dataConnections[0]?.id ?? '');
    const goneConnection = `/companies/${first?.id}/connections/${first?.dataConnections[0]?.id ?? 'x'}`;
    account.deleteCompany(second?.id ?? '');

    const connection = await fetch(`${own.url}${goneConnection}`, {
      headers: { authorization: own.authorization },
    });
    const connections = await fetch(`${own.url}/companies/${second?.id}/connections`, {
      headers: { authorization: own.authorization },
    });
    await own.close();

    expect(connection.status).toBe(404);
    expect(connections.status).toBe(404);
    expect(await connections.json()).toMatchObject({ statusCode: 404, service: 'ClientsApi' });
  });

  it('puts the rate-limit headers on every answer, errors included', async () => {
    fake.faults.throttle({ times: 1, retryAfter: 3 });

    const throttled = await get('/companies');
    const unauthorized = await get('/companies', 'Basic nope');

    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    for (const { headers } of [throttled, unauthorized]) {
      expect(headers.get('x-rate-limit-limit')).toBe('11000');
      expect(Number(headers.get('x-rate-limit-remaining'))).toBeGreaterThan(0);
      expect(headers.get('x-rate-limit-reset')).toMatch(/^\d{4}-\d\d-\d\dT00:00:00\.000Z$/);
    }
  });

  it('fails a given page as often as told, then answers it', async () => {
    fake.faults.fail({ status: 502, times: 2, match: { path: '/companies', page: 2 } });

    const statuses = [];
    for (const path of ['/companies?page=1', '/companies?page=2', '/companies?page=2', '/companies?page=2']) {
      statuses.push((await get(path)).status);
    }

    expect(statuses).toEqual([200, 502, 502, 200]);
    expect(fake.log.byPath()).toEqual({ '/companies': 4 });
  });

  it('misbehaves as told: shifted pages, a page served for every page, an understated total, oversize pages', async () => {
    const ids = (body: Record<string, unknown>) => (body.results as { id: string }[]).map((item) => item.id);
    const all = fake.account.companies.map((company) => company.id);
    fake.faults.shiftPages({ by: -1, times: 1, match: { path: '/companies', page: 2 } });
    fake.faults.servePage({ page: 1, times: 1, match: { path: '/companies', page: 3 } });
    fake.faults.understateTotal({ total: 2, times: 1, match: { path: '/companies', page: 4 } });
    fake.faults.oversizePages({ factor: 2, times: 1, match: { path: '/companies', page: 5 } });

    const shifted = await get('/companies?page=2&pageSize=3');
    const stuck = await get('/companies?page=3&pageSize=3');
    const understated = await get('/companies?page=4&pageSize=3');
    const oversize = await get('/companies?page=5&pageSize=1');
    const honest = await get('/companies?page=2&pageSize=3');

    expect(ids(shifted.json)).toEqual(all.slice(2, 5));
    expect(stuck.json).toMatchObject({
      pageNumber: 1,
      _links: { next: { href: '/companies?page=2&pageSize=3' } },
    });
    expect(ids(stuck.json)).toEqual(all.slice(0, 3));
    expect(understated.json).toMatchObject({ totalResults: 2, pageNumber: 4 });
    expect(oversize.json).toMatchObject({ pageSize: 2, pageNumber: 5 });
    expect(ids(oversize.json)).toEqual(all.slice(4, 6));
    expect(ids(honest.json)).toEqual(all.slice(3, 6));
  });

  it('serves the webhook consumers with their disabled flag', async () => {
    const consumers = await get('/webhooks');

    expect(consumers.json.results).toEqual([expect.objectContaining({ disabled: false })]);
  });
});

describe('npm run fake-codat', () => {
  it('prints its options and exits 0 with --help', async () => {
    const run = await promisify(execFile)('node_modules/.bin/tsx', ['local/fake-codat-api/cli.ts', '--help']);

    expect(run.stdout).toContain('--connections-per-company');
    expect(run.stdout).toContain('--api-key');
  });
});

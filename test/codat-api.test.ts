import type { FakeCodatApi } from '../local/fake-codat-api/server';
import { CodatApiError } from '../src/errors';
import { CodatApi } from '../src/reconcile/codat-api';
import { allPages, apiAndClient } from './support/codat-api';

let fake: FakeCodatApi;
let client: CodatApi;

beforeEach(async () => {
  ({ fake, client } = await apiAndClient({ accountOptions: { companies: 250, connectionsPerCompany: 2 } }));
});

afterEach(async () => {
  await fake.close();
});

describe('the Codat API client, against the fake API over loopback', () => {
  it('reads every company over several pages, one request a page', async () => {
    const pages = await allPages(client, 100);

    expect(pages.map((page) => page.companies.length)).toEqual([100, 100, 50]);
    expect(pages.flatMap((page) => page.companies.map((company) => company.id))).toEqual(
      fake.account.companies.map((company) => company.id),
    );
    expect(pages.every((page) => page.invalid.length === 0 && page.totalResults === 250)).toBe(true);
    expect(fake.log.count('/companies')).toBe(3);
    expect(client.stats).toMatchObject({ requests: 3, retries: 0, throttles: 0 });
  });

  it('sends the API key as Basic auth, which the API accepts', async () => {
    await client.getCompany(fake.account.companies[0]?.id ?? '');

    expect(fake.log.entries[0]?.status).toBe(200);
  });

  it('fails with the provider’s 401 message, without retrying, when the API key is wrong', async () => {
    const stranger = new CodatApi({ apiKey: 'not-the-key', baseUrl: fake.url });

    await expect(stranger.listWebhookConsumers()).rejects.toMatchObject({
      name: 'ApiKeyRefusedError',
      status: 401,
      detail: 'Unauthorized',
    });
    await expect(allPages(stranger)).rejects.toBeInstanceOf(CodatApiError);
    expect(stranger.stats.retries).toBe(0);
  });

  it('answers not found, not an error, for a deleted company', async () => {
    const company = fake.account.companies[3];
    fake.account.deleteCompany(company?.id ?? '');

    expect(await client.getCompany(company?.id ?? '')).toEqual({ found: false });
  });

  it('returns a company with its connections, the nulls the API sends included', async () => {
    const company = fake.account.companies[0];
    fake.account.changeConnection(company?.id ?? '', company?.dataConnections[0]?.id ?? '', {
      lastSync: null,
      dataConnectionErrors: null,
      connectionInfo: null,
    });

    const answer = await client.getCompany(company?.id ?? '');

    expect(answer).toMatchObject({ found: true, invalid: [] });
    if (!answer.found) throw new Error('expected the company');
    expect(answer.value.description).toBeNull();
    expect(answer.value.dataConnections).toHaveLength(2);
    expect(answer.value.dataConnections[0]).toMatchObject({ lastSync: null, dataConnectionErrors: null });
  });

  it('reports an invalid connection by its path and keeps the rest of the page', async () => {
    const company = fake.account.companies[1];
    const broken = company?.dataConnections[1];
    fake.account.changeConnection(company?.id ?? '', broken?.id ?? '', { status: 'Bogus' });

    const [first] = await allPages(client, 100);

    expect(first?.companies).toHaveLength(100);
    expect(first?.invalid).toEqual([
      {
        path: 'results[1].dataConnections[1]',
        companyId: company?.id,
        id: broken?.id,
        problems: [{ path: 'results[1].dataConnections[1].status', message: expect.any(String) }],
      },
    ]);
    expect(first?.companies[1]?.dataConnections.map((connection) => connection.id)).toEqual([
      company?.dataConnections[0]?.id,
    ]);
  });

  it('reports a company whose own fields are invalid and leaves it out of the page', async () => {
    fake.account.changeCompany(fake.account.companies[5]?.id ?? '', { name: 42 });

    const [first] = await allPages(client, 100);

    expect(first?.companies).toHaveLength(99);
    expect(first?.invalid.map((item) => item.problems[0]?.path)).toEqual(['results[5].name']);
  });

  it('lists the webhook consumers, reading a null disabled flag as enabled', async () => {
    fake.account.webhookConsumers.push({
      id: 'second',
      url: 'https://example.com/hook',
      disabled: null,
      eventTypes: [],
    });
    fake.account.webhookConsumers.push({
      id: 'third',
      url: 'https://example.com/off',
      disabled: true,
      eventTypes: [],
    });

    const { consumers, invalid } = await client.listWebhookConsumers();

    expect(invalid).toEqual([]);
    expect(consumers.map((consumer) => [consumer.id, consumer.disabled])).toEqual([
      [fake.account.webhookConsumers[0]?.id, false],
      ['second', false],
      ['third', true],
    ]);
  });

  it('refuses a page shorter than asked for rather than skip the items page numbers would jump over', async () => {
    const { fake: capping, client: asking } = await apiAndClient({
      accountOptions: { companies: 30 },
      pageSizeCap: 10,
    });

    const walk = allPages(asking, 20);

    await expect(walk).rejects.toThrow(CodatApiError);
    await expect(walk).rejects.toThrow(/asked for pages of 20, got 10 items/);
    await capping.close();
  });
});

describe('paging that defends itself, against a misbehaving fake API', () => {
  it('refuses an answer for page 1 to a request for page 2, as a cache that ignores the query gives, after two requests', async () => {
    fake.faults.servePage({ page: 1, match: { path: '/companies' } });

    const walk = allPages(client, 100);

    await expect(walk).rejects.toThrow(/page=2.*answered page 1/);
    expect(fake.log.count('/companies')).toBe(2);
  });

  it('refuses a next link that points back at the page just read', async () => {
    fake.faults.rewritePage({
      match: { path: '/companies', page: 2 },
      rewrite: (body) => ({
        ...body,
        _links: { ...body._links, next: { href: '/companies?page=2&pageSize=100' } },
      }),
    });

    await expect(allPages(client, 100)).rejects.toThrow(/page=2.*next link points back at page 2/);
    expect(fake.log.count('/companies')).toBe(2);
  });

  it('refuses a listing that runs on past its totalResults by more than a page', async () => {
    fake.faults.understateTotal({ total: 50, match: { path: '/companies' } });

    await expect(allPages(client, 25)).rejects.toThrow(/page=4.*more than a page past totalResults 50/);
    expect(fake.log.count('/companies')).toBe(4);
  });

  it('refuses a page with more items than asked for', async () => {
    fake.faults.oversizePages({ factor: 2, match: { path: '/companies' } });

    await expect(allPages(client, 100)).rejects.toThrow(/asked for pages of 100, got 200 items/);
    expect(fake.log.count('/companies')).toBe(1);
  });
});

describe('walking a large account', () => {
  it('asks for 10,000 companies one page at a time, never before the previous page is consumed', async () => {
    const { fake: big, client: walker } = await apiAndClient({
      accountOptions: { companies: 10_000, connectionsPerCompany: 2 },
    });
    const requestsWhenYielded: number[] = [];
    let companies = 0;
    let connections = 0;

    for await (const page of walker.companyPages({ pageSize: 500 })) {
      requestsWhenYielded.push(big.log.count('/companies'));
      companies += page.companies.length;
      connections += page.companies.reduce((sum, company) => sum + company.dataConnections.length, 0);
    }
    await big.close();

    expect(companies).toBe(10_000);
    expect(connections).toBe(20_000);
    expect(requestsWhenYielded).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    expect(big.log.entries.every((entry) => (entry.results ?? 0) <= 500)).toBe(true);
  });
});

import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { FakeCompany } from '../local/fake-codat-api/account';
import { walkSummary } from '../local/reconcile-summary';
import { CodatApi } from '../src/reconcile/codat-api';
import { runWalk } from '../src/reconcile/run-walk';
import { ENGINES } from './support/engines';
import { startWalkHarness, type WalkHarness } from './support/reconcile';

/**
 * The walk's invariants (src/reconcile/walk.ts), each against an API that misbehaves as real
 * APIs and proxies do, or against data the provider's contract allows and DynamoDB cannot hold.
 */

let harness: WalkHarness;

async function items() {
  const { Items = [] } = await harness.table.client.send(
    new ScanCommand({ TableName: harness.table.tableName, ConsistentRead: true }),
  );
  return Items.map((item) => unmarshall(item));
}

const company = (index: number): FakeCompany => {
  const found = harness.fake.account.companies[index];
  if (!found) throw new Error(`the account has no company ${index}`);
  return found;
};

const connectionId = (owner: FakeCompany, index: number): string => {
  const found = owner.dataConnections[index];
  if (!found) throw new Error(`company ${owner.id} has no connection ${index}`);
  return found.id;
};

/** Connection values the contract allows (`connectionInfo` is an object of any values) that DynamoDB cannot store, or that no delivery may use. */
const HOSTILE_CONNECTIONS: [string, Record<string, unknown>, RegExp][] = [
  [
    'a connectionInfo that makes the item over 400 KB',
    { connectionInfo: { blob: 'x'.repeat(410_000) } },
    /dataConnections\[0\]\.connectionInfo.*409600/,
  ],
  [
    'an empty key in connectionInfo',
    { connectionInfo: { '': 1 } },
    /dataConnections\[0\]\.connectionInfo\..*empty key/,
  ],
  [
    'a __proto__ key nested in connectionInfo',
    { connectionInfo: JSON.parse('{"a":{"__proto__":{"polluted":true}}}') },
    /dataConnections\[0\]\.connectionInfo\.a\.__proto__.*no delivery may use/,
  ],
  [
    'a __proto__ key on the connection itself',
    JSON.parse('{"__proto__":{"polluted":true}}'),
    /dataConnections\[0\]\.__proto__.*no delivery may use/,
  ],
];

describe.each(ENGINES)('a walk’s invariants, against a misbehaving fake API, on %s', (engine) => {
  beforeEach(async () => {
    harness = await startWalkHarness(
      { accountOptions: { companies: 6, connectionsPerCompany: 2 } },
      {},
      engine,
    );
  });

  afterEach(async () => {
    await harness.close();
  });

  it('leaves a skipped company’s invalid connection alone when GET /companies/{id} finds the company, and is incomplete', async () => {
    await harness.walk({ pageSize: 2 });
    const skipped = company(0);
    const invalid = connectionId(skipped, 1);
    harness.fake.account.changeConnection(skipped.id, invalid, { status: 'Bogus' });
    // The listing skips it, as page-number paging does; the company itself still answers.
    const listed = harness.fake.account.companies;
    listed.splice(listed.indexOf(skipped), 1);
    await harness.time.sleep(60_000);

    const outcome = await harness.walk({ pageSize: 2 });

    expect(outcome.complete).toBe(false);
    expect(harness.fake.log.count(`/companies/${skipped.id}`)).toBe(1);
    expect(outcome.progress.totals.tombstoned).toBe(0);
    expect(await harness.table.store.get(skipped.id, invalid)).toMatchObject({ deleted: false });
    expect(outcome.problems.join('\n')).toContain(`connection ${invalid}`);
  });

  it('keeps a connection that a later read of the same company shows, when shifted pages list the company twice', async () => {
    await harness.walk({ pageSize: 2 });
    const twice = company(1);
    const kept = connectionId(twice, 1);
    // Page 1 is read while the company lacks a connection; by page 2 the listing has shifted
    // back by one and shows the company again, with it.
    harness.fake.faults.rewritePage({
      times: 1,
      match: { path: '/companies', page: 1 },
      rewrite: (body) => ({
        ...body,
        results: body.results.map((item) =>
          item === twice
            ? { ...twice, dataConnections: twice.dataConnections.filter((c) => c.id !== kept) }
            : item,
        ),
      }),
    });
    harness.fake.faults.shiftPages({ by: -1, times: 1, match: { path: '/companies', page: 2 } });
    await harness.time.sleep(60_000);

    const outcome = await harness.walk({ pageSize: 2 });

    expect(outcome.complete).toBe(true);
    expect(outcome.progress.totals.tombstoned).toBe(0);
    expect(await harness.table.store.get(twice.id, kept)).toMatchObject({ deleted: false });
  });

  it('keeps a connection that an earlier read of the same company showed, when a later read lacks it', async () => {
    await harness.walk({ pageSize: 2 });
    const twice = company(1);
    const kept = connectionId(twice, 1);
    harness.fake.faults.rewritePage({
      times: 1,
      match: { path: '/companies', page: 2 },
      rewrite: (body, { items }) => ({
        ...body,
        results: [
          { ...twice, dataConnections: twice.dataConnections.filter((c) => c.id !== kept) },
          items[2],
        ],
      }),
    });
    await harness.time.sleep(60_000);

    const outcome = await harness.walk({ pageSize: 2 });

    expect(outcome.progress.totals.tombstoned).toBe(0);
    expect(await harness.table.store.get(twice.id, kept)).toMatchObject({ deleted: false });
  });

  it.each(HOSTILE_CONNECTIONS)(
    'names a connection with %s, stores every other connection, and deletes nothing',
    async (_name, fields, named) => {
      await harness.walk({ pageSize: 2 });
      const owner = company(1);
      const hostile = connectionId(owner, 0);
      // Defined, not assigned: assigning `__proto__` would set the object's prototype instead.
      const target = harness.fake.account.connection(owner.id, hostile) ?? {};
      for (const [key, value] of Object.entries(fields)) {
        Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
      }
      const gone = connectionId(company(4), 1);
      harness.fake.account.deleteConnection(company(4).id, gone);
      const added = harness.fake.account.addConnection(company(5).id);
      await harness.time.sleep(60_000);

      const outcome = await harness.walk({ pageSize: 2 });

      expect(outcome.complete).toBe(false);
      expect(outcome.progress.totals.tombstoned).toBe(0);
      expect(await harness.table.store.get(company(5).id, added.id)).toMatchObject({ deleted: false });
      expect(await harness.table.store.get(company(4).id, gone)).toMatchObject({ deleted: false });
      const problems = outcome.problems.join('\n');
      expect(problems).toMatch(
        new RegExp(
          `page 1: results\\[1\\]\\.dataConnections\\[0\\] \\(company ${owner.id}, connection ${hostile}\\)`,
        ),
      );
      expect(problems).toMatch(named);
      expect((await items()).some((item) => 'polluted' in item || item.connectionInfo?.a?.polluted)).toBe(
        false,
      );
    },
  );

  it('names each invalid item by page, company, connection and path, in the problems and in the walk’s progress', async () => {
    const owner = company(3);
    const invalid = connectionId(owner, 1);
    harness.fake.account.changeConnection(owner.id, invalid, { status: 'Bogus' });

    const outcome = await harness.walk({ pageSize: 2 });

    expect(outcome.complete).toBe(false);
    expect(outcome.problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^page 2: results\\[1\\]\\.dataConnections\\[1\\] \\(company ${owner.id}, connection ${invalid}\\): results\\[1\\]\\.dataConnections\\[1\\]\\.status: `,
        ),
      ),
    ]);
    expect(outcome.progress.invalidItems).toEqual([
      {
        page: 2,
        path: 'results[1].dataConnections[1]',
        companyId: owner.id,
        connectionId: invalid,
        reason: expect.stringMatching(/^results\[1\]\.dataConnections\[1\]\.status: /),
      },
    ]);
    expect(walkSummary(outcome, false)).toContain(
      `not complete: page 2: results[1].dataConnections[1] (company ${owner.id}`,
    );
  });

  it('ends the walk at once, named, when a cache answers page 1 for every page: its next link points back', async () => {
    harness.fake.faults.servePage({ page: 1, times: 40, match: { path: '/companies' } });

    const outcome = await harness.walk({ pageSize: 2 });

    expect(outcome.complete).toBe(false);
    expect(outcome.problems).toEqual([expect.stringMatching(/^page 2: .*answered page 1/)]);
    expect(harness.fake.log.count('/companies')).toBe(2);
  });

  it('ends the walk at once, named, when the listing runs on past its totalResults by more than a page', async () => {
    harness.fake.faults.understateTotal({ total: 2, match: { path: '/companies' } });

    const outcome = await harness.walk({ pageSize: 2 });

    expect(outcome.complete).toBe(false);
    expect(outcome.problems).toEqual([expect.stringMatching(/^page 3: .*totalResults 2/)]);
    expect(harness.fake.log.count('/companies')).toBe(3);
    expect(harness.fake.log.entries.filter((entry) => entry.path !== '/companies')).toEqual([]);
  });

  it('ends the walk at once, named, when a page holds more companies than asked for', async () => {
    harness.fake.faults.oversizePages({ factor: 2, match: { path: '/companies' } });

    const outcome = await harness.walk({ pageSize: 2 });

    expect(outcome.complete).toBe(false);
    expect(outcome.problems).toEqual([expect.stringMatching(/^page 1: .*asked for pages of 2, got 4/)]);
    expect(harness.fake.log.count('/companies')).toBe(1);
    expect(await items()).toEqual([]);
  });

  it('says the API key was refused, and where to set it, when the API answers 401', async () => {
    const stranger = new CodatApi({ apiKey: 'not-the-key', baseUrl: harness.fake.url });

    const outcome = await runWalk({ ...harness.context(), api: stranger }, { pageSize: 2 });

    expect(outcome.complete).toBe(false);
    expect(outcome.problems).toEqual([
      expect.stringMatching(
        /^page 1: the API key was refused \(GET .* answered 401.*\).*CODAT_API_KEY.*secret/,
      ),
    ]);
    expect(stranger.stats.requests).toBe(1);
    const summary = walkSummary(outcome, false);
    expect(summary).toContain('the API key was refused: set CODAT_API_KEY');
    expect(summary).not.toContain('once the API answers every page');
  });
});

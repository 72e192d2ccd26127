import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { WalkStepTooShortError } from '../src/errors';
import { CodatApi } from '../src/reconcile/codat-api';
import { newProgress } from '../src/reconcile/progress';
import { sweep } from '../src/reconcile/sweep';
import { walkPages } from '../src/reconcile/walk';
import type { ChangeNote } from '../src/reconcile/walk-context';
import { changeOf } from './support/changes';
import { ENGINES } from './support/engines';
import { startWalkHarness, type WalkHarness } from './support/reconcile';

let harness: WalkHarness;

async function items() {
  const { Items = [] } = await harness.table.client.send(
    new ScanCommand({ TableName: harness.table.tableName, ConsistentRead: true }),
  );
  return Items.map((item) => unmarshall(item));
}

const firstCompany = () => {
  const company = harness.fake.account.companies[0];
  if (!company) throw new Error('the account has no company');
  return company;
};

describe.each(ENGINES)('a reconciliation walk, against the fake API over loopback, on %s', (engine) => {
  beforeEach(async () => {
    harness = await startWalkHarness(
      { accountOptions: { companies: 25, connectionsPerCompany: 2 } },
      {},
      engine,
    );
  });

  afterEach(async () => {
    await harness.close();
  });

  it('creates every connection of an account read over several pages, one request a page', async () => {
    const outcome = await harness.walk({ pageSize: 10 });

    expect(outcome).toMatchObject({ complete: true, problems: [] });
    expect(outcome.progress.totals).toMatchObject({ pages: 3, companies: 25, connections: 50, created: 50 });
    expect(harness.fake.log.count('/companies')).toBe(3);
    const stored = await items();
    expect(stored).toHaveLength(50);
    expect(stored.every((item) => item.lastEventType === 'reconcile.observed' && !item.deleted)).toBe(true);
  });

  it('fails a step that starts with no time left for a page, naming the page, instead of handing it on unread', async () => {
    const ctx = harness.context();
    const progress = newProgress(ctx.clock.walkId, ctx.now(), 10);

    const step = walkPages(progress, ctx, {
      stepDeadline: ctx.now().getTime() - 1,
      walkBudgetMs: 60 * 60_000,
    });

    await expect(step).rejects.toThrow(WalkStepTooShortError);
    await expect(step).rejects.toThrow(/page 1:.*longer timeout/);
    expect(harness.fake.log.count('/companies')).toBe(0);
  });

  it('stores the connection as the API shows it, with the company name and tags', async () => {
    await harness.walk();
    const company = firstCompany();
    const connection = company.dataConnections[0];

    const stored = await harness.table.store.get(company.id, connection?.id ?? '');

    expect(stored?.connection.status).toBe(connection?.status);
    expect(stored?.connection.platformName).toBe(connection?.platformName);
    expect(stored?.company).toMatchObject({ name: company.name });
    expect(stored?.lastEvent.id).toMatch(/^reconcile:test-/);
  });

  it('writes nothing on a second walk over an unchanged account: one Query per company and one Scan', async () => {
    await harness.walk();
    harness.resetCalls();

    const second = await harness.walk();

    expect(second.complete).toBe(true);
    expect(second.progress.totals).toMatchObject({ unchanged: 50, created: 0, updated: 0, tombstoned: 0 });
    expect(harness.calls).toEqual({ QueryCommand: 25, ScanCommand: 1 });
  });

  it('rewrites only the connection that changed in the API', async () => {
    await harness.walk();
    const company = firstCompany();
    harness.fake.account.changeConnection(company.id, company.dataConnections[0]?.id ?? '', {
      status: 'Deauthorized',
    });
    harness.resetCalls();

    const outcome = await harness.walk();

    expect(outcome.progress.totals).toMatchObject({ updated: 1, unchanged: 49 });
    expect(harness.calls.UpdateItemCommand).toBe(1);
    const stored = await harness.table.store.get(company.id, company.dataConnections[0]?.id ?? '');
    expect(stored?.connection.status).toBe('Deauthorized');
  });

  it('creates a connection the API has and no webhook ever brought', async () => {
    await harness.walk();
    const added = harness.fake.account.addConnection(firstCompany().id);

    const outcome = await harness.walk();

    expect(outcome.progress.totals).toMatchObject({ created: 1, unchanged: 50 });
    expect((await harness.table.store.get(firstCompany().id, added.id))?.deleted).toBe(false);
  });

  it('keeps a webhook event generated after the read allowance began, and overwrites an older one', async () => {
    const company = firstCompany();
    const [kept, replaced] = company.dataConnections;
    const now = harness.time.now();
    // Generated 1 minute before the walk reads: newer than the snapshot (now − 5 min).
    await harness.table.store.write(
      changeOf({
        eventType: 'connection.disconnected',
        companyId: company.id,
        connectionId: kept?.id,
        generatedDate: new Date(now - 60_000).toISOString(),
      }),
    );
    // Generated 10 minutes before: the read shows its effect already, or a later state.
    await harness.table.store.write(
      changeOf({
        eventType: 'connection.disconnected',
        companyId: company.id,
        connectionId: replaced?.id,
        generatedDate: new Date(now - 10 * 60_000).toISOString(),
      }),
    );

    const outcome = await harness.walk();

    expect(outcome.progress.totals).toMatchObject({ newerKept: 1, updated: 1 });
    const survivor = await harness.table.store.get(company.id, kept?.id ?? '');
    expect(survivor?.lastEvent.type).toBe('connection.disconnected');
    expect(survivor?.connection.status).toBe('Unlinked');
    const overwritten = await harness.table.store.get(company.id, replaced?.id ?? '');
    expect(overwritten?.lastEvent.type).toBe('reconcile.observed');
    expect(overwritten?.connection.status).toBe(replaced?.status);
  });

  it('makes a tombstone of a connection its company no longer lists, after a complete walk', async () => {
    await harness.walk();
    const company = firstCompany();
    const gone = company.dataConnections[1]?.id ?? '';
    harness.fake.account.deleteConnection(company.id, gone);
    await harness.time.sleep(60_000);

    const outcome = await harness.walk();

    expect(outcome.complete).toBe(true);
    expect(outcome.progress.totals.tombstoned).toBe(1);
    const tombstone = await harness.table.store.get(company.id, gone);
    expect(tombstone).toMatchObject({ deleted: true, lastEvent: { type: 'reconcile.absent' } });
    expect(tombstone?.expiresAt).toBe(Math.floor(harness.time.now() / 1000) + 30 * 86_400);
  });

  it('buries what a company the listing skipped no longer lists, once GET /companies/{id} finds it', async () => {
    await harness.walk();
    const company = firstCompany();
    const gone = company.dataConnections[1]?.id ?? '';
    harness.fake.account.deleteConnection(company.id, gone);
    // As page-number paging does when an earlier company is deleted during the walk: the
    // listing skips this one, while the company itself still answers.
    const listed = harness.fake.account.companies;
    listed.splice(listed.indexOf(company), 1);
    await harness.time.sleep(60_000);

    const outcome = await harness.walk();

    expect(outcome.complete).toBe(true);
    expect(harness.fake.log.count(`/companies/${company.id}`)).toBe(1);
    expect(await harness.table.store.get(company.id, gone)).toMatchObject({ deleted: true });
    expect(
      (await harness.table.store.listByCompany(company.id)).filter((item) => !item.deleted),
    ).toHaveLength(1);
  });

  it('makes tombstones of every connection of a company the API no longer has, once it answers 404', async () => {
    await harness.walk();
    const company = firstCompany();
    harness.fake.account.deleteCompany(company.id);
    harness.resetCalls();

    const outcome = await harness.walk();

    expect(outcome).toMatchObject({ complete: true, progress: { totals: { tombstoned: 2 } } });
    expect(harness.fake.log.count(`/companies/${company.id}`)).toBe(1);
    const stored = await harness.table.store.listByCompany(company.id);
    expect(stored.map((item) => item.deleted)).toEqual([true, true]);
  });

  it('leaves a vanished company as it is when the sweep has no time left to look it up, and says why', async () => {
    await harness.walk();
    const company = firstCompany();
    harness.fake.account.deleteCompany(company.id);
    const ctx = harness.context();
    const progress = newProgress(ctx.clock.walkId, ctx.now(), 10);
    await walkPages(progress, ctx, { stepDeadline: Number.POSITIVE_INFINITY, walkBudgetMs: 60 * 60_000 });
    harness.resetCalls();
    // The sweep function's client: its deadline (the timeout less what it keeps) has passed.
    const spent = new CodatApi({
      apiKey: harness.fake.apiKey,
      baseUrl: harness.fake.url,
      deadline: harness.time.now() - 1,
      environment: { now: harness.time.now, sleep: harness.time.sleep },
    });

    const result = await sweep(progress, { ...ctx, api: spent });

    expect(result.complete).toBe(false);
    expect(result.problems).toEqual([
      expect.stringMatching(
        new RegExp(`1 unlisted companies could not be checked \\(${company.id}\\).*no time was left`),
      ),
    ]);
    expect(harness.fake.log.count(`/companies/${company.id}`)).toBe(0);
    const stored = await harness.table.store.listByCompany(company.id);
    expect(stored.map((item) => item.deleted)).toEqual([false, false]);
  });

  it('deletes nothing when a page keeps failing, reads the pages after it, and names the page', async () => {
    await harness.walk();
    harness.fake.account.deleteCompany(firstCompany().id);
    harness.fake.account.deleteConnection(
      harness.fake.account.companies[0]?.id ?? '',
      harness.fake.account.companies[0]?.dataConnections[0]?.id ?? '',
    );
    harness.fake.faults.fail({ match: { path: '/companies', page: 2 } });

    const outcome = await harness.walk();

    expect(outcome.complete).toBe(false);
    expect(outcome.problems).toEqual([
      expect.stringMatching(/^page 2: GET .*page=2.* failed after \d+ attempt/),
    ]);
    expect(outcome.progress.totals).toMatchObject({ tombstoned: 0, pages: 2 });
    expect((await items()).filter((item) => item.deleted)).toEqual([]);
  });

  it('deletes nothing when an item on a page is invalid', async () => {
    await harness.walk();
    const company = firstCompany();
    harness.fake.account.deleteConnection(company.id, company.dataConnections[0]?.id ?? '');
    harness.fake.account.changeConnection(
      harness.fake.account.companies[3]?.id ?? '',
      harness.fake.account.companies[3]?.dataConnections[0]?.id ?? '',
      { status: 'Bogus' },
    );

    const outcome = await harness.walk();

    expect(outcome).toMatchObject({ complete: false, progress: { totals: { tombstoned: 0, invalid: 1 } } });
    expect(outcome.problems).toEqual([
      expect.stringMatching(/^page 1: results\[3\]\.dataConnections\[0\] .*status/),
    ]);
  });

  it('waits out 429 answers as Retry-After says and completes', async () => {
    harness.fake.faults.throttle({ times: 2, retryAfter: 3, match: { path: '/companies', page: 2 } });

    const outcome = await harness.walk();

    expect(outcome.complete).toBe(true);
    expect(outcome.progress.requests).toEqual({ requests: 5, retries: 2, throttles: 2 });
    expect(harness.time.sleeps).toEqual([3000, 3000]);
    expect(await items()).toHaveLength(50);
  });

  it('writes nothing in a dry run, and reports what it would create', async () => {
    const notes: ChangeNote[] = [];

    const outcome = await harness.walk({ dryRun: true, notes });

    expect(outcome.progress.totals.created).toBe(50);
    expect(notes).toHaveLength(50);
    expect(harness.calls.UpdateItemCommand).toBeUndefined();
    expect(await items()).toEqual([]);
  });

  it('does not bring back a connection deleted by a newer connection.deleted event', async () => {
    await harness.walk();
    const company = firstCompany();
    const connectionId = company.dataConnections[0]?.id ?? '';
    const deletion = changeOf({
      eventType: 'connection.deleted',
      companyId: company.id,
      connectionId,
      generatedDate: new Date(harness.time.now() - 60_000).toISOString(),
    });
    await harness.table.store.write(deletion);

    await harness.walk();

    expect((await harness.table.store.get(company.id, connectionId))?.deleted).toBe(true);
  });
});

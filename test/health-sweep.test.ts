import type { FakeAccount } from '../local/fake-codat-api/account';
import type { ConnectionCounts } from '../src/health/connection-census';
import { changeOf } from './support/changes';
import { ENGINES } from './support/engines';
import { startWalkHarness, type WalkHarness } from './support/reconcile';

let harness: WalkHarness;

/** The account's connections by status and platform, counted here without the census. */
function accountCounts(account: FakeAccount): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const company of account.companies) {
    for (const connection of company.dataConnections) {
      const key = `${connection.status} ${connection.platformName}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

/** The census's counts by status and platform, zeros left out, in the same shape. */
function byPlatform(counts: ConnectionCounts | undefined): Record<string, number> {
  if (!counts) throw new Error('the sweep gave no counts');
  return Object.fromEntries(
    counts.byPlatform
      .filter((row) => row.count > 0)
      .map((row) => [`${row.status} ${row.platform}`, row.count]),
  );
}

describe.each(ENGINES)("the sweep's census of live connections, on %s", (engine) => {
  beforeEach(async () => {
    harness = await startWalkHarness(
      { accountOptions: { companies: 12, connectionsPerCompany: 3 } },
      {},
      engine,
    );
  });

  afterEach(async () => {
    await harness.close();
  });

  it('counts what a complete walk leaves in the table, by status and platform, from the Scan it makes anyway', async () => {
    await harness.walk();
    harness.resetCalls();

    const outcome = await harness.walk();

    expect(outcome.complete).toBe(true);
    expect(byPlatform(outcome.counts)).toEqual(accountCounts(harness.fake.account));
    expect(outcome.counts?.total).toBe(36);
    // No read of its own: the one Scan the sweep makes to find unlisted companies.
    expect(harness.calls.ScanCommand).toBe(1);
  });

  it('leaves out tombstones: those stored before the walk and those the walk makes', async () => {
    await harness.walk();
    const [deleted, gone] = harness.fake.account.companies;
    if (!deleted?.dataConnections[0] || !gone) throw new Error('the account has too few companies');
    const removed = deleted.dataConnections[0].id;
    harness.fake.account.deleteConnection(deleted.id, removed);
    await harness.time.sleep(60_000);
    expect((await harness.walk()).progress.totals.tombstoned).toBe(1);
    harness.fake.account.deleteCompany(gone.id);

    const outcome = await harness.walk();

    expect(outcome.progress.totals.tombstoned).toBe(3);
    expect(byPlatform(outcome.counts)).toEqual(accountCounts(harness.fake.account));
    expect(outcome.counts?.total).toBe(36 - 1 - 3);
  });

  it('counts a status a webhook stored after the read, as the Scan finds it', async () => {
    await harness.walk();
    const company = harness.fake.account.companies[0];
    const connection = company?.dataConnections[0];
    if (!company || !connection) throw new Error('the account has no connection');
    // Newer than the walk's snapshot: kept over what the API shows.
    await harness.table.store.write(
      changeOf({
        eventType: 'connection.disconnected',
        companyId: company.id,
        connectionId: connection.id,
        status: 'Deauthorized',
        generatedDate: new Date(harness.time.now() + 60_000).toISOString(),
      }),
    );

    const outcome = await harness.walk();

    const deauthorized = outcome.counts?.byStatus.find((row) => row.status === 'Deauthorized')?.count;
    const inAccount = harness.fake.account.companies
      .flatMap((one) => one.dataConnections)
      .filter((one) => one.status === 'Deauthorized').length;
    expect(deauthorized).toBe(inAccount + (connection.status === 'Deauthorized' ? 0 : 1));
  });

  it('gives no counts for a walk left incomplete after its Scan, by a company it could not look up', async () => {
    await harness.walk();
    const listed = harness.fake.account.companies;
    const [skipped] = listed.splice(0, 1);
    if (!skipped) throw new Error('the account has no company');
    harness.fake.faults.fail({ match: { path: `/companies/${skipped.id}` } });
    harness.resetCalls();

    const outcome = await harness.walk();

    expect(harness.calls.ScanCommand).toBe(1);
    expect(outcome.complete).toBe(false);
    expect(outcome.counts).toBeUndefined();
  });
});

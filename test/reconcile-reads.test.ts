import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StoredConnection } from '../src/connection/store';
import { InMemoryWalkJournal } from '../src/reconcile/journal';
import { runWalk } from '../src/reconcile/run-walk';
import { createWalkContext } from '../src/reconcile/walk-context';
import { changeOf } from './support/changes';
import { ENGINES } from './support/engines';
import { startWalkHarness, type WalkHarness } from './support/reconcile';

let harness: WalkHarness;

interface Read {
  command: string;
  companyId: string | undefined;
  consistent: boolean;
}

/** Every Query and GetItem the client sends from now on: of which company, and whether consistent. */
function recordReads(client: DynamoDBClient): Read[] {
  const reads: Read[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        ConsistentRead?: boolean;
        Key?: { companyId?: { S?: string } };
        ExpressionAttributeValues?: { ':companyId'?: { S?: string } };
      };
      if (context.commandName === 'QueryCommand' || context.commandName === 'GetItemCommand') {
        reads.push({
          command: context.commandName,
          companyId: input.Key?.companyId?.S ?? input.ExpressionAttributeValues?.[':companyId']?.S,
          consistent: input.ConsistentRead === true,
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordReads' },
  );
  return reads;
}

const companyAt = (index: number) => {
  const company = harness.fake.account.companies[index];
  if (!company) throw new Error(`the account has no company ${index}`);
  return company;
};

const connectionOf = (company: ReturnType<typeof companyAt>, index: number) =>
  company.dataConnections[index]?.id ?? '';

/**
 * A walk whose every read of a company answers with what was stored when `stale` was taken,
 * as an eventually consistent Query may answer before the last writes reached it. Its writes,
 * its sweep's re-reads and its Scan go to the table as they are.
 */
function staleWalk(stale: ReadonlyMap<string, StoredConnection[]>) {
  const { store } = harness.table;
  return runWalk(
    createWalkContext({
      api: harness.client,
      store: {
        listByCompany: async (companyId) => stale.get(companyId) ?? [],
        get: (companyId, connectionId) => store.get(companyId, connectionId),
        write: (change) => store.write(change),
        companiesWithLiveConnections: () => store.companiesWithLiveConnections(),
      },
      journal: new InMemoryWalkJournal(),
      walkId: 'stale-read',
      now: () => new Date(harness.time.now()),
    }),
    { pageSize: 10 },
  );
}

async function storedNow(): Promise<Map<string, StoredConnection[]>> {
  const stored = new Map<string, StoredConnection[]>();
  for (const company of harness.fake.account.companies) {
    stored.set(company.id, await harness.table.store.listByCompany(company.id));
  }
  return stored;
}

describe.each(ENGINES)('what a reconciliation walk reads, and how consistently, on %s', (engine) => {
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

  it('reads each listed company with an eventually consistent Query, and consistently what it is about to bury', async () => {
    await harness.walk();
    const gone = companyAt(0);
    const trimmed = companyAt(1);
    harness.fake.account.deleteConnection(trimmed.id, connectionOf(trimmed, 1));
    harness.fake.account.deleteCompany(gone.id);
    await harness.time.sleep(60_000);
    const reads = recordReads(harness.table.client);

    const outcome = await harness.walk();

    expect(outcome).toMatchObject({ complete: true, progress: { totals: { tombstoned: 3 } } });
    const listed = harness.fake.account.companies.map((company) => company.id);
    const walked = reads.filter(
      (read) => read.command === 'QueryCommand' && listed.includes(read.companyId ?? ''),
    );
    expect(walked).toEqual(
      listed.map((companyId) => ({ command: 'QueryCommand', companyId, consistent: false })),
    );
    // The sweep: the connection the walk found absent, read again; the company that answered 404.
    expect(reads.filter((read) => !walked.includes(read))).toEqual([
      { command: 'GetItemCommand', companyId: trimmed.id, consistent: true },
      { command: 'QueryCommand', companyId: gone.id, consistent: true },
    ]);
  });

  it('keeps what a delivery stored after the state its read shows, the API having changed too', async () => {
    await harness.walk();
    const stale = await storedNow();
    const company = companyAt(0);
    const connectionId = connectionOf(company, 0);
    harness.fake.account.changeConnection(company.id, connectionId, { status: 'Deauthorized' });
    // Generated 1 minute before the walk reads: newer than its snapshot (now − 5 min).
    const delivery = changeOf({
      eventType: 'connection.disconnected',
      companyId: company.id,
      connectionId,
      generatedDate: new Date(harness.time.now() - 60_000).toISOString(),
    });
    await harness.table.store.write(delivery);

    const outcome = await staleWalk(stale);

    expect(outcome.progress.totals).toMatchObject({ newerKept: 1, unchanged: 11, updated: 0 });
    const kept = await harness.table.store.get(company.id, connectionId);
    expect(kept?.lastEvent).toMatchObject({ id: delivery.event.id, type: 'connection.disconnected' });
  });

  it('leaves a delivery’s tombstone as it is when its read still shows the connection live', async () => {
    await harness.walk();
    const stale = await storedNow();
    const company = companyAt(0);
    const connectionId = connectionOf(company, 1);
    harness.fake.account.deleteConnection(company.id, connectionId);
    const delivery = changeOf({
      eventType: 'connection.deleted',
      companyId: company.id,
      connectionId,
      generatedDate: new Date(harness.time.now() - 60_000).toISOString(),
    });
    await harness.table.store.write(delivery);
    await harness.time.sleep(60_000);

    const outcome = await staleWalk(stale);

    expect(outcome).toMatchObject({ complete: true, progress: { totals: { tombstoned: 0 } } });
    const tombstone = await harness.table.store.get(company.id, connectionId);
    expect(tombstone).toMatchObject({ deleted: true, lastEvent: { id: delivery.event.id } });
  });
});

import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import type { FakeCompany } from '../local/fake-codat-api/account';
import { changeOf } from './support/changes';
import { ENGINES } from './support/engines';
import { startWalkHarness, type WalkHarness } from './support/reconcile';

/**
 * A model-based property test of walk and sweep (the invariants in src/reconcile/walk.ts):
 * random accounts, random API behaviour per walk, webhooks and account changes in between.
 * After each walk, against an oracle (the account the fake serves): no valid connection the
 * API has is tombstoned by the walk; an incomplete walk tombstones nothing; a complete walk over
 * an API that behaved leaves the table equal to it; and a second walk then writes nothing.
 *
 * A fixed seed and 15 runs an engine in `npm test` (about 15 s on two busy cores); `npm run
 * test:walk-property` runs 300, and `WALK_PROPERTY_RUNS` / `WALK_PROPERTY_SEED` choose others.
 */
const RUNS = Number(process.env.WALK_PROPERTY_RUNS ?? 15);
const SEED = Number(process.env.WALK_PROPERTY_SEED ?? 17);

type Fault =
  | { kind: 'shift'; page: number; by: number }
  | { kind: 'duplicate'; page: number }
  | { kind: 'drop'; page: number; at: number; connection: number }
  | { kind: 'throttle'; page: number; times: number }
  | { kind: 'fail'; page: number; times: number }
  | { kind: 'invalid'; company: number; connection: number }
  | { kind: 'unstorable'; company: number; connection: number }
  | { kind: 'skip'; company: number }
  | { kind: 'skipGone'; company: number };

type Step =
  | { kind: 'walk'; faults: Fault[] }
  | { kind: 'webhook'; company: number; connection: number; eventType: string }
  | { kind: 'addConnection'; company: number }
  | { kind: 'deleteConnection'; company: number; connection: number }
  | { kind: 'changeStatus'; company: number; connection: number; status: string }
  | { kind: 'deleteCompany'; company: number }
  | { kind: 'addCompany'; connections: number };

/** Small, so that faults often meet on one company. */
const index = fc.nat({ max: 2 });
const page = fc.integer({ min: 1, max: 3 });
const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('shift' as const), page, by: fc.constantFrom(-1, 1) }),
  fc.record({ kind: fc.constant('duplicate' as const), page: fc.integer({ min: 2, max: 3 }) }),
  fc.record({ kind: fc.constant('drop' as const), page, at: fc.nat({ max: 1 }), connection: index }),
  fc.record({ kind: fc.constant('throttle' as const), page, times: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('fail' as const), page, times: fc.constantFrom(1, 100) }),
  fc.record({ kind: fc.constant('invalid' as const), company: index, connection: index }),
  fc.record({ kind: fc.constant('unstorable' as const), company: index, connection: index }),
  fc.record({ kind: fc.constant('skip' as const), company: index }),
  fc.record({ kind: fc.constant('skipGone' as const), company: index }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('walk' as const), faults: fc.array(fault, { maxLength: 4 }) }),
    weight: 3,
  },
  fc.record({
    kind: fc.constant('webhook' as const),
    company: index,
    connection: index,
    eventType: fc.constantFrom('connection.connected', 'connection.disconnected', 'connection.deleted'),
  }),
  fc.record({ kind: fc.constant('addConnection' as const), company: index }),
  fc.record({ kind: fc.constant('deleteConnection' as const), company: index, connection: index }),
  fc.record({
    kind: fc.constant('changeStatus' as const),
    company: index,
    connection: index,
    status: fc.constantFrom('Linked', 'Unlinked', 'Deauthorized'),
  }),
  fc.record({ kind: fc.constant('deleteCompany' as const), company: index }),
  fc.record({ kind: fc.constant('addCompany' as const), connections: fc.nat({ max: 3 }) }),
);
const scenario = fc.record({
  companies: fc.integer({ min: 1, max: 5 }),
  connectionsPerCompany: fc.integer({ min: 0, max: 3 }),
  seed: fc.nat({ max: 1000 }),
  steps: fc.array(step, { minLength: 1, maxLength: 5 }),
});

const PAGE_SIZE = 2;

async function tableItems(harness: WalkHarness) {
  const { Items = [] } = await harness.table.client.send(
    new ScanCommand({ TableName: harness.table.tableName, ConsistentRead: true }),
  );
  return Items.map((item) => unmarshall(item));
}

function pick<T>(list: readonly T[], at: number): T | undefined {
  return list.length === 0 ? undefined : list[at % list.length];
}

/** Programs one walk's faults; returns what undoes those that change the account. */
function applyFaults(harness: WalkHarness, faults: readonly Fault[]) {
  const { account, faults: rules } = harness.fake;
  const undo: (() => void)[] = [];
  const shown = new Set<string>();
  const skipped: FakeCompany[] = [];
  const invalid = new Set<string>();
  const listed = account.companies;
  const every = [...listed];
  for (const f of faults) {
    const match = 'page' in f ? { path: '/companies', page: f.page } : undefined;
    if (f.kind === 'shift') rules.shiftPages({ by: f.by, times: 1, match });
    else if (f.kind === 'duplicate') rules.shiftPages({ by: -1, times: 1, match });
    else if (f.kind === 'drop') {
      // This read of the page lacks one connection of a company on it: the API's view moved.
      rules.rewritePage({
        times: 1,
        match,
        rewrite: (body) => {
          const results = [...(body.results as FakeCompany[])];
          const company = results[f.at];
          if (!company) return body;
          const dropped = pick(company.dataConnections, f.connection)?.id;
          const thinner = company.dataConnections.filter((c) => c.id !== dropped);
          results[f.at] = { ...company, dataConnections: thinner };
          return { ...body, results };
        },
      });
    } else if (f.kind === 'throttle') rules.throttle({ times: f.times, retryAfter: 1, match });
    else if (f.kind === 'fail') rules.fail({ status: 503, times: f.times, match });
    else if (f.kind === 'invalid' || f.kind === 'unstorable') {
      const company = pick(every, f.company);
      const connection = company && pick(company.dataConnections, f.connection);
      if (!company || !connection) continue;
      const before = { status: connection.status, connectionInfo: connection.connectionInfo };
      Object.assign(connection, f.kind === 'invalid' ? { status: 'Bogus' } : { connectionInfo: { '': 1 } });
      invalid.add(`${company.id}/${connection.id}`);
      undo.push(() => Object.assign(connection, before));
    } else {
      // The listing skips the company; a lookup still finds it (skip), or answers 404 (skipGone).
      const company = pick(every, f.company);
      if (!company || !listed.includes(company)) continue;
      const at = listed.indexOf(company);
      listed.splice(at, 1);
      if (f.kind === 'skipGone') rules.fail({ status: 404, match: { path: `/companies/${company.id}` } });
      else skipped.push(company);
      undo.push(() => listed.splice(Math.min(at, listed.length), 0, company));
    }
  }
  // Last, so that it sees each page as served: every connection some read showed.
  rules.rewritePage({
    rewrite: (body) => {
      for (const company of body.results as FakeCompany[]) {
        for (const connection of company.dataConnections ?? []) shown.add(`${company.id}/${connection.id}`);
      }
      return body;
    },
  });
  return {
    invalid,
    shown,
    /** After the walk: a skipped company is read only if the sweep looked it up (it had live connections stored). */
    noteLookups: () => {
      for (const company of skipped) {
        const looked = harness.fake.log.entries.some(
          (entry) => entry.path === `/companies/${company.id}` && entry.status === 200,
        );
        if (looked)
          for (const connection of company.dataConnections) shown.add(`${company.id}/${connection.id}`);
      }
    },
    restore: () => {
      for (const action of undo.reverse()) action();
      rules.clear();
    },
  };
}

function applyStep(harness: WalkHarness, s: Exclude<Step, { kind: 'walk' }>, webhookIds: string[]) {
  const { account } = harness.fake;
  const company = 'company' in s ? pick(account.companies, s.company) : undefined;
  const connection = company && 'connection' in s ? pick(company.dataConnections, s.connection) : undefined;
  if (s.kind === 'addCompany') account.addCompany({}, s.connections);
  else if (s.kind === 'addConnection' && company) account.addConnection(company.id);
  else if (s.kind === 'deleteConnection' && company && connection)
    account.deleteConnection(company.id, connection.id);
  else if (s.kind === 'changeStatus' && company && connection)
    account.changeConnection(company.id, connection.id, { status: s.status });
  else if (s.kind === 'deleteCompany' && company) account.deleteCompany(company.id);
  else if (s.kind === 'webhook') {
    // Generated well before the next walk reads, so that the read wins: the oracle is the API.
    const connectionId = connection?.id ?? pick(webhookIds, s.connection) ?? `hook-${s.connection}`;
    webhookIds.push(connectionId);
    return harness.table.store.write(
      changeOf({
        eventType: s.eventType,
        companyId: company?.id ?? 'company-only-webhooks-know',
        connectionId,
        generatedDate: new Date(harness.time.now() - 10 * 60_000).toISOString(),
      }),
    );
  }
  return undefined;
}

/** The connections the API serves, valid ones only, with their status. */
function apiState(companies: readonly FakeCompany[], invalid: ReadonlySet<string>) {
  const state = new Map<string, unknown>();
  for (const company of companies) {
    for (const connection of company.dataConnections) {
      const key = `${company.id}/${connection.id}`;
      if (!invalid.has(key)) state.set(key, connection.status);
    }
  }
  return state;
}

async function walkAndCheck(harness: WalkHarness, faults: readonly Fault[]) {
  const every = [...harness.fake.account.companies];
  const programmed = applyFaults(harness, faults);
  await harness.time.sleep(60_000);
  harness.fake.log.clear();
  const outcome = await harness.walk({ pageSize: PAGE_SIZE });
  programmed.noteLookups();
  programmed.restore();
  const walkId = outcome.progress.walkId;
  const items = await tableItems(harness);
  const byThisWalk = items.filter((item) => item.deleted && item.lastEventId === `reconcile:${walkId}`);

  // No connection the API has that any read showed is tombstoned, valid or not.
  const valid = apiState(every, programmed.invalid);
  const key = (item: Record<string, unknown>) => `${item.companyId}/${item.connectionId}`;
  const inApi = apiState(every, new Set());
  expect(byThisWalk.filter((item) => inApi.has(key(item)) && programmed.shown.has(key(item)))).toEqual([]);
  // A walk that was shown an invalid or unstorable item is incomplete.
  if ([...programmed.invalid].some((invalid) => programmed.shown.has(invalid)))
    expect(outcome.complete).toBe(false);
  // An incomplete walk tombstones nothing.
  if (!outcome.complete) expect(byThisWalk).toEqual([]);
  if (faults.length > 0) return;

  // A complete walk over an API that behaved leaves the table equal to it.
  expect(outcome.problems).toEqual([]);
  const live = new Map(
    items
      .filter((item) => !item.deleted)
      .map((item) => [`${item.companyId}/${item.connectionId}`, item.status]),
  );
  expect(live).toEqual(valid);
  // And a second walk writes nothing.
  harness.resetCalls();
  await harness.time.sleep(60_000);
  const second = await harness.walk({ pageSize: PAGE_SIZE });
  expect(second.complete).toBe(true);
  expect(harness.calls.UpdateItemCommand ?? 0).toBe(0);
}

describe.each(ENGINES)('walk and sweep against a model of the API, on %s', (engine) => {
  it(
    'never tombstones a valid connection, tombstones nothing when incomplete, and converges on the API',
    async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ companies, connectionsPerCompany, seed, steps }) => {
          const harness = await startWalkHarness(
            { accountOptions: { companies, connectionsPerCompany, seed } },
            {},
            engine,
          );
          const webhookIds: string[] = [];
          try {
            for (const s of steps) {
              if (s.kind === 'walk') await walkAndCheck(harness, s.faults);
              else await applyStep(harness, s, webhookIds);
            }
            // Always end on a walk over an API that behaves.
            await walkAndCheck(harness, []);
          } finally {
            await harness.close();
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    },
    Math.max(120_000, RUNS * 5_000),
  );
});

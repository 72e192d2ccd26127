import type { FakeCodatApiOptions } from '../../local/fake-codat-api/server';
import type { CodatApiOptions } from '../../src/reconcile/codat-api';
import { InMemoryWalkJournal } from '../../src/reconcile/journal';
import { runWalk } from '../../src/reconcile/run-walk';
import { type ChangeNote, createWalkContext, type WalkContext } from '../../src/reconcile/walk-context';
import { apiAndClient } from './codat-api';
import { type Engine, startTable } from './embedded-table';

/**
 * The fake API and a table on `engine`, and a walk between them on the fake's clock. Every
 * DynamoDB call is counted by command, by a middleware on the table's client, so that a test
 * can say "this walk wrote nothing" without a mock.
 */
export async function startWalkHarness(
  fakeOptions: FakeCodatApiOptions = {},
  clientOptions: Partial<CodatApiOptions> = {},
  engine: Engine = 'dynalite',
) {
  const { fake, client, time } = await apiAndClient(fakeOptions, clientOptions);
  const table = await startTable(engine);
  const calls: Record<string, number> = {};
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls[name] = (calls[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  let walks = 0;
  const journal = new InMemoryWalkJournal();
  const context = (options: { dryRun?: boolean; notes?: ChangeNote[] } = {}): WalkContext =>
    createWalkContext({
      api: client,
      store: table.store,
      journal,
      walkId: `test-${++walks}`,
      // Fewer than a page of companies at once, so that a page's companies overlap and queue.
      concurrency: 4,
      now: () => new Date(time.now()),
      dryRun: options.dryRun,
      onChange: (note) => options.notes?.push(note),
    });
  return {
    fake,
    client,
    time,
    table,
    /** DynamoDB calls by command name since the last `resetCalls()`. */
    calls,
    resetCalls: () => {
      for (const key of Object.keys(calls)) delete calls[key];
      fake.log.clear();
    },
    walk: (options: { pageSize?: number; dryRun?: boolean; notes?: ChangeNote[] } = {}) =>
      runWalk(context(options), { pageSize: options.pageSize ?? 10 }),
    /** A walk's context on this harness, for a test that runs its steps one by one. */
    context,
    close: async () => {
      await fake.close();
      await table.close();
    },
  };
}

export type WalkHarness = Awaited<ReturnType<typeof startWalkHarness>>;

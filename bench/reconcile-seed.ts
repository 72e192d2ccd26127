/**
 * Fills the Connection table with what a first walk of the account writes, the fast way: the
 * walk's own code (walkPages over the API, the same parsing, checks and changes) against a
 * table it is told is empty, each change stored with BatchWriteItem as the item the store's
 * conditional write leaves (`newImageOf`, which the store also hands its change events) instead
 * of one UpdateItem each. A second walk then finds every item equal and writes nothing, which
 * the bench checks; a test compares the two ways of filling item for item.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshalChange } from '../src/connection/item-limits';
import type { ConnectionChange } from '../src/connection/store';
import { newImageOf } from '../src/connection/stored-item';
import {
  DEFAULT_LAG_ALLOWANCE_MS,
  DEFAULT_RECONCILE_PAGE_SIZE,
  DEFAULT_TOMBSTONE_TTL_DAYS,
} from '../src/defaults';
import { CodatApi } from '../src/reconcile/codat-api';
import { InMemoryWalkJournal } from '../src/reconcile/journal';
import { newProgress } from '../src/reconcile/progress';
import { walkPages } from '../src/reconcile/walk';

/** BatchWriteItem's limit. */
const BATCH = 25;
/** Batches in flight at once. */
const BATCHES_IN_FLIGHT = 8;

/** Stores every change handed to `write` in batches of 25; `flush` waits for the last. */
export function batchingWriter(client: DynamoDBClient, tableName: string) {
  let pending: WriteRequest[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const send = async (requests: WriteRequest[]) => {
    let left: WriteRequest[] = requests;
    for (let attempt = 0; left.length > 0; attempt++) {
      if (attempt > 20) throw new Error(`BatchWriteItem left ${left.length} items unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      const { UnprocessedItems } = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [tableName]: left } }),
      );
      left = UnprocessedItems?.[tableName] ?? [];
    }
  };
  const start = (requests: WriteRequest[]) => {
    const sent = send(requests).catch((error: unknown) => {
      failure ??= error;
    });
    const tracked = sent.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  return {
    write: async (change: ConnectionChange) => {
      if (failure) throw failure;
      pending.push({ PutRequest: { Item: newImageOf(marshalChange(change).item, undefined) } });
      if (pending.length >= BATCH) {
        start(pending);
        pending = [];
        while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
      }
      return 'applied' as const;
    },
    flush: async () => {
      if (pending.length > 0) start(pending);
      pending = [];
      await Promise.all(inFlight);
      if (failure) throw failure;
    },
  };
}

/** Seeds `tableName` with the first walk's items of the account at `apiUrl`; gives back the connections stored. */
export async function seedByBatches(options: {
  client: DynamoDBClient;
  tableName: string;
  apiUrl: string;
  apiKey: string;
}): Promise<number> {
  const writer = batchingWriter(options.client, options.tableName);
  const walkId = `bench-seed-${Date.now()}`;
  const progress = newProgress(walkId, new Date(), DEFAULT_RECONCILE_PAGE_SIZE);
  const nothing = { listByCompany: async () => [], get: async () => undefined };
  await walkPages(
    progress,
    {
      api: new CodatApi({ apiKey: options.apiKey, baseUrl: options.apiUrl }),
      reader: nothing,
      writer,
      journal: new InMemoryWalkJournal(),
      companies: { companiesWithLiveConnections: async function* () {} },
      clock: { walkId, lagAllowanceMs: DEFAULT_LAG_ALLOWANCE_MS },
      tombstoneTtlDays: DEFAULT_TOMBSTONE_TTL_DAYS,
      concurrency: 8,
      now: () => new Date(),
    },
    { stepDeadline: Number.POSITIVE_INFINITY, walkBudgetMs: 60 * 60_000 },
  );
  await writer.flush();
  if (progress.failedPageCount > 0 || progress.totals.invalid > 0) {
    throw new Error(`seeding: the walk was incomplete (${JSON.stringify(progress.failedPages)})`);
  }
  return progress.totals.created;
}

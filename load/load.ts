/**
 * The load run as a library: `npm run load` (load/cli.ts) and the reliability tests share it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { seededRandom } from '../local/seeded-random';
import { startLocalServer } from '../local/server';
import { CONNECTION_EVENT_TYPES } from '../src/connection/schema';
import { createLogger } from '../src/observability/powertools';
import { signDelivery } from '../src/webhook/sign';
import { actualTable, differences, expectedTable, type HistoryEvent, historyEvent } from './history';

/** What `runLoad` sends; every field has a default. */
export interface LoadOptions {
  /** @default 20000 */
  deliveries?: number;
  /** Share of deliveries that repeat an earlier event. @default 0.2 */
  duplicateRatio?: number;
  /** Requests in flight at once. @default 64 */
  concurrency?: number;
  /** Seeds the history and the shuffle, so that a run can be repeated. @default 1 */
  seed?: number;
  /**
   * The database: the embedded dynalite (started and stopped here), AWS's DynamoDB Local (the
   * same, on Java), or the DynamoDB at a URL (a fresh table is made there). @default 'dynalite'
   */
  database?: 'dynalite' | 'dynamodb-local' | { endpoint: string };
}

/** What a load run did, and whether the table came out right. */
export interface LoadReport {
  deliveries: number;
  uniqueEvents: number;
  connections: number;
  concurrency: number;
  seconds: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** `200 applied`, `200 duplicate`, `503 …`: how many of each. */
  answers: Record<string, number>;
  serverErrors: number;
  /** Connections whose item differs from the oracle's newest event: lost or wrong. */
  lost: number;
  tableMatchesOracle: boolean;
  /** Which database the run wrote to. */
  database: string;
  /** The peak resident memory of this process, which runs the local server, in MiB. */
  serverPeakRssMiB: number;
}

/** Starts the database a run asked for; an endpoint given is used as it is and left running. */
async function openDatabase(
  choice: NonNullable<LoadOptions['database']>,
): Promise<{ endpoint: string; name: string; close(): Promise<void> }> {
  if (typeof choice === 'object')
    return { endpoint: choice.endpoint, name: choice.endpoint, close: async () => {} };
  const started = choice === 'dynalite' ? await startEmbeddedDynamoDb() : await startDynamoDbLocal();
  return { ...started, name: choice === 'dynalite' ? 'dynalite (embedded)' : 'DynamoDB Local' };
}

/** A date-time in one of the forms Codat sends: UTC with milliseconds or 7 digits, or an offset. */
function dateTimeIn(millis: number, form: number, extraDigits: number): string {
  const utc = new Date(millis).toISOString();
  if (form === 0) return utc;
  if (form === 1) return `${utc.slice(0, 23)}${String(extraDigits).padStart(4, '0')}Z`;
  const shifted = new Date(millis - 5 * 3_600_000).toISOString();
  return `${shifted.slice(0, 23)}-05:00`;
}

/** Events over many connections, with repeats, shuffled: what an at-least-once sender may deliver. */
export function shuffledHistory(deliveries: number, duplicateRatio: number, seed: number) {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
  const uniqueEvents = Math.max(1, Math.round(deliveries * (1 - duplicateRatio)));
  const connections = Array.from({ length: Math.max(1, Math.round(uniqueEvents / 8)) }, (_, index) => ({
    companyId: `company-${Math.floor(index / 4)}-${seed}`,
    connectionId: randomUUID(),
  }));
  const start = Date.parse('2026-11-28T10:00:00Z');
  const unique: HistoryEvent[] = Array.from({ length: uniqueEvents }, () =>
    historyEvent({
      id: randomUUID(),
      eventType: pick(CONNECTION_EVENT_TYPES),
      ...pick(connections),
      // A narrow window, so that many events of one connection share a millisecond.
      generatedDate: dateTimeIn(
        start + Math.floor(next() * 60_000),
        Math.floor(next() * 3),
        Math.floor(next() * 10_000),
      ),
    }),
  );
  const all = [...unique];
  while (all.length < deliveries) all.push(pick(unique));
  for (let index = all.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [all[index], all[other]] = [all[other] as HistoryEvent, all[index] as HistoryEvent];
  }
  return { unique, deliveries: all, connections: connections.length };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Sends `events` to `url`, each signed as the provider would sign a new attempt, `concurrency` at a time. */
export async function deliverAll(
  url: string,
  secret: string,
  events: readonly HistoryEvent[],
  concurrency: number,
) {
  const answers: Record<string, number> = {};
  const latencies: number[] = [];
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < events.length) {
      const event = events[nextIndex++] as HistoryEvent;
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        // Signed as each new attempt is: the event's own message id, a fresh timestamp.
        headers: signDelivery(secret, event.body, { id: `msg_${event.id}` }),
        body: event.body,
      });
      const answer = (await response.json()) as { result?: string; error?: string };
      latencies.push(performance.now() - started);
      const kind = `${response.status} ${answer.result ?? answer.error}`;
      answers[kind] = (answers[kind] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { answers, latencies };
}

/** A bounded load on a local server of its own, over loopback only, checked against the oracle. */
export async function runLoad(options: LoadOptions = {}): Promise<LoadReport> {
  const { deliveries = 20_000, duplicateRatio = 0.2, concurrency = 64, seed = 1 } = options;
  const history = shuffledHistory(deliveries, duplicateRatio, seed);
  const database = await openDatabase(options.database ?? 'dynalite');
  const client = localDynamoDbClient(database.endpoint);
  // A table of its own, so that a shared database's other tables are never touched.
  const tableName = `connections-load-${randomUUID()}`;
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  await ensureConnectionTable(client, tableName);
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const server = await startLocalServer({
    port: 0,
    signingSecret: secret,
    dynamoDbEndpoint: database.endpoint,
    tableName,
    logger: createLogger({ stage: 'load', logLevel: 'error' }),
  });
  try {
    const started = performance.now();
    const { answers, latencies } = await deliverAll(
      server.webhookUrl,
      secret,
      history.deliveries,
      concurrency,
    );
    const seconds = (performance.now() - started) / 1000;
    const wrong = differences(expectedTable(history.unique), await actualTable(client, tableName));
    latencies.sort((a, b) => a - b);
    const serverErrors = Object.entries(answers)
      .filter(([kind]) => kind.startsWith('5'))
      .reduce((sum, [, count]) => sum + count, 0);
    return {
      deliveries: history.deliveries.length,
      uniqueEvents: history.unique.length,
      connections: history.connections,
      concurrency,
      seconds: Math.round(seconds * 100) / 100,
      deliveriesPerSecond: Math.round(history.deliveries.length / seconds),
      p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
      p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
      maxMs: Math.round((latencies.at(-1) ?? 0) * 10) / 10,
      answers,
      serverErrors,
      lost: wrong.length,
      tableMatchesOracle: wrong.length === 0,
      database: database.name,
      serverPeakRssMiB: Math.round((Math.max(peakRss, process.memoryUsage.rss()) / 2 ** 20) * 10) / 10,
    };
  } finally {
    clearInterval(sampler);
    await server.close();
    client.destroy();
    await database.close();
  }
}

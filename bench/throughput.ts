/**
 * Throughput through one local HTTP server (API Gateway's payload 2.0, as the local run serves
 * it) at the same concurrency on both sides: the receiver as Lambda runs it, against a bare
 * UpdateItem of the same item behind the same server, and the process's peak memory.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { httpApi } from '../local/lambda-http';
import { buildUpdate } from '../src/connection/connection-update';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { DEFAULT_LOCAL_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, WEBHOOK_PATH } from '../src/defaults';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import { changeOf, discardingOutput, newDelivery, receiverDefaults } from './support';

/** Requests in flight at once, on each side. */
export const THROUGHPUT_CONCURRENCY = 32;
/** Requests per side, in two interleaved rounds. */
export const THROUGHPUT_REQUESTS = 5_000;
const THROUGHPUT_WARMUP = 500;
const BARE_PATH = '/bare';

/** Deliveries per second on each side, the receiver's answers and the peak RSS. */
export interface ThroughputFigures {
  requestsPerSide: number;
  concurrency: number;
  receiverPerSecond: number;
  barePerSecond: number;
  outcomes: Record<string, number>;
  peakRssBytes: number;
}

/** Runs `one(0)` … `one(total - 1)`, `concurrency` at a time. */
async function runConcurrently(total: number, concurrency: number, one: (index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      await one(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** POSTs through `agent`: a keep-alive pool of one connection per worker, so that no round pays for connecting. */
function post(
  agent: Agent,
  url: URL,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Alternates rounds of signed deliveries to the receiver with rounds of bare UpdateItems (bare,
 * receiver, receiver, bare), after a warm-up of each, all through the same server and client.
 */
export async function measureThroughput(): Promise<ThroughputFigures> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);

  const database = await startEmbeddedDynamoDb();
  const client = localDynamoDbClient(database.endpoint);
  const tableName = `bench-${randomUUID()}`;
  await ensureConnectionTable(client, tableName);
  const receiver = createReceiver({
    ...receiverDefaults,
    writer: new DynamoDbConnectionStore(client, tableName),
    log: new DeliveryLog({ stage: 'bench', logLevel: 'info' }),
  });
  // The bare side's commands are built before its round; the request names the one to send.
  let commands: ReturnType<typeof buildUpdate>[] = [];
  const bare = async (event: { headers: Record<string, string | undefined> }) => {
    await client.send(commands[Number(event.headers['x-bench-index'])] as ReturnType<typeof buildUpdate>);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"result":"applied"}' };
  };
  const listener = httpApi(
    [
      { method: 'POST', path: WEBHOOK_PATH, handler: receiver },
      { method: 'POST', path: BARE_PATH, handler: bare },
    ],
    { maxBodyBytes: DEFAULT_MAX_BODY_BYTES, timeoutMs: DEFAULT_LOCAL_TIMEOUT_MS },
  );
  const server = createServer((request, response) => void listener(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: THROUGHPUT_CONCURRENCY });
  const outcomes: Record<string, number> = {};

  const receiverSide = async (count: number, record: boolean) => {
    // Signed just before the round, outside the timed section: the load generator shares the CPU.
    const deliveries = Array.from({ length: count }, () => newDelivery());
    const url = new URL(WEBHOOK_PATH, base);
    const start = performance.now();
    await runConcurrently(count, THROUGHPUT_CONCURRENCY, async (index) => {
      const delivery = deliveries[index] as (typeof deliveries)[number];
      const response = await post(agent, url, delivery.body, delivery.headers);
      if (record) {
        const key = `${response.status} ${response.body}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      }
    });
    return performance.now() - start;
  };
  const bareSide = async (count: number) => {
    const deliveries = Array.from({ length: count }, () => newDelivery());
    commands = deliveries.map((delivery) => buildUpdate(tableName, changeOf(delivery.event)));
    const url = new URL(BARE_PATH, base);
    const start = performance.now();
    await runConcurrently(count, THROUGHPUT_CONCURRENCY, async (index) => {
      const delivery = deliveries[index] as (typeof deliveries)[number];
      const response = await post(agent, url, delivery.body, { 'x-bench-index': String(index) });
      if (response.status !== 200) throw new Error(`bare answered ${response.status} ${response.body}`);
    });
    return performance.now() - start;
  };

  const half = THROUGHPUT_REQUESTS / 2;
  const { receiverMs, bareMs } = await discardingOutput(async () => {
    await receiverSide(THROUGHPUT_WARMUP, false);
    await bareSide(THROUGHPUT_WARMUP);
    let bareTotal = await bareSide(half);
    let receiverTotal = await receiverSide(half, true);
    receiverTotal += await receiverSide(half, true);
    bareTotal += await bareSide(half);
    return { receiverMs: receiverTotal, bareMs: bareTotal };
  });

  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  agent.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  client.destroy();
  await database.close();
  return {
    requestsPerSide: THROUGHPUT_REQUESTS,
    concurrency: THROUGHPUT_CONCURRENCY,
    receiverPerSecond: THROUGHPUT_REQUESTS / (receiverMs / 1000),
    barePerSecond: THROUGHPUT_REQUESTS / (bareMs / 1000),
    outcomes,
    peakRssBytes: peakRss,
  };
}

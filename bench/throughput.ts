/**
 * Throughput through the local HTTP server against bare UpdateItems at the same concurrency,
 * and the process's peak memory while both run.
 */
import { Agent, request as httpRequest } from 'node:http';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { startLocalServer } from '../local/server';
import { buildUpdate } from '../src/connection/dynamodb-store';
import { DEFAULT_LOCAL_TABLE_NAME } from '../src/defaults';
import { BENCH_SECRET, changeOf, newDelivery, silentLogger } from './support';

/** Requests in flight at once, on each side. */
export const THROUGHPUT_CONCURRENCY = 32;
/** Requests per side, in two interleaved rounds. */
export const THROUGHPUT_REQUESTS = 5_000;
const THROUGHPUT_WARMUP = 500;

/** Deliveries per second on each side, the server's answers and the peak RSS. */
export interface ThroughputFigures {
  requestsPerSide: number;
  concurrency: number;
  serverPerSecond: number;
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
 * Alternates rounds of signed deliveries to the local server with rounds of bare UpdateItems
 * on its database (bare, server, server, bare), after a warm-up of each.
 */
export async function measureThroughput(): Promise<ThroughputFigures> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);

  const server = await startLocalServer({ port: 0, signingSecret: BENCH_SECRET, logger: silentLogger() });
  const client = localDynamoDbClient(server.dynamoDbEndpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: THROUGHPUT_CONCURRENCY });
  const url = new URL(server.webhookUrl);
  const outcomes: Record<string, number> = {};

  const serverSide = async (count: number, record: boolean) => {
    // Signed just before the round, outside the timed section: the load generator shares the CPU.
    const deliveries = Array.from({ length: count }, () => newDelivery());
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
    const commands = Array.from({ length: count }, () =>
      buildUpdate(DEFAULT_LOCAL_TABLE_NAME, changeOf(newDelivery().event)),
    );
    const start = performance.now();
    await runConcurrently(count, THROUGHPUT_CONCURRENCY, async (index) => {
      await client.send(commands[index] as (typeof commands)[number]);
    });
    return performance.now() - start;
  };

  await serverSide(THROUGHPUT_WARMUP, false);
  await bareSide(THROUGHPUT_WARMUP);
  let serverMs = 0;
  let bareMs = 0;
  const half = THROUGHPUT_REQUESTS / 2;
  bareMs += await bareSide(half);
  serverMs += await serverSide(half, true);
  serverMs += await serverSide(half, true);
  bareMs += await bareSide(half);

  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  agent.destroy();
  client.destroy();
  await server.close();
  return {
    requestsPerSide: THROUGHPUT_REQUESTS,
    concurrency: THROUGHPUT_CONCURRENCY,
    serverPerSecond: THROUGHPUT_REQUESTS / (serverMs / 1000),
    barePerSecond: THROUGHPUT_REQUESTS / (bareMs / 1000),
    outcomes,
    peakRssBytes: peakRss,
  };
}

/**
 * The reconciler's figure: `npm run reconcile`, as a person runs it, over an account unchanged
 * since the last walk. The fake API and the database run here; the walk runs in a child process
 * of its own, so that its peak memory is its own. Every DynamoDB call is counted by operation at
 * a proxy in front of the database, every API request by the fake's own log.
 */
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { startFakeCodatApi } from '../local/fake-codat-api/server';
import { DEFAULT_RECONCILE_PAGE_SIZE } from '../src/defaults';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ReconcileFigures {
  companies: number;
  connections: number;
  /** API requests of the walk over the unchanged account, and the fewest that paging allows. */
  apiRequests: number;
  minimumApiRequests: number;
  /** DynamoDB calls of that walk, by operation. */
  dynamoDbCalls: Record<string, number>;
  writes: number;
  seconds: number;
  peakRssMiB: number;
  /** The heap the walk still held at its end, after a full collection: what it keeps. */
  liveHeapMiB: number;
}

/** A proxy that counts DynamoDB operations (their `X-Amz-Target`) on their way to `target`. */
async function countingProxy(target: string) {
  const calls: Record<string, number> = {};
  const { hostname, port } = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const operation =
      String(incoming.headers['x-amz-target'] ?? 'unknown')
        .split('.')
        .pop() ?? 'unknown';
    calls[operation] = (calls[operation] ?? 0) + 1;
    const forward = request(
      { host: hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(forward);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Runs `npm run reconcile` as a child; gives back its peak memory and how long it took. */
async function reconcileOnce(
  env: Record<string, string>,
): Promise<{ peakRssMiB: number; liveHeapMiB: number; seconds: number }> {
  const started = performance.now();
  const child = spawn(`${ROOT}node_modules/.bin/tsx`, ['local/reconcile.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      NODE_OPTIONS: `--expose-gc --import ${ROOT}bench/max-rss.mjs`,
      PATH: `${ROOT}node_modules/.bin:${process.env.PATH}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`npm run reconcile exited ${code}:\n${output.slice(-2000)}`);
  // tsx runs the script in a child of its own: the largest figure is the walk's.
  const peaks = [...output.matchAll(/bench-max-rss-kib=(\d+)/g)].map((match) => Number(match[1]));
  const live = [...output.matchAll(/bench-live-heap-kib=(\d+)/g)].map((match) => Number(match[1]));
  return {
    peakRssMiB: Math.max(...peaks) / 1024,
    liveHeapMiB: Math.max(...live) / 1024,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Fills the table with one walk, then measures a second walk over the same, unchanged account. */
export async function measureReconcile(
  companies = 10_000,
  connectionsPerCompany = 2,
): Promise<ReconcileFigures> {
  const database = await startEmbeddedDynamoDb();
  const proxy = await countingProxy(database.endpoint);
  const api = await startFakeCodatApi({ accountOptions: { companies, connectionsPerCompany } });
  const tableName = 'bench-reconcile';
  const client = localDynamoDbClient(database.endpoint);
  try {
    await ensureConnectionTable(client, tableName);
    const env = {
      CODAT_API_KEY: api.apiKey,
      CODAT_API_URL: api.url,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      TABLE_NAME: tableName,
    };
    await reconcileOnce(env);
    api.log.clear();
    for (const operation of Object.keys(proxy.calls)) delete proxy.calls[operation];
    const walk = await reconcileOnce(env);
    const writes = ['UpdateItem', 'PutItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']
      .map((operation) => proxy.calls[operation] ?? 0)
      .reduce((sum, count) => sum + count, 0);
    return {
      companies,
      connections: companies * connectionsPerCompany,
      apiRequests: api.log.count(),
      minimumApiRequests: Math.ceil(companies / DEFAULT_RECONCILE_PAGE_SIZE),
      dynamoDbCalls: { ...proxy.calls },
      writes,
      seconds: Math.round(walk.seconds * 10) / 10,
      peakRssMiB: Math.round(walk.peakRssMiB * 10) / 10,
      liveHeapMiB: Math.round(walk.liveHeapMiB * 10) / 10,
    };
  } finally {
    client.destroy();
    await api.close();
    await proxy.close();
    await database.close();
  }
}

/** The reconciler's rows of the bench's table (same shape as report.ts's rows). */
export function reconcileRows(large: ReconcileFigures, small: ReconcileFigures) {
  const account = `${large.companies.toLocaleString('en')} companies, ${large.connections.toLocaleString('en')} connections, unchanged`;
  const reads = Object.entries(large.dynamoDbCalls)
    .filter(([operation]) => operation !== 'CreateTable')
    .map(([operation, count]) => `${operation} ${count}`)
    .join(', ');
  const memoryRatio = large.peakRssMiB / small.peakRssMiB;
  return [
    {
      figure: `reconcile (${account}): API requests`,
      measured: `${large.apiRequests} / fewest paging allows ${large.minimumApiRequests}`,
      ratio: large.apiRequests / large.minimumApiRequests,
      goal: '= the fewest',
      met: large.apiRequests === large.minimumApiRequests,
    },
    {
      figure: 'reconcile: DynamoDB item writes',
      measured: `${large.writes}`,
      ratio: undefined,
      goal: '0',
      met: large.writes === 0,
    },
    {
      figure: 'reconcile: DynamoDB reads',
      measured: reads,
      ratio: undefined,
      goal: 'reported',
      met: undefined,
    },
    {
      figure: 'reconcile: wall time of the walk (npm run reconcile, start to exit)',
      measured: `${large.seconds} s`,
      ratio: undefined,
      goal: 'reported',
      met: undefined,
    },
    {
      figure: `reconcile: peak memory (RSS) of the walk, ${large.companies.toLocaleString('en')} vs ${small.companies.toLocaleString('en')} companies`,
      measured: `${large.peakRssMiB} MiB / ${small.peakRssMiB} MiB`,
      ratio: memoryRatio,
      goal: 'reported',
      met: undefined,
    },
    {
      figure: 'reconcile: heap still held when the walk ends, after a full collection',
      measured: `${large.liveHeapMiB} MiB / ${small.liveHeapMiB} MiB`,
      ratio: large.liveHeapMiB / small.liveHeapMiB,
      goal: 'reported',
      met: undefined,
    },
  ];
}

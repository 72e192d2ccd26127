/**
 * The reconciler's figure: `npm run reconcile`, as a person runs it, over an account unchanged
 * since the last walk, on the fake Codat API and AWS's DynamoDB Local. The walk runs in a child
 * process of its own, whose resident memory is sampled while it runs, apart for the walk of
 * the pages and for the sweep (which starts with its Scan). Every DynamoDB call and the
 * capacity it consumed are counted at a proxy in front of the database (dynamodb-proxy.ts),
 * every API request by the fake's own log.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureConnectionTable } from '../local/embedded-dynamodb';
import { startFakeCodatApi } from '../local/fake-codat-api/server';
import { CLIENT_POLICIES, createDynamoDbClient } from '../src/aws/clients';
import { DEFAULT_RECONCILE_PAGE_SIZE } from '../src/defaults';
import { NODE } from './deployed-bundle';
import { type ProxyTally, startDynamoDbProxy, sumOf, WRITE_OPERATIONS } from './dynamodb-proxy';
import { seedByBatches } from './reconcile-seed';
import { sampleResidentMemory } from './rss-sampler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ReconcileFigures {
  companies: number;
  connections: number;
  /** How the table was filled before the measured walk, and how long that took. */
  seeding: { method: string; connections: number; seconds: number };
  /** API requests of the walk over the unchanged account, and the fewest that paging allows. */
  apiRequests: number;
  minimumApiRequests: number;
  /** DynamoDB calls and capacity units of that walk, by operation. */
  dynamoDb: ProxyTally;
  writes: number;
  /** Start to exit of `npm run reconcile`; the walk of the pages and the sweep apart. */
  seconds: number;
  walkSeconds: number;
  sweepSeconds: number;
  /** Peak resident memory sampled while the pages were walked, and while the sweep ran. */
  walkPeakRssMiB: number;
  sweepPeakRssMiB: number;
  /** The process's own peak (VmHWM) at exit. */
  exitPeakRssMiB: number;
  /** The heap the walk still held at its end, after a full collection: what it keeps. */
  liveHeapMiB: number;
  /** Peaks sampled inside the walk's process: V8's heap, and the memory outside it. */
  heapTotalPeakMiB: number;
  heapUsedPeakMiB: number;
  externalPeakMiB: number;
  /** Why the measured walk failed, when it did: the other figures are then NaN. */
  failure?: string;
}

interface Run {
  seconds: number;
  walkSeconds: number;
  peaks: Record<string, number>;
  exitPeakRssMiB: number;
  liveHeapMiB: number;
  heapTotalPeakMiB: number;
  heapUsedPeakMiB: number;
  externalPeakMiB: number;
}

/** Runs `npm run reconcile` (local/reconcile.ts under tsx, in one process) and samples its memory. */
async function reconcileOnce(
  env: Record<string, string>,
  onOperation: (listen: (op: string) => void) => void,
) {
  const started = performance.now();
  const child = spawn(
    NODE,
    ['--expose-gc', '--import', 'tsx', '--import', `${ROOT}bench/max-rss.mjs`, 'local/reconcile.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, PATH: `${ROOT}node_modules/.bin:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const memory = sampleResidentMemory(child.pid as number, 'walk');
  let walkSeconds = Number.NaN;
  onOperation((operation) => {
    if (operation !== 'Scan' || !Number.isNaN(walkSeconds)) return;
    walkSeconds = (performance.now() - started) / 1000;
    memory.phase('sweep');
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const { peaksMiB } = memory.stop();
  if (code !== 0) {
    const during = Number.isNaN(walkSeconds)
      ? 'walking the pages'
      : `in the sweep, ${walkSeconds.toFixed(1)} s in`;
    throw new Error(`npm run reconcile exited ${code} ${during}:\n${output.slice(-2000)}`);
  }
  const kib = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(output)?.[1] ?? Number.NaN);
  return {
    seconds: (performance.now() - started) / 1000,
    walkSeconds,
    peaks: peaksMiB,
    exitPeakRssMiB: kib('bench-max-rss-kib') / 1024,
    liveHeapMiB: kib('bench-live-heap-kib') / 1024,
    heapTotalPeakMiB: kib('bench-peak-heap-total-kib') / 1024,
    heapUsedPeakMiB: kib('bench-peak-heap-used-kib') / 1024,
    externalPeakMiB: kib('bench-peak-external-kib') / 1024,
  } satisfies Run;
}

const tenth = (value: number) => Math.round(value * 10) / 10;

/** Seeds the table as a first walk fills it, then measures a walk over the same, unchanged account. */
export async function measureReconcile(
  companies = 10_000,
  connectionsPerCompany = 2,
): Promise<ReconcileFigures> {
  const database = await startDynamoDbLocal();
  const proxy = await startDynamoDbProxy(database.endpoint);
  const api = await startFakeCodatApi({ accountOptions: { companies, connectionsPerCompany } });
  const tableName = 'bench-reconcile';
  // Seeding sends large batches to a JVM that is not warm yet: more time than the walk's 2 s.
  const client = createDynamoDbClient({
    endpoint: database.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { ...CLIENT_POLICIES.dynamoDb.requestHandler, requestTimeout: 30_000 },
  });
  try {
    await ensureConnectionTable(client, tableName);
    const seedStart = performance.now();
    const seeded = await seedByBatches({ client, tableName, apiUrl: api.url, apiKey: api.apiKey });
    const seeding = {
      method: 'BatchWriteItem of the first walk’s items',
      connections: seeded,
      seconds: tenth((performance.now() - seedStart) / 1000),
    };
    api.log.clear();
    proxy.reset();
    const env = {
      CODAT_API_KEY: api.apiKey,
      CODAT_API_URL: api.url,
      DYNAMODB_ENDPOINT: proxy.endpoint,
      TABLE_NAME: tableName,
    };
    let run: Run;
    let failure: string | undefined;
    try {
      run = await reconcileOnce(env, (listen) => {
        proxy.onOperation = listen;
      });
    } catch (error) {
      // Reported as a row that is not met, so that one failed walk does not lose the whole table.
      failure = (error instanceof Error ? error.message : String(error))
        .split('\n')
        .filter((line) => /failed|exited/.test(line))
        .join(' ');
      const none = Number.NaN;
      run = {
        seconds: none,
        walkSeconds: none,
        peaks: {},
        exitPeakRssMiB: none,
        liveHeapMiB: none,
        heapTotalPeakMiB: none,
        heapUsedPeakMiB: none,
        externalPeakMiB: none,
      };
    }
    const tally = proxy.tally;
    return {
      companies,
      connections: companies * connectionsPerCompany,
      seeding,
      apiRequests: api.log.count(),
      minimumApiRequests: Math.ceil(companies / DEFAULT_RECONCILE_PAGE_SIZE),
      dynamoDb: tally,
      writes: sumOf(tally.calls, WRITE_OPERATIONS),
      seconds: tenth(run.seconds),
      walkSeconds: tenth(run.walkSeconds),
      sweepSeconds: tenth(run.seconds - run.walkSeconds),
      walkPeakRssMiB: tenth(run.peaks.walk ?? Number.NaN),
      sweepPeakRssMiB: tenth(run.peaks.sweep ?? Number.NaN),
      exitPeakRssMiB: tenth(run.exitPeakRssMiB),
      liveHeapMiB: tenth(run.liveHeapMiB),
      heapTotalPeakMiB: tenth(run.heapTotalPeakMiB),
      heapUsedPeakMiB: tenth(run.heapUsedPeakMiB),
      externalPeakMiB: tenth(run.externalPeakMiB),
      ...(failure ? { failure } : {}),
    };
  } finally {
    client.destroy();
    await api.close();
    await proxy.close();
    await database.close();
  }
}

/**
 * `npm run bench`: what the receiver costs compared with a bare DynamoDB UpdateItem, on this
 * machine. Prints one table and writes the same figures to bench/results/bench.json.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { Webhook } from 'standardwebhooks';
import * as v from 'valibot';
import { BUNDLE_MAIN_FIELDS, BUNDLE_TARGET, ESM_REQUIRE_BANNER } from '../lib/bundling';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { lambdaContext } from '../local/lambda-context';
import { sampleEvent } from '../local/sample-events';
import { startLocalServer } from '../local/server';
import { toConnectionChange } from '../src/connection/connection-change';
import { buildUpdate, createDynamoDbClient, DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { ConnectionEvent } from '../src/connection/schema';
import type { ConnectionChange, ConnectionStore } from '../src/connection/store';
import { createLogger, createMetrics } from '../src/observability/powertools';
import { createReceiver } from '../src/webhook/receiver';
import { parseSigningSecrets, verifySignature } from '../src/webhook/signature';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

const LATENCY_WARMUP_PAIRS = 300;
const LATENCY_PAIRS = 2_000;
const THROUGHPUT_CONCURRENCY = 32;
const THROUGHPUT_REQUESTS = 5_000; // per side, in two interleaved rounds
const THROUGHPUT_WARMUP = 500;
const COLD_START_RUNS = 9;
const CALLS_PER_KIND = 20;
const BREAKDOWN_ITERATIONS = 2_000;

const secret = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
const signer = new Webhook(secret);
const secrets = parseSigningSecrets(secret);

// ---------------------------------------------------------------------------------------------
// helpers

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

const median = (samples: readonly number[]) => percentile(samples, 50);
const silentLogger = () => {
  const logger = createLogger({ stage: 'bench' });
  logger.setLogLevel('SILENT');
  return logger;
};
const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function signedHeaders(body: string, id = `msg_${randomUUID()}`): Record<string, string> {
  const at = new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signer.sign(id, at, body),
  };
}

function apiEvent(body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/codat',
    rawPath: '/webhooks/codat',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: 'POST',
        path: '/webhooks/codat',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: randomUUID(),
      routeKey: 'POST /webhooks/codat',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body,
    isBase64Encoded: false,
  };
}

/** A new connection event (new connection id, so it is always applied) as a signed delivery. */
function newDelivery(eventType = 'connection.connected') {
  const event = sampleEvent({ eventType, connectionId: randomUUID() });
  const body = JSON.stringify(event);
  return { event, body, headers: signedHeaders(body) };
}

/** The change the receiver makes of an event, built outside any timed section. */
function changeOf(event: unknown): ConnectionChange {
  return toConnectionChange(v.parse(ConnectionEvent, event), {
    receivedAt: new Date(),
    tombstoneTtlDays: 30,
  });
}

function localClient(endpoint: string): DynamoDBClient {
  return createDynamoDbClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Counts every command sent through `client`, once per `send` (retries not included). */
function countCalls(client: DynamoDBClient): { count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return counter;
}

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

// ---------------------------------------------------------------------------------------------
// 1. per-delivery cost in process, and a breakdown of the handler's own work

async function measureLatency() {
  const database = await startEmbeddedDynamoDb();
  const client = localClient(database.endpoint);
  const tableName = `bench-${randomUUID()}`;
  await ensureConnectionTable(client, tableName);
  const handler = createReceiver({
    writer: new DynamoDbConnectionStore(client, tableName),
    signingSecrets: async () => secrets,
    tombstoneTtlDays: 30,
    logger: silentLogger(),
  });

  const handlerMs: number[] = [];
  const bareMs: number[] = [];
  const outcomes: Record<string, number> = {};
  const oneHandler = async (record: boolean) => {
    const { body, headers } = newDelivery();
    const event = apiEvent(body, headers);
    const context = lambdaContext();
    const start = performance.now();
    const response = await handler(event, context);
    const elapsed = performance.now() - start;
    if (!record) return;
    handlerMs.push(elapsed);
    const key = `${response.statusCode} ${response.body}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  };
  const oneBare = async (record: boolean) => {
    const command = buildUpdate(tableName, changeOf(newDelivery().event));
    const start = performance.now();
    await client.send(command);
    const elapsed = performance.now() - start;
    if (record) bareMs.push(elapsed);
  };
  // A third, interleaved with them, for attribution: the store's write alone (buildUpdate + send).
  const store = new DynamoDbConnectionStore(client, tableName);
  const storeMs: number[] = [];
  const oneStore = async (record: boolean) => {
    const change = changeOf(newDelivery().event);
    const start = performance.now();
    await store.write(change);
    const elapsed = performance.now() - start;
    if (record) storeMs.push(elapsed);
  };
  const variants = [oneHandler, oneBare, oneStore];
  for (let index = 0; index < LATENCY_WARMUP_PAIRS + LATENCY_PAIRS; index++) {
    const record = index >= LATENCY_WARMUP_PAIRS;
    // Rotate the order, so that no variant always follows the same one.
    for (let step = 0; step < variants.length; step++) {
      await variants[(index + step) % variants.length]?.(record);
    }
  }

  client.destroy();
  await database.close();
  return {
    pairs: LATENCY_PAIRS,
    handlerP50Ms: percentile(handlerMs, 50),
    handlerP99Ms: percentile(handlerMs, 99),
    bareP50Ms: percentile(bareMs, 50),
    bareP99Ms: percentile(bareMs, 99),
    storeWriteP50Ms: percentile(storeMs, 50),
    storeWriteP99Ms: percentile(storeMs, 99),
    outcomes,
  };
}

/** p50 of the handler's steps without any database, to see where its own time goes. */
async function measureBreakdown() {
  const noDatabase: ConnectionStore = {
    write: async () => 'applied',
    tombstoneCompany: async () => ({ tombstoned: 0, unchanged: 0 }),
    get: async () => undefined,
    listByCompany: async () => [],
  };
  const handler = createReceiver({
    writer: noDatabase,
    signingSecrets: async () => secrets,
    tombstoneTtlDays: 30,
    logger: silentLogger(),
  });
  // As functions/receive-webhook.ts builds it: a JSON log line and EMF metrics per delivery.
  const logger = createLogger({ stage: 'bench', logLevel: 'info' });
  const metrics = createMetrics({ stage: 'bench' });
  const instrumented = createReceiver({
    writer: noDatabase,
    signingSecrets: async () => secrets,
    tombstoneTtlDays: 30,
    logger,
    metrics,
  });
  const steps: Record<string, number[]> = {
    'whole handler, no database (middy, signature, valibot, change, log)': [],
    'whole handler, no database, as in Lambda (Powertools Logger + Metrics, output discarded)': [],
    'signature check (verifySignature)': [],
    'JSON.parse + valibot ConnectionEvent': [],
    'toConnectionChange + buildUpdate': [],
  };
  const time = (name: string, work: () => void) => {
    const start = performance.now();
    work();
    steps[name]?.push(performance.now() - start);
  };
  for (let index = 0; index < BREAKDOWN_ITERATIONS + 200; index++) {
    const { body, headers } = newDelivery();
    const start = performance.now();
    await handler(apiEvent(body, headers), lambdaContext());
    if (index >= 200)
      steps['whole handler, no database (middy, signature, valibot, change, log)']?.push(
        performance.now() - start,
      );
    {
      const again = newDelivery();
      const write = process.stdout.write;
      // Powertools writes through its own Console to process.stdout; the cost of building and
      // writing the lines is measured, the bench's own output is kept clean.
      process.stdout.write = (() => true) as typeof process.stdout.write;
      const started = performance.now();
      try {
        await instrumented(apiEvent(again.body, again.headers), lambdaContext());
      } finally {
        process.stdout.write = write;
      }
      if (index >= 200)
        steps[
          'whole handler, no database, as in Lambda (Powertools Logger + Metrics, output discarded)'
        ]?.push(performance.now() - started);
    }
    const bytes = Buffer.from(body);
    time('signature check (verifySignature)', () => {
      verifySignature({ headers, body: bytes, secrets, nowSeconds: Math.floor(Date.now() / 1000) });
    });
    let parsed: ConnectionEvent | undefined;
    time('JSON.parse + valibot ConnectionEvent', () => {
      parsed = v.parse(ConnectionEvent, JSON.parse(body));
    });
    time('toConnectionChange + buildUpdate', () => {
      buildUpdate(
        't',
        toConnectionChange(parsed as ConnectionEvent, { receivedAt: new Date(), tombstoneTtlDays: 30 }),
      );
    });
  }
  return Object.fromEntries(
    Object.entries(steps).map(([name, samples]) => [name, median(samples.slice(-BREAKDOWN_ITERATIONS))]),
  );
}

// ---------------------------------------------------------------------------------------------
// 2. throughput through the local HTTP server, and peak memory

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

async function measureThroughput() {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);

  const server = await startLocalServer({ port: 0, signingSecret: secret, logger: silentLogger() });
  const tableName = 'codat-connections';
  const client = localClient(server.dynamoDbEndpoint);
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
      buildUpdate(tableName, changeOf(newDelivery().event)),
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

// ---------------------------------------------------------------------------------------------
// 3. DynamoDB calls per delivery, per answer kind

async function measureCalls() {
  const database = await startEmbeddedDynamoDb();
  const client = localClient(database.endpoint);
  const tableName = `bench-${randomUUID()}`;
  await ensureConnectionTable(client, tableName);
  const counter = countCalls(client);
  const handler = createReceiver({
    writer: new DynamoDbConnectionStore(client, tableName),
    signingSecrets: async () => secrets,
    tombstoneTtlDays: 30,
    logger: silentLogger(),
  });
  const deliver = async (body: string, headers: Record<string, string>) => {
    const before = counter.count;
    const response = await handler(apiEvent(body, headers), lambdaContext());
    return { status: response.statusCode ?? 0, body: response.body ?? '', calls: counter.count - before };
  };

  const kinds: Record<string, { expect: string; deliveries: number; calls: number; unexpected: number }> = {};
  const record = (kind: string, expect: string, answer: { status: number; body: string; calls: number }) => {
    kinds[kind] ??= { expect, deliveries: 0, calls: 0, unexpected: 0 };
    const entry = kinds[kind];
    entry.deliveries += 1;
    entry.calls += answer.calls;
    if (!`${answer.status} ${answer.body}`.includes(expect)) entry.unexpected += 1;
  };

  for (let index = 0; index < CALLS_PER_KIND; index++) {
    const connectionId = randomUUID();
    const newer = sampleEvent({ eventType: 'connection.connected', connectionId });
    const newerBody = JSON.stringify(newer);
    record('applied', '200 {"result":"applied"}', await deliver(newerBody, signedHeaders(newerBody)));
    // The same event delivered again: a new delivery attempt, the same body.
    record('duplicate', '200 {"result":"duplicate"}', await deliver(newerBody, signedHeaders(newerBody)));
    const older = sampleEvent({
      eventType: 'connection.disconnected',
      connectionId,
      generatedDate: '2020-01-01T00:00:00Z',
    });
    const olderBody = JSON.stringify(older);
    record('stale', '200 {"result":"stale"}', await deliver(olderBody, signedHeaders(olderBody)));
    const other = JSON.stringify(sampleEvent({ eventType: 'company.created' }));
    record('ignored', '200 {"result":"ignored"}', await deliver(other, signedHeaders(other)));
    const fresh = JSON.stringify(
      sampleEvent({ eventType: 'connection.connected', connectionId: randomUUID() }),
    );
    record(
      'rejected 401 (tampered)',
      '401',
      await deliver(fresh.replace('Linked', 'Unlinked'), signedHeaders(fresh)),
    );
    const invalid = JSON.stringify(
      sampleEvent({ eventType: 'connection.connected', connectionId: randomUUID(), status: 'Bogus' }),
    );
    record('rejected 400 (invalid)', '400', await deliver(invalid, signedHeaders(invalid)));
  }
  client.destroy();
  await database.close();
  return Object.fromEntries(
    Object.entries(kinds).map(([kind, entry]) => [
      kind,
      { ...entry, callsPerDelivery: entry.calls / entry.deliveries },
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// 4. the shipped bundle, and its cold start

async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(RESULTS, 'build', name, 'index.mjs');
  // The options lib/node-function.ts gives NodejsFunction, as aws-lambda-nodejs passes them to esbuild.
  await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'esm',
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    external: [], // bundleAwsSDK: true
    logLevel: 'warning',
  });
  return outfile;
}

const COLD_START_SCRIPT = `
const start = performance.now();
const module = await import(process.argv[1]);
if (typeof module.handler !== 'function') throw new Error('no handler');
process.stdout.write(JSON.stringify({ importMs: performance.now() - start, readyMs: performance.now() }));
`;

function coldStart(file: string): { importMs: number; readyMs: number; processMs: number } {
  const start = performance.now();
  const output = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', COLD_START_SCRIPT, pathToFileURL(file).href],
    {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: '--enable-source-maps', // as the stack sets it
        TABLE_NAME: 'bench-table',
        SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
      },
      encoding: 'utf8',
    },
  );
  const processMs = performance.now() - start;
  return { ...(JSON.parse(output) as { importMs: number; readyMs: number }), processMs };
}

async function measureBundles() {
  const receiver = await bundle('functions/receive-webhook.ts', 'receive-webhook');
  const bare = await bundle('bench/bare-handler.ts', 'bare-handler');
  coldStart(receiver);
  coldStart(bare);
  const runs = { receiver: [] as ReturnType<typeof coldStart>[], bare: [] as ReturnType<typeof coldStart>[] };
  for (let index = 0; index < COLD_START_RUNS; index++) {
    runs.receiver.push(coldStart(receiver));
    runs.bare.push(coldStart(bare));
  }
  const summary = (samples: ReturnType<typeof coldStart>[]) => ({
    importMs: median(samples.map((s) => s.importMs)),
    readyMs: median(samples.map((s) => s.readyMs)),
    processMs: median(samples.map((s) => s.processMs)),
  });
  return {
    receiverBytes: statSync(receiver).size,
    bareBytes: statSync(bare).size,
    runs: COLD_START_RUNS,
    receiver: summary(runs.receiver),
    bare: summary(runs.bare),
  };
}

// ---------------------------------------------------------------------------------------------
// the run

const startedAt = new Date();
const wallStart = performance.now();
mkdirSync(RESULTS, { recursive: true });
process.stderr.write('bench: bundles and cold starts…\n');
const bundles = await measureBundles();
process.stderr.write('bench: DynamoDB calls per delivery…\n');
const calls = await measureCalls();
process.stderr.write('bench: latency, interleaved…\n');
const latency = await measureLatency();
process.stderr.write('bench: handler breakdown…\n');
const breakdown = await measureBreakdown();
process.stderr.write('bench: throughput…\n');
const throughput = await measureThroughput();

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  totalMemoryBytes: os.totalmem(),
  node: process.version,
  platform: `${os.platform()} ${os.arch()}`,
};

interface Row {
  figure: string;
  measured: string;
  ratio: number | undefined;
  goal: string;
  met: boolean | undefined;
}
const ms = (value: number) => `${value.toFixed(3)} ms`;
const p50Ratio = latency.handlerP50Ms / latency.bareP50Ms;
const p99Ratio = latency.handlerP99Ms / latency.bareP99Ms;
const throughputRatio = throughput.serverPerSecond / throughput.barePerSecond;
const bundleRatio = bundles.receiverBytes / bundles.bareBytes;
const coldRatio = bundles.receiver.importMs / bundles.bare.importMs;
const coldProcessRatio = bundles.receiver.processMs / bundles.bare.processMs;
const callsGoal = (kind: string) => (kind === 'applied' || kind === 'duplicate' || kind === 'stale' ? 1 : 0);

const rows: Row[] = [
  {
    figure: 'per-delivery cost in process, p50',
    measured: `handler ${ms(latency.handlerP50Ms)} / bare UpdateItem ${ms(latency.bareP50Ms)}`,
    ratio: p50Ratio,
    goal: '≤ 1.10',
    met: p50Ratio <= 1.1,
  },
  {
    figure: 'per-delivery cost in process, p99',
    measured: `handler ${ms(latency.handlerP99Ms)} / bare UpdateItem ${ms(latency.bareP99Ms)}`,
    ratio: p99Ratio,
    goal: 'reported',
    met: undefined,
  },
  {
    figure: 'per-delivery cost in process, store.write alone (attribution)',
    measured: `store.write p50 ${ms(latency.storeWriteP50Ms)}, p99 ${ms(latency.storeWriteP99Ms)}; ratio is its p50 / bare p50`,
    ratio: latency.storeWriteP50Ms / latency.bareP50Ms,
    goal: 'reported',
    met: undefined,
  },
  {
    figure: `throughput, concurrency ${THROUGHPUT_CONCURRENCY}`,
    measured: `HTTP server ${throughput.serverPerSecond.toFixed(0)}/s / bare UpdateItem ${throughput.barePerSecond.toFixed(0)}/s`,
    ratio: throughputRatio,
    goal: '≥ 0.80',
    met: throughputRatio >= 0.8,
  },
  {
    figure: 'shipped bundle (minified ESM)',
    measured: `receive-webhook ${bundles.receiverBytes} B / bare client ${bundles.bareBytes} B`,
    ratio: bundleRatio,
    goal: '≤ 1.15',
    met: bundleRatio <= 1.15,
  },
  {
    figure: `cold start, import + build handler (median of ${COLD_START_RUNS})`,
    measured: `receive-webhook ${ms(bundles.receiver.importMs)} / bare ${ms(bundles.bare.importMs)}`,
    ratio: coldRatio,
    goal: '≤ 1.15',
    met: coldRatio <= 1.15,
  },
  {
    figure: `cold start, whole process spawn to exit (median of ${COLD_START_RUNS})`,
    measured: `receive-webhook ${ms(bundles.receiver.processMs)} / bare ${ms(bundles.bare.processMs)}`,
    ratio: coldProcessRatio,
    goal: 'reported',
    met: undefined,
  },
  ...Object.entries(calls).map(([kind, entry]) => ({
    figure: `DynamoDB calls per delivery, ${kind}`,
    measured: `${entry.calls} calls / ${entry.deliveries} deliveries${entry.unexpected ? ` (${entry.unexpected} unexpected answers!)` : ''}`,
    ratio: entry.callsPerDelivery,
    goal: `${callsGoal(kind)}`,
    met: entry.callsPerDelivery === callsGoal(kind) && entry.unexpected === 0,
  })),
  {
    figure: 'peak memory (RSS) during throughput run',
    measured: `${(throughput.peakRssBytes / 2 ** 20).toFixed(1)} MiB`,
    ratio: undefined,
    goal: 'reported',
    met: undefined,
  },
  ...Object.entries(breakdown).map(([step, p50]) => ({
    figure: `breakdown p50: ${step}`,
    measured: ms(p50),
    ratio: undefined,
    goal: 'reported',
    met: undefined,
  })),
];

const wallSeconds = (performance.now() - wallStart) / 1000;
const header = [
  `Benchmark of the Codat webhook receiver, ${startedAt.toISOString()}`,
  `machine: ${machine.cpu}, ${machine.cores} cores, ${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, node ${machine.node} (${machine.platform})`,
  `latency: ${LATENCY_PAIRS} interleaved rounds of handler, bare UpdateItem and store.write (order rotated) after ${LATENCY_WARMUP_PAIRS} warm-up; throughput: ${THROUGHPUT_REQUESTS} requests per side; embedded DynamoDB (dynalite) in memory`,
];
const cells = rows.map((row) => [
  row.figure,
  row.measured,
  row.ratio === undefined ? '' : row.ratio.toFixed(3),
  row.goal,
  row.met === undefined ? '' : row.met ? 'yes' : 'NO',
]);
const titles = ['figure', 'measured', 'ratio', 'goal', 'met'];
const widths = titles.map((title, column) =>
  Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length)),
);
const line = (cell: string[]) =>
  `| ${cell.map((text, column) => text.padEnd(widths[column] ?? 0)).join(' | ')} |`;
console.log(header.join('\n'));
console.log(line(titles));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const cell of cells) console.log(line(cell));
console.log(`bench ran in ${wallSeconds.toFixed(1)} s`);

writeFileSync(
  join(RESULTS, 'bench.json'),
  `${JSON.stringify(
    {
      date: startedAt.toISOString(),
      machine,
      wallSeconds: round(wallSeconds, 1),
      rows: rows.map((row) => ({ ...row, ratio: row.ratio === undefined ? undefined : round(row.ratio) })),
      latency,
      throughput,
      bundles,
      calls,
      breakdownP50Ms: breakdown,
    },
    null,
    2,
  )}\n`,
);

import { request } from 'node:http';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import {
  DEFAULT_CODAT_API_URL,
  DEFAULT_HISTORY_DAYS,
  DEFAULT_LAG_ALLOWANCE_MS,
  DEFAULT_LOCAL_DYNAMODB_PORT,
  DEFAULT_LOCAL_PORT,
  DEFAULT_LOCAL_TABLE_NAME,
  DEFAULT_RECONCILE_CONCURRENCY,
  DEFAULT_RECONCILE_PAGE_SIZE,
  DEFAULT_RETRY_POLICY,
  DEFAULT_TOMBSTONE_TTL_DAYS,
  DEFAULT_WALK_BUDGET_MS,
} from '../src/defaults';
import { createLogger } from '../src/observability/powertools';
import { localDynamoDbClient } from './dynamodb-client';
import { startEmbeddedDynamoDb } from './embedded-dynamodb';
import { historyTableNameOf, openLocalStorage } from './storage';
import { LOCAL_RECONCILE_PATH, type LocalWalkResult, type LocalWalkSettings, localWalk } from './walk';

const PAGE_BUDGET_SECONDS = DEFAULT_RETRY_POLICY.budgetMs / 1000;
const WALK_BUDGET_MINUTES = DEFAULT_WALK_BUDGET_MS / 60_000;

const USAGE = `Usage: npm run reconcile -- [options]

Walks every company and connection in the Codat API and brings the Connection table to the
API's state: creates what is missing, updates what differs, writes nothing that is equal, and
(only after a complete walk) makes tombstones of connections the API no longer has. Exits 0
only when the walk was complete. Configured by environment variables:

  CODAT_API_KEY      the API key from the Codat portal (required)
  CODAT_API_URL      the API (default ${DEFAULT_CODAT_API_URL}); npm run fake-codat prints a local one
  LOCAL_URL          npm start's address (default http://127.0.0.1:${DEFAULT_LOCAL_PORT}): when it answers,
                     the walk runs inside npm start, through its store, so that its change events
                     and history see every write (its log shows the pages)
  DYNAMODB_ENDPOINT  the DynamoDB to write to from here instead (default: when npm start does not
                     answer, its database on 127.0.0.1:DYNAMODB_PORT if that listens, otherwise the
                     database in DATA_DIR, opened here)
  DYNAMODB_PORT      npm start's DynamoDB port (default ${DEFAULT_LOCAL_DYNAMODB_PORT})
  TABLE_NAME         table name (default ${DEFAULT_LOCAL_TABLE_NAME}); created if missing
  HISTORY_TABLE_NAME the history table written from here (default TABLE_NAME-history)
  HISTORY_DAYS       days a history item is kept, written from here (default ${DEFAULT_HISTORY_DAYS})
  DATA_DIR           npm start's data folder (default .data)
  TOMBSTONE_TTL_DAYS days a tombstone is kept (default ${DEFAULT_TOMBSTONE_TTL_DAYS})

Options:
  --dry-run                  read everything, write nothing, report what would change
  --page-size <n>            companies a request (default ${DEFAULT_RECONCILE_PAGE_SIZE}, at most 5000)
  --lag-minutes <n>          how far the API may lag its webhooks (default ${DEFAULT_LAG_ALLOWANCE_MS / 60_000})
  --page-budget-seconds <n>  give up on a failing page after this long (default ${PAGE_BUDGET_SECONDS})
  --time-budget-minutes <n>  give up on the walk, incomplete, after this long (default ${WALK_BUDGET_MINUTES})
  --concurrency <n>          companies reconciled at once (default ${DEFAULT_RECONCILE_CONCURRENCY})
  --help                     this text`;

const text = (name: string) => v.pipe(v.string(`${name} is required`), v.nonEmpty(`${name} is required`));
const whole = (name: string) =>
  v.pipe(v.string(), v.regex(/^[1-9]\d*$/, `${name} must be a whole number from 1`), v.transform(Number));

const Environment = v.object({
  // Optional to valibot, then refused when empty, so that a missing key gets this message.
  CODAT_API_KEY: v.pipe(
    v.optional(v.string(), ''),
    v.nonEmpty('CODAT_API_KEY is required: the API key from the Codat portal (Developers > API keys)'),
  ),
  CODAT_API_URL: v.optional(
    v.pipe(text('CODAT_API_URL'), v.url('CODAT_API_URL must be a URL')),
    DEFAULT_CODAT_API_URL,
  ),
  LOCAL_URL: v.optional(
    v.pipe(text('LOCAL_URL'), v.url('LOCAL_URL must be a URL')),
    `http://127.0.0.1:${DEFAULT_LOCAL_PORT}`,
  ),
  DYNAMODB_ENDPOINT: v.optional(v.pipe(v.string(), v.url('DYNAMODB_ENDPOINT must be a URL'))),
  DYNAMODB_PORT: v.optional(whole('DYNAMODB_PORT'), String(DEFAULT_LOCAL_DYNAMODB_PORT)),
  TABLE_NAME: v.optional(text('TABLE_NAME'), DEFAULT_LOCAL_TABLE_NAME),
  HISTORY_TABLE_NAME: v.optional(text('HISTORY_TABLE_NAME')),
  HISTORY_DAYS: v.optional(whole('HISTORY_DAYS'), String(DEFAULT_HISTORY_DAYS)),
  DATA_DIR: v.optional(v.string(), '.data'),
  TOMBSTONE_TTL_DAYS: v.optional(whole('TOMBSTONE_TTL_DAYS'), String(DEFAULT_TOMBSTONE_TTL_DAYS)),
});

const Options = v.object({
  'page-size': v.optional(whole('--page-size'), String(DEFAULT_RECONCILE_PAGE_SIZE)),
  'lag-minutes': v.optional(whole('--lag-minutes'), String(DEFAULT_LAG_ALLOWANCE_MS / 60_000)),
  'page-budget-seconds': v.optional(whole('--page-budget-seconds'), String(PAGE_BUDGET_SECONDS)),
  'time-budget-minutes': v.optional(whole('--time-budget-minutes'), String(WALK_BUDGET_MINUTES)),
  concurrency: v.optional(whole('--concurrency'), String(DEFAULT_RECONCILE_CONCURRENCY)),
});

function check<T extends v.GenericSchema>(schema: T, input: unknown): v.InferOutput<T> {
  const parsed = v.safeParse(schema, input);
  if (parsed.success) return parsed.output;
  throw new UsageError(parsed.issues.map((issue) => issue.message).join('; '));
}

class UsageError extends Error {}

/** True when something accepts connections on 127.0.0.1:`port` (npm start's database). */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 500 });
    const end = (answer: boolean) => {
      socket.destroy();
      done(answer);
    };
    socket.once('connect', () => end(true));
    socket.once('error', () => end(false));
    socket.once('timeout', () => end(false));
  });
}

async function database(env: v.InferOutput<typeof Environment>) {
  if (env.DYNAMODB_ENDPOINT) return { endpoint: env.DYNAMODB_ENDPOINT, close: async () => {} };
  const served = `http://127.0.0.1:${env.DYNAMODB_PORT}`;
  if (await listening(env.DYNAMODB_PORT)) return { endpoint: served, close: async () => {} };
  // npm start is not running: open its data folder here (only one process may hold it).
  return startEmbeddedDynamoDb({ path: resolve(env.DATA_DIR, 'dynamodb') });
}

/** The settings of the walk, from the environment and the command line. */
function walkSettings(
  env: v.InferOutput<typeof Environment>,
  options: v.InferOutput<typeof Options>,
  dryRun: boolean,
): LocalWalkSettings {
  return {
    apiKey: env.CODAT_API_KEY,
    apiUrl: env.CODAT_API_URL,
    pageSize: options['page-size'],
    lagMinutes: options['lag-minutes'],
    pageBudgetSeconds: options['page-budget-seconds'],
    timeBudgetMinutes: options['time-budget-minutes'],
    concurrency: options.concurrency,
    tombstoneTtlDays: env.TOMBSTONE_TTL_DAYS,
    dryRun,
  };
}

/** `npm start`'s answer to the walk, or `undefined` when nothing listens at `url`. */
function walkInServer(url: string, settings: LocalWalkSettings): Promise<LocalWalkResult | undefined> {
  const body = JSON.stringify(settings);
  return new Promise((done, fail) => {
    // node:http, not fetch: a walk may take longer than fetch waits for an answer's headers.
    const ask = request(new URL(LOCAL_RECONCILE_PATH, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    ask.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' ? done(undefined) : fail(error),
    );
    ask.once('response', async (response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString();
      if (response.statusCode === 200) return done(JSON.parse(text) as LocalWalkResult);
      fail(new Error(`${url} answered ${response.statusCode} ${text} (is npm start there? set LOCAL_URL)`));
    });
    ask.end(body);
  });
}

/** The walk in this process, through a local store that feeds the history as npm start's does. */
async function walkHere(env: v.InferOutput<typeof Environment>, settings: LocalWalkSettings) {
  const db = await database(env);
  const client = localDynamoDbClient(db.endpoint);
  try {
    const logger = createLogger({ stage: 'local', logLevel: 'warn' });
    const storage = settings.dryRun
      ? undefined
      : await openLocalStorage({
          client,
          tableName: env.TABLE_NAME,
          historyTableName: env.HISTORY_TABLE_NAME ?? historyTableNameOf(env.TABLE_NAME),
          historyDays: env.HISTORY_DAYS,
          logger,
        });
    const tty = process.stderr.isTTY;
    const { result } = await localWalk(
      storage?.store ?? new DynamoDbConnectionStore(client, env.TABLE_NAME),
      settings,
      ({ totals: t, requests: r }) => {
        if (!tty) return;
        const changes = t.created + t.updated;
        process.stderr.write(
          `\rpages ${t.pages} · companies ${t.companies} · connections ${t.connections} · changes ${changes} · requests ${r.requests} · retries ${r.retries} `,
        );
      },
    );
    if (tty) process.stderr.write('\n');
    await storage?.stream.settled();
    return result;
  } finally {
    client.destroy();
    await db.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' },
      ...Object.fromEntries(Object.keys(Options.entries).map((name) => [name, { type: 'string' as const }])),
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = check(Options, values);
  const env = check(Environment, process.env);
  const settings = walkSettings(env, options, values['dry-run'] === true);
  // A running npm start walks through its own store, so that its change events and history
  // see the walk's writes; DYNAMODB_ENDPOINT names another database to write to from here.
  const inServer = env.DYNAMODB_ENDPOINT ? undefined : await walkInServer(env.LOCAL_URL, settings);
  if (inServer) process.stderr.write(`walked inside npm start at ${env.LOCAL_URL} (its log has the pages)\n`);
  const result = inServer ?? (await walkHere(env, settings));
  for (const note of result.notes)
    process.stdout.write(`would be ${note.kind}: ${note.companyId}/${note.connectionId}\n`);
  process.stdout.write(`${result.summary}\n`);
  return result.complete ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`npm run reconcile failed: ${message}\n`);
    if (error instanceof UsageError) process.stderr.write('See npm run reconcile -- --help\n');
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);

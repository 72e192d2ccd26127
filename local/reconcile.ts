import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import {
  DEFAULT_CODAT_API_URL,
  DEFAULT_LAG_ALLOWANCE_MS,
  DEFAULT_LOCAL_DYNAMODB_PORT,
  DEFAULT_LOCAL_TABLE_NAME,
  DEFAULT_RECONCILE_CONCURRENCY,
  DEFAULT_RECONCILE_PAGE_SIZE,
  DEFAULT_RETRY_POLICY,
  DEFAULT_TOMBSTONE_TTL_DAYS,
  DEFAULT_WALK_BUDGET_MS,
} from '../src/defaults';
import { CodatApi } from '../src/reconcile/codat-api';
import { InMemoryWalkJournal } from '../src/reconcile/journal';
import { runWalk } from '../src/reconcile/run-walk';
import { type ChangeNote, createWalkContext } from '../src/reconcile/walk-context';
import { localDynamoDbClient } from './dynamodb-client';
import { ensureConnectionTable, startEmbeddedDynamoDb } from './embedded-dynamodb';
import { walkSummary } from './reconcile-summary';

const PAGE_BUDGET_SECONDS = DEFAULT_RETRY_POLICY.budgetMs / 1000;
const WALK_BUDGET_MINUTES = DEFAULT_WALK_BUDGET_MS / 60_000;

const USAGE = `Usage: npm run reconcile -- [options]

Walks every company and connection in the Codat API and brings the Connection table to the
API's state: creates what is missing, updates what differs, writes nothing that is equal, and
(only after a complete walk) makes tombstones of connections the API no longer has. Exits 0
only when the walk was complete. Configured by environment variables:

  CODAT_API_KEY      the API key from the Codat portal (required)
  CODAT_API_URL      the API (default ${DEFAULT_CODAT_API_URL}); npm run fake-codat prints a local one
  DYNAMODB_ENDPOINT  the DynamoDB to write to (default: npm start's, on 127.0.0.1:DYNAMODB_PORT,
                     if it is running; otherwise the database in DATA_DIR, opened here)
  DYNAMODB_PORT      npm start's DynamoDB port (default ${DEFAULT_LOCAL_DYNAMODB_PORT})
  TABLE_NAME         table name (default ${DEFAULT_LOCAL_TABLE_NAME}); created if missing
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
  DYNAMODB_ENDPOINT: v.optional(v.pipe(v.string(), v.url('DYNAMODB_ENDPOINT must be a URL'))),
  DYNAMODB_PORT: v.optional(whole('DYNAMODB_PORT'), String(DEFAULT_LOCAL_DYNAMODB_PORT)),
  TABLE_NAME: v.optional(text('TABLE_NAME'), DEFAULT_LOCAL_TABLE_NAME),
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
  const dryRun = values['dry-run'] === true;
  const db = await database(env);
  const client = localDynamoDbClient(db.endpoint);
  try {
    if (!dryRun) await ensureConnectionTable(client, env.TABLE_NAME);
    const store = new DynamoDbConnectionStore(client, env.TABLE_NAME);
    const api = new CodatApi({
      apiKey: env.CODAT_API_KEY,
      baseUrl: env.CODAT_API_URL,
      retry: { budgetMs: options['page-budget-seconds'] * 1000 },
    });
    const notes: ChangeNote[] = [];
    const tty = process.stderr.isTTY;
    const outcome = await runWalk(
      createWalkContext({
        api,
        store,
        journal: new InMemoryWalkJournal(),
        walkId: `cli-${new Date().toISOString()}-${randomUUID().slice(0, 8)}`,
        lagAllowanceMs: options['lag-minutes'] * 60_000,
        tombstoneTtlDays: env.TOMBSTONE_TTL_DAYS,
        concurrency: options.concurrency,
        dryRun,
        onChange: (note) => {
          if (dryRun && notes.length < 50) notes.push(note);
        },
      }),
      {
        pageSize: options['page-size'],
        walkBudgetMs: options['time-budget-minutes'] * 60_000,
        onPage: ({ totals: t, requests: r }) => {
          if (!tty) return;
          const changes = t.created + t.updated;
          process.stderr.write(
            `\rpages ${t.pages} · companies ${t.companies} · connections ${t.connections} · changes ${changes} · requests ${r.requests} · retries ${r.retries} `,
          );
        },
      },
    );
    if (tty) process.stderr.write('\n');
    for (const note of notes)
      process.stdout.write(`would be ${note.kind}: ${note.companyId}/${note.connectionId}\n`);
    process.stdout.write(`${walkSummary(outcome, dryRun)}\n`);
    return outcome.complete ? 0 : 1;
  } finally {
    client.destroy();
    await db.close();
  }
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

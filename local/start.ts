import { resolve } from 'node:path';
import * as v from 'valibot';
import {
  DEFAULT_HISTORY_DAYS,
  DEFAULT_LOCAL_DYNAMODB_PORT,
  DEFAULT_LOCAL_PORT,
  DEFAULT_LOCAL_TABLE_NAME,
  DEFAULT_TOMBSTONE_TTL_DAYS,
  LOG_LEVELS,
  WEBHOOK_PATH,
} from '../src/defaults';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createLogger } from '../src/observability/powertools';
import { LOCAL_EVENTS_KEPT } from './change-stream';
import { parseCommandLine } from './command-line';
import { localSigningSecret } from './local-secret';
import { LOCAL_EVENTS_PATH, startLocalServer } from './server';
import { historyTableNameOf } from './storage';

const USAGE = `Usage: npm start [-- -h | --help]

Serves the webhook receiver (POST ${WEBHOOK_PATH}), the read routes, each connection's history
and a page at / on this machine, over an embedded DynamoDB kept in the data folder: no AWS
account, Docker or Java needed. Each applied change prints its change event on stderr (one JSON
line), is kept on GET ${'/events'}, and becomes a history item. Configured by environment variables:

  PORT                port to listen on (default ${DEFAULT_LOCAL_PORT})
  HOST                address to listen on (default 127.0.0.1)
  DATA_DIR            where the database and the signing secret are kept (default .data)
  DYNAMODB_ENDPOINT   use this DynamoDB (DynamoDB Local, or AWS) instead of the embedded one
  DYNAMODB_PORT       the embedded DynamoDB's port, where npm run reconcile finds it (default ${DEFAULT_LOCAL_DYNAMODB_PORT})
  TABLE_NAME          table name (default ${DEFAULT_LOCAL_TABLE_NAME}); created if missing
  HISTORY_TABLE_NAME  the history table (default TABLE_NAME-history); created if missing
  HISTORY_DAYS        days a history item is kept (default ${DEFAULT_HISTORY_DAYS})
  TOMBSTONE_TTL_DAYS  days a deleted connection is kept as a tombstone (default ${DEFAULT_TOMBSTONE_TTL_DAYS})
  LOG_LEVEL           ${LOG_LEVELS.join(', ')} (default info)
  CODAT_WEBHOOK_SECRET  the whsec_ signing secret (default: generated once, kept in DATA_DIR)`;

const wholeDays = (name: string) =>
  v.pipe(v.string(), v.regex(/^[1-9]\d*$/, `${name} must be a whole number of days`), v.transform(Number));

/** `npm start`: the receiver on this machine, over an embedded DynamoDB, with no AWS account. */
const LocalEnvironment = v.object({
  PORT: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'PORT must be a port number'), v.transform(Number)),
    String(DEFAULT_LOCAL_PORT),
  ),
  HOST: v.optional(v.string(), '127.0.0.1'),
  DATA_DIR: v.optional(v.string(), '.data'),
  DYNAMODB_ENDPOINT: v.optional(v.pipe(v.string(), v.url('DYNAMODB_ENDPOINT must be a URL'))),
  DYNAMODB_PORT: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'DYNAMODB_PORT must be a port number'), v.transform(Number)),
    String(DEFAULT_LOCAL_DYNAMODB_PORT),
  ),
  TABLE_NAME: v.optional(v.string(), DEFAULT_LOCAL_TABLE_NAME),
  HISTORY_TABLE_NAME: v.optional(v.string()),
  HISTORY_DAYS: v.optional(wholeDays('HISTORY_DAYS'), String(DEFAULT_HISTORY_DAYS)),
  TOMBSTONE_TTL_DAYS: v.optional(wholeDays('TOMBSTONE_TTL_DAYS'), String(DEFAULT_TOMBSTONE_TTL_DAYS)),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
});

async function main(): Promise<void> {
  // Configured by the environment; the command line only answers --help.
  parseCommandLine(USAGE, {});
  const parsed = v.safeParse(LocalEnvironment, process.env);
  if (!parsed.success) throw new Error(parsed.issues.map((issue) => issue.message).join('; '));
  const env = parsed.output;
  const dataDir = resolve(env.DATA_DIR);
  const { secret, source } = localSigningSecret(dataDir);
  const server = await startLocalServer({
    port: env.PORT,
    host: env.HOST,
    dataPath: env.DYNAMODB_ENDPOINT ? undefined : resolve(dataDir, 'dynamodb'),
    dynamoDbEndpoint: env.DYNAMODB_ENDPOINT,
    dynamoDbPort: env.DYNAMODB_PORT,
    tableName: env.TABLE_NAME,
    historyTableName: env.HISTORY_TABLE_NAME ?? historyTableNameOf(env.TABLE_NAME),
    historyDays: env.HISTORY_DAYS,
    signingSecret: secret,
    tombstoneTtlDays: env.TOMBSTONE_TTL_DAYS,
    logger: createLogger({ stage: 'local', logLevel: env.LOG_LEVEL }),
    deliveryLog: new DeliveryLog({ stage: 'local', logLevel: env.LOG_LEVEL, metrics: false }),
    // One JSON line per change event, as an EventBridge target would receive it.
    onChangeEvent: (event) => process.stderr.write(`${JSON.stringify(event)}\n`),
  });
  const secretFile = resolve(dataDir, 'webhook-secret');
  const secretLine =
    source === 'environment'
      ? 'signing secret: from CODAT_WEBHOOK_SECRET'
      : `signing secret (${source === 'generated' ? 'generated, ' : ''}kept in ${secretFile}): ${secret}`;
  process.stderr.write(
    [
      '',
      `Codat webhook receiver listening on ${server.webhookUrl}`,
      `  ${secretLine}`,
      `  DynamoDB: ${server.dynamoDbEndpoint}${env.DYNAMODB_ENDPOINT ? '' : ` (embedded, data in ${resolve(dataDir, 'dynamodb')})`}, tables ${env.TABLE_NAME}, ${server.historyTableName}`,
      `  the page: ${server.url}/ (companies, connections, history and change events, refreshing on its own)`,
      `  stored connections: ${server.url}/companies/{companyId}/connections[/{connectionId}][?includeDeleted=true]`,
      `  a connection's history: ${server.url}/companies/{companyId}/connections/{connectionId}/history[?since=&cursor=&limit=]`,
      `  change events: printed below as JSON lines, and the latest ${LOCAL_EVENTS_KEPT} on ${server.url}${LOCAL_EVENTS_PATH}`,
      '  try, in another terminal: npm run send -- connection.connected',
      '  fill it from the Codat API: CODAT_API_KEY=... npm run reconcile (it walks inside this server; see -- --help)',
      '',
      '',
    ].join('\n'),
  );
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `npm start could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_HISTORY_DAYS,
  DEFAULT_LOCAL_PORT,
  DEFAULT_LOCAL_TABLE_NAME,
  DEFAULT_LOCAL_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_TOMBSTONE_TTL_DAYS,
  WEBHOOK_PATH,
} from '../src/defaults';
import { json } from '../src/http/answers';
import { createConnectionReader } from '../src/http/read-connections';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createLogger, type Logger } from '../src/observability/powertools';
import { createReceiver } from '../src/webhook/receiver';
import { parseSigningSecrets } from '../src/webhook/signature';
import type { LocalChangeEvent } from './change-stream';
import { createCompaniesRoute, LOCAL_COMPANIES_PATH } from './companies';
import { localDynamoDbClient } from './dynamodb-client';
import { startEmbeddedDynamoDb } from './embedded-dynamodb';
import { httpApi } from './lambda-http';
import { pageRoutes } from './page-routes';
import { historyTableNameOf, openLocalStorage } from './storage';
import type { LocalStream } from './stream';
import { reconcileRoute } from './walk';

/** Where the local server serves the latest change events (the stack puts them on its bus). */
export const LOCAL_EVENTS_PATH = '/events';

export interface LocalServerOptions {
  /** @default DEFAULT_LOCAL_PORT (3000); 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Where the embedded database keeps its data; in memory when `undefined`. */
  dataPath?: string;
  /**
   * The embedded database's port, so that other processes (`npm run reconcile`) can reach it:
   * it holds its data folder open, and a second process cannot open it too. @default 0, a free port
   */
  dynamoDbPort?: number;
  /** An external DynamoDB (DynamoDB Local, or AWS) instead of the embedded one. */
  dynamoDbEndpoint?: string;
  /** @default DEFAULT_LOCAL_TABLE_NAME */
  tableName?: string;
  /** The history table, created if missing. @default the table name with `-history` */
  historyTableName?: string;
  /** @default DEFAULT_HISTORY_DAYS */
  historyDays?: number;
  /** One or more `whsec_` secrets. */
  signingSecret: string;
  /** @default DEFAULT_TOMBSTONE_TTL_DAYS */
  tombstoneTtlDays?: number;
  /** @default a Powertools Logger at the level of POWERTOOLS_LOG_LEVEL or LOG_LEVEL (info) */
  logger?: Logger;
  /**
   * The receiver's line per delivery, as in Lambda but without its metrics.
   * @default at the level of POWERTOOLS_LOG_LEVEL or LOG_LEVEL (info), to stdout and stderr
   */
  deliveryLog?: DeliveryLog;
  /**
   * Called with each change event, built by the publisher's own code from each applied write.
   * @default - none; `GET /events` serves the latest ones either way
   */
  onChangeEvent?: (event: LocalChangeEvent) => void;
}

export interface LocalServer {
  url: string;
  webhookUrl: string;
  dynamoDbEndpoint: string;
  historyTableName: string;
  /**
   * The local stream, as the stack's table stream: its latest records, and a way to deliver
   * some again, as Lambda does when it retries a batch.
   */
  stream: Pick<LocalStream, 'records' | 'redeliver'>;
  /** Resolves once every write so far has reached every stream consumer (change events, history). */
  changeEventsSettled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the receiver, the read routes (connections and their history), walks asked for by `npm
 * run reconcile`, and the page at `/`, over a DynamoDB of its own (or the one given).
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const logger = options.logger ?? createLogger({ stage: 'local' });
  const tableName = options.tableName ?? DEFAULT_LOCAL_TABLE_NAME;
  const secrets = parseSigningSecrets(options.signingSecret);
  const embedded = options.dynamoDbEndpoint
    ? undefined
    : await startEmbeddedDynamoDb({ path: options.dataPath, port: options.dynamoDbPort });
  const endpoint = options.dynamoDbEndpoint ?? (embedded?.endpoint as string);
  const client = localDynamoDbClient(endpoint);
  const historyTableName = options.historyTableName ?? historyTableNameOf(tableName);
  const { store, stream, events, history } = await openLocalStorage({
    client,
    tableName,
    historyTableName,
    historyDays: options.historyDays ?? DEFAULT_HISTORY_DAYS,
    logger,
    onChangeEvent: options.onChangeEvent,
  });

  const receiver = createReceiver({
    writer: store,
    signingSecrets: () => secrets,
    tombstoneTtlDays: options.tombstoneTtlDays ?? DEFAULT_TOMBSTONE_TTL_DAYS,
    log: options.deliveryLog ?? new DeliveryLog({ stage: 'local', metrics: false }),
  });
  const read = createConnectionReader(store);
  // The local run logs no line per read: the answer is all it serves.
  const reader = async (event: Parameters<typeof read>[0]) => (await read(event)).response;
  const listener = httpApi(
    [
      ...pageRoutes(),
      { method: 'POST', path: WEBHOOK_PATH, handler: receiver },
      { method: 'GET', path: LOCAL_COMPANIES_PATH, handler: createCompaniesRoute(client, tableName) },
      { method: 'GET', path: '/companies/{companyId}/connections', handler: reader },
      { method: 'GET', path: '/companies/{companyId}/connections/{connectionId}', handler: reader },
      history.route,
      reconcileRoute(store, logger),
      {
        method: 'GET',
        path: LOCAL_EVENTS_PATH,
        handler: async () => {
          await stream.settled();
          return json(200, { events: events() });
        },
      },
    ],
    { maxBodyBytes: DEFAULT_MAX_BODY_BYTES, timeoutMs: DEFAULT_LOCAL_TIMEOUT_MS },
  );
  const server = createServer((request, response) => {
    listener(request, response).catch((error: unknown) => {
      logger.error('local server failed a request', { error: (error as Error).stack });
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'internal error' }));
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? DEFAULT_LOCAL_PORT, options.host ?? '127.0.0.1', () => done());
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address}:${port}`;
  return {
    url,
    webhookUrl: `${url}${WEBHOOK_PATH}`,
    dynamoDbEndpoint: endpoint,
    historyTableName,
    stream: { records: stream.records, redeliver: stream.redeliver },
    changeEventsSettled: () => stream.settled(),
    close: async () => {
      await stream.settled();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      client.destroy();
      await embedded?.close();
    },
  };
}

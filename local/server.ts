import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDynamoDbClient, DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { createConnectionReader } from '../src/http/read-connections';
import { createLogger, type Logger } from '../src/log';
import { createReceiver, DEFAULT_MAX_BODY_BYTES } from '../src/webhook/receiver';
import { parseSigningSecrets } from '../src/webhook/signature';
import { ensureConnectionTable, startEmbeddedDynamoDb } from './embedded-dynamodb';
import { httpApi } from './lambda-http';

export const WEBHOOK_PATH = '/webhooks/codat';

export interface LocalServerOptions {
  /** @default 3000; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Where the embedded database keeps its data; in memory when `undefined`. */
  dataPath?: string;
  /** An external DynamoDB (DynamoDB Local, or AWS) instead of the embedded one. */
  dynamoDbEndpoint?: string;
  /** @default 'codat-connections' */
  tableName?: string;
  /** One or more `whsec_` secrets. */
  signingSecret: string;
  /** @default 30 */
  tombstoneTtlDays?: number;
  logger?: Logger;
}

export interface LocalServer {
  url: string;
  webhookUrl: string;
  dynamoDbEndpoint: string;
  close(): Promise<void>;
}

function isLoopback(url: string): boolean {
  const { hostname } = new URL(url);
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}

/** Serves the receiver and the read routes over a DynamoDB of its own (or the one given). */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const logger = options.logger ?? createLogger();
  const tableName = options.tableName ?? 'codat-connections';
  const secrets = parseSigningSecrets(options.signingSecret);
  const embedded = options.dynamoDbEndpoint
    ? undefined
    : await startEmbeddedDynamoDb({ path: options.dataPath });
  const endpoint = options.dynamoDbEndpoint ?? (embedded?.endpoint as string);
  // A database on this machine (the embedded one, DynamoDB Local) takes any credentials;
  // anything else gets the usual AWS credential chain.
  const client = createDynamoDbClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'local',
    ...(isLoopback(endpoint) ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  await ensureConnectionTable(client, tableName);
  const store = new DynamoDbConnectionStore(client, tableName);

  const receiver = createReceiver({
    store,
    signingSecrets: async () => secrets,
    tombstoneTtlDays: options.tombstoneTtlDays ?? 30,
    logger,
  });
  const reader = createConnectionReader(store);
  const listener = httpApi(
    [
      { method: 'POST', path: WEBHOOK_PATH, handler: receiver },
      { method: 'GET', path: '/companies/{companyId}/connections', handler: reader },
      { method: 'GET', path: '/companies/{companyId}/connections/{connectionId}', handler: reader },
    ],
    { maxBodyBytes: DEFAULT_MAX_BODY_BYTES, timeoutMs: 10_000 },
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
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => done());
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address}:${port}`;
  return {
    url,
    webhookUrl: `${url}${WEBHOOK_PATH}`,
    dynamoDbEndpoint: endpoint,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      client.destroy();
      await embedded?.close();
    },
  };
}

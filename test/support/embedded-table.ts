import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient } from '../../local/dynamodb-client';
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { DynamoDbConnectionStore } from '../../src/connection/dynamodb-store';

/** A DynamoDB implementation the storage tests run against. */
export type Engine = 'dynalite' | 'dynamodb-local';

/** Set by the jest global setup to the one DynamoDB Local that the whole run shares. */
export const SHARED_DYNAMODB_LOCAL_ENDPOINT = 'TEST_DYNAMODB_LOCAL_ENDPOINT';

export interface EmbeddedTable {
  client: DynamoDBClient;
  tableName: string;
  store: DynamoDbConnectionStore;
  endpoint: string;
  close(): Promise<void>;
}

/**
 * The database behind a table: a dynalite of its own (it starts in milliseconds), or the run's
 * shared DynamoDB Local, started here only when no global setup started one (a JVM takes seconds).
 */
async function startDatabase(engine: Engine): Promise<{ endpoint: string; close(): Promise<void> }> {
  if (engine === 'dynalite') return startEmbeddedDynamoDb();
  const shared = process.env[SHARED_DYNAMODB_LOCAL_ENDPOINT];
  if (shared) return { endpoint: shared, close: async () => {} };
  return startDynamoDbLocal();
}

/** A fresh Connection table on `engine`, as the local run creates it. */
export async function startTable(engine: Engine): Promise<EmbeddedTable> {
  const database = await startDatabase(engine);
  const client = localDynamoDbClient(database.endpoint);
  const tableName = `connections-${randomUUID()}`;
  await ensureConnectionTable(client, tableName);
  return {
    client,
    tableName,
    endpoint: database.endpoint,
    store: new DynamoDbConnectionStore(client, tableName),
    close: async () => {
      client.destroy();
      await database.close();
    },
  };
}

/** A fresh Connection table in an in-memory dynalite of its own. */
export function startEmbeddedTable(): Promise<EmbeddedTable> {
  return startTable('dynalite');
}

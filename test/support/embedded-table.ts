import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient } from '../../local/dynamodb-client';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../../local/embedded-dynamodb';
import { DynamoDbConnectionStore } from '../../src/connection/dynamodb-store';

export interface EmbeddedTable {
  client: DynamoDBClient;
  tableName: string;
  store: DynamoDbConnectionStore;
  endpoint: string;
  close(): Promise<void>;
}

/** A fresh Connection table in an in-memory dynalite of its own, as the local run creates it. */
export async function startEmbeddedTable(): Promise<EmbeddedTable> {
  const database = await startEmbeddedDynamoDb();
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

import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import dynaliteDb from 'dynalite/db/index.js';
import deleteItemValidation from 'dynalite/validations/deleteItem.js';
import putItemValidation from 'dynalite/validations/putItem.js';
import updateItemValidation from 'dynalite/validations/updateItem.js';
import { CONNECTION_TABLE } from '../src/connection/table';

/**
 * dynalite predates ReturnValuesOnConditionCheckFailure (DynamoDB, 2023): it drops the
 * parameter and returns no item with a failed condition. This teaches it the parameter, so
 * that the embedded database answers the receiver's one write exactly as DynamoDB does.
 */
function teachReturnValuesOnConditionCheckFailure(): void {
  const db = dynaliteDb;
  if (db.checkConditional.returnsOldItem) return;
  for (const validation of [putItemValidation, updateItemValidation, deleteItemValidation]) {
    validation.types.ReturnValuesOnConditionCheckFailure = { type: 'String', enum: ['ALL_OLD', 'NONE'] };
  }
  const checkConditional = db.checkConditional;
  const withOldItem = (data: Record<string, unknown>, existingItem: unknown) => {
    const error = checkConditional(data, existingItem);
    if (error && existingItem && data.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') {
      error.body.Item = existingItem;
    }
    return error;
  };
  withOldItem.returnsOldItem = true;
  db.checkConditional = withOldItem;
}

export interface EmbeddedDynamoDb {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite, a DynamoDB implementation in Node.js, on a free loopback port. With `path`
 * the data is kept in that folder across restarts; without it, in memory.
 */
export async function startEmbeddedDynamoDb(
  options: { path?: string; port?: number } = {},
): Promise<EmbeddedDynamoDb> {
  teachReturnValuesOnConditionCheckFailure();
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error?: Error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A table's key, as `CreateTable` takes it: a partition key and a sort key. */
export interface TableKey {
  partitionKey: string;
  sortKey: string;
  /** @default 'S' */
  sortKeyType?: 'S' | 'N';
}

/** Creates an on-demand table with `key`, unless it exists already. */
export async function ensureTable(client: DynamoDBClient, tableName: string, key: TableKey): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: key.partitionKey, KeyType: 'HASH' },
          { AttributeName: key.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: key.partitionKey, AttributeType: 'S' },
          { AttributeName: key.sortKey, AttributeType: key.sortKeyType ?? 'S' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** Creates the Connection table as the stack defines it, unless it exists already. */
export function ensureConnectionTable(client: DynamoDBClient, tableName: string): Promise<void> {
  return ensureTable(client, tableName, CONNECTION_TABLE);
}

import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { type LocalServer, startLocalServer } from '../../local/server';
import { createLogger } from '../../src/log';
import { type EmbeddedTable, startEmbeddedTable } from './embedded-table';

export interface ReceiverHarness {
  server: LocalServer;
  table: EmbeddedTable;
  secret: string;
  /** Every log line the receiver wrote. */
  logLines: string[];
  /** How many items the table holds: a rejected delivery must leave it unchanged. */
  itemCount(): Promise<number>;
  close(): Promise<void>;
}

/** The local server over a table of its own, with its log captured. */
export async function startReceiverHarness(): Promise<ReceiverHarness> {
  const table = await startEmbeddedTable();
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const logLines: string[] = [];
  const server = await startLocalServer({
    port: 0,
    signingSecret: secret,
    dynamoDbEndpoint: table.endpoint,
    tableName: table.tableName,
    logger: createLogger({ write: (line) => logLines.push(line) }),
  });
  return {
    server,
    table,
    secret,
    logLines,
    itemCount: async () => {
      let count = 0;
      let start: Record<string, never> | undefined;
      do {
        const page = await table.client.send(
          new ScanCommand({
            TableName: table.tableName,
            Select: 'COUNT',
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        count += page.Count ?? 0;
        start = page.LastEvaluatedKey as typeof start;
      } while (start);
      return count;
    },
    close: async () => {
      await server.close();
      await table.close();
    },
  };
}

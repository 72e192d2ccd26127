import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { type LocalServer, type LocalServerOptions, startLocalServer } from '../../local/server';
import { type EmbeddedTable, type Engine, startTable } from './embedded-table';
import { RecordingLogger } from './logs';
import { testSecret } from './signed-request';

export interface ReceiverHarness {
  server: LocalServer;
  table: EmbeddedTable;
  secret: string;
  /** Every line the server logged, kept rather than printed. */
  logger: RecordingLogger;
  /** How many items the table holds: a rejected delivery must leave it unchanged. */
  itemCount(): Promise<number>;
  close(): Promise<void>;
}

/** The local server over a table of its own, on `engine`; `options` add to the server's. */
export async function startReceiverHarness(
  engine: Engine = 'dynalite',
  options: Partial<LocalServerOptions> = {},
): Promise<ReceiverHarness> {
  const table = await startTable(engine);
  const secret = testSecret();
  const logger = new RecordingLogger({ stage: 'local' });
  const server = await startLocalServer({
    port: 0,
    signingSecret: secret,
    dynamoDbEndpoint: table.endpoint,
    tableName: table.tableName,
    logger,
    deliveryLog: logger.deliveryLog(),
    ...options,
  });
  return {
    server,
    table,
    secret,
    logger,
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

import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoDbHistoryStore } from '../src/history/dynamodb-history-store';
import { createHistoryHandler } from '../src/history/history-handler';
import { historyTableInput } from '../src/history/history-table';
import { createHistoryReader, HISTORY_ROUTE } from '../src/http/read-history';
import type { Logger } from '../src/observability/powertools';
import type { Route } from './lambda-http';
import type { StreamConsumer } from './stream';

/** Creates the history table as the stack defines it (keys, `byCompany` index), unless it exists. */
export async function ensureHistoryTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(historyTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

export interface LocalHistory {
  /** The history writer, as a consumer of the local stream. */
  consumer: StreamConsumer;
  /** `GET /companies/{companyId}/connections/{connectionId}/history`, the read API's code. */
  route: Route;
}

/**
 * The history of the local run, built of the stack's code: the record-history writer's handler
 * (`createHistoryHandler`, as functions/record-history.ts builds it) fed by the local stream,
 * and the read function's history route (`createHistoryReader`) over the same table.
 */
export function localHistory(options: {
  client: DynamoDBClient;
  tableName: string;
  historyDays: number;
  logger: Logger;
}): LocalHistory {
  const store = new DynamoDbHistoryStore(options.client, options.tableName);
  const handler = createHistoryHandler({ store, historyDays: options.historyDays, logger: options.logger });
  const read = createHistoryReader(store);
  return {
    consumer: { name: 'history', handler: async (event, context) => handler(event, context) },
    route: {
      method: 'GET',
      path: HISTORY_ROUTE,
      // The local run logs no line per read, as for the connection routes.
      handler: async (event: APIGatewayProxyEventV2) => (await read(event)).response,
    },
  };
}

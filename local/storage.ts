import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import type { Logger } from '../src/observability/powertools';
import { type LocalChangeEvent, localChangeEvents } from './change-stream';
import { ensureConnectionTable } from './embedded-dynamodb';
import { ensureHistoryTable, type LocalHistory, localHistory } from './history';
import { type LocalStream, localStream } from './stream';

/** The history table's name when none is given: the Connection table's, with `-history`. */
export const historyTableNameOf = (tableName: string) => `${tableName}-history`;

export interface LocalStorageOptions {
  client: DynamoDBClient;
  tableName: string;
  historyTableName: string;
  historyDays: number;
  logger: Logger;
  onChangeEvent?: (event: LocalChangeEvent) => void;
}

export interface LocalStorage {
  /** The Connection table: every writer of the local run writes through it, and so feeds `stream`. */
  store: DynamoDbConnectionStore;
  stream: LocalStream;
  /** The latest change events, oldest first. */
  events(): LocalChangeEvent[];
  history: LocalHistory;
}

/**
 * The tables of the local run (created if missing) and the one store every local writer uses
 * (the receiver, `company.deleted`, a reconcile walk): each write it applies goes down the local
 * stream to both of the stack's stream consumers, the change-event publisher and the history
 * writer, as the table's stream feeds them in AWS.
 */
export async function openLocalStorage(options: LocalStorageOptions): Promise<LocalStorage> {
  const { client, logger } = options;
  await ensureConnectionTable(client, options.tableName);
  await ensureHistoryTable(client, options.historyTableName);
  // The event itself is printed, and the history is on its route: the consumers' own info
  // lines (one per record) would only repeat them.
  const quiet = ['DEBUG', 'INFO', 'TRACE'].includes(logger.getLevelName());
  const consumerLogger = quiet ? logger.createChild({ logLevel: 'WARN' }) : logger;
  const changes = localChangeEvents({ logger: consumerLogger, onEvent: options.onChangeEvent });
  const history = localHistory({
    client,
    tableName: options.historyTableName,
    historyDays: options.historyDays,
    logger: consumerLogger,
  });
  const stream = localStream({
    tableName: options.tableName,
    consumers: [changes.consumer, history.consumer],
    logger,
  });
  const store = new DynamoDbConnectionStore(client, options.tableName, { onApplied: stream.onApplied });
  return { store, stream, events: changes.events, history };
}

import { randomUUID } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { localDynamoDbClient } from '../../local/dynamodb-client';
import type { ConnectionChange } from '../../src/connection/store';
import { DynamoDbHistoryStore } from '../../src/history/dynamodb-history-store';
import { historyTableInput } from '../../src/history/history-table';
import { snapshotEvent } from '../../src/reconcile/snapshot';
import { changeOf } from './changes';
import { type Engine, startTable } from './engines';
import { imageOf, streamRecord } from './stream-records';

/**
 * The stream record of the write that took a connection from `previous` to `change`: an INSERT
 * for its first write, a MODIFY with both images after that, as NEW_AND_OLD_IMAGES gives them.
 */
export function writeRecord(change: ConnectionChange, previous?: ConnectionChange): DynamoDBRecord {
  const firstStoredAt = previous?.receivedAt;
  const next = imageOf(change, firstStoredAt) as Record<string, AttributeValue>;
  return previous
    ? streamRecord('MODIFY', { old: imageOf(previous), new: next })
    : streamRecord('INSERT', { new: next });
}

/** The records of a sequence of changes of one connection, each write following the one before. */
export function recordsOf(changes: readonly ConnectionChange[]): DynamoDBRecord[] {
  return changes.map((change, index) => writeRecord(change, changes[index - 1]));
}

/** A fresh company and connection. */
export function freshIds() {
  return { companyId: randomUUID(), connectionId: randomUUID() };
}

/**
 * The story for one connection: a webhook `Linked`, `Deauthorized`, `Linked` again, then
 * a reconciliation walk that finds it `Unlinked` (a missed event), an hour apart each.
 */
export function linkedDeauthorizedLinkedThenWalk(key = freshIds()): ConnectionChange[] {
  const at = (hour: number) => `2026-11-28T${String(hour).padStart(2, '0')}:00:00Z`;
  const received = (hour: number) => ({ receivedAt: new Date(`${at(hour).slice(0, -1)}.500Z`) });
  const linked = changeOf({ eventType: 'connection.connected', ...key, generatedDate: at(8) }, received(8));
  const broken = changeOf(
    { eventType: 'connection.disconnected', status: 'Deauthorized', ...key, generatedDate: at(9) },
    received(9),
  );
  const relinked = changeOf(
    { eventType: 'connection.reconnected', ...key, generatedDate: at(10) },
    received(10),
  );
  const readAt = new Date(at(11).replace('11:00', '11:05'));
  const walk = {
    ...relinked,
    connection: { ...relinked.connection, status: 'Unlinked' as const },
    event: snapshotEvent({ walkId: 'walk-1', lagAllowanceMs: 5 * 60_000 }, readAt, 'reconcile.observed'),
    receivedAt: readAt.toISOString(),
  };
  return [linked, broken, relinked, walk];
}

export interface HistoryTable {
  client: DynamoDBClient;
  endpoint: string;
  tableName: string;
  store: DynamoDbHistoryStore;
  close(): Promise<void>;
}

/** A fresh history table, as the stack defines it, in the database of `engine`. */
export async function startHistoryTable(engine: Engine): Promise<HistoryTable> {
  const database = await startTable(engine);
  const tableName = `history-${randomUUID()}`;
  await database.client.send(new CreateTableCommand(historyTableInput(tableName)));
  return {
    client: database.client,
    endpoint: database.endpoint,
    tableName,
    store: new DynamoDbHistoryStore(database.client, tableName),
    close: () => database.close(),
  };
}

/**
 * A store on the same table whose PutItem of an item with a sort key `failing` chooses is
 * throttled, as DynamoDB throttles a hot partition: a client of its own, so that the fault
 * touches nothing else. The fault is raised before the SDK's retries, so each put fails once.
 */
export function storeWithThrottledPuts(table: HistoryTable, failing: (sortKey: string) => boolean) {
  const client = localDynamoDbClient(table.endpoint);
  client.middlewareStack.add(
    (next) => async (args) => {
      const item = (args.input as { Item?: Record<string, { S?: string }> }).Item;
      if (item && failing(item.sk?.S ?? '')) {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'throttleChosenPuts' },
  );
  return { store: new DynamoDbHistoryStore(client, table.tableName), close: () => client.destroy() };
}

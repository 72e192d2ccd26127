import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { storageError } from '../connection/dynamodb-errors';
import { DEFAULT_HISTORY_LIMIT } from '../defaults';
import { InvalidQueryParameterError } from '../errors';
import type { HistoryItem } from './history-item';
import { decodeCursor, encodeCursor, type HistoryQuery, sinceKey } from './history-query';
import type { AppendFailure, HistoryPage, HistoryStore } from './history-store';
import { HISTORY_TABLE, historyPartitionKey, historySortKey, timeOfKey } from './history-table';

export type { AppendFailure, HistoryPage, HistoryReader, HistoryStore, HistoryWriter } from './history-store';

const { partitionKey, sortKey } = HISTORY_TABLE;

/**
 * How many puts one `append` has in flight. A stream batch is at most a few hundred records;
 * 10 at a time writes 100 in about ten round trips, well inside the client's in-flight gate
 * (`DYNAMODB_REQUESTS_IN_FLIGHT`), so a second caller sharing the client never queues long.
 */
export const HISTORY_WRITES_IN_FLIGHT = 10;

/** The stored item: the history item with its keys. Plain values, for `marshall`. */
export function storedHistoryItem(item: HistoryItem): Record<string, unknown> {
  return {
    [partitionKey]: historyPartitionKey(item.companyId, item.connectionId),
    [sortKey]: historySortKey(item.order),
    ...item,
  };
}

function toHistoryItem(stored: Record<string, AttributeValue>): HistoryItem {
  const { [partitionKey]: _pk, [sortKey]: _sk, ...item } = unmarshall(stored, { wrapNumbers: Number });
  return item as HistoryItem;
}

/**
 * The history table in DynamoDB. Handed a client (`createDynamoDbClient`, built once at module
 * scope), as the Connection store is, so Lambda, the local server and the tests share the code.
 *
 * Writes are one unconditional PutItem per item, not BatchWriteItem and not conditional puts:
 * - the item is a pure function of its stream record, so a retried or bisected record puts
 *   identical content over itself: the same change twice stays one item, with no condition
 *   (a failed condition costs the same write unit as the overwrite, and adds an error path);
 * - each record's write succeeds or fails alone, which is what `batchItemFailures` must say;
 *   BatchWriteItem fails a whole request of 25 on one invalid item, and its UnprocessedItems
 *   must be mapped back and retried;
 * - the writer's grant is `dynamodb:PutItem` alone: `dynamodb:BatchWriteItem` allows deletes.
 * Write units are the same either way (1 per KB per item, and as much again for the index).
 */
export class DynamoDbHistoryStore implements HistoryStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async append(items: readonly HistoryItem[]): Promise<AppendFailure[]> {
    const failures: AppendFailure[] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        try {
          await this.put(items[index] as HistoryItem);
        } catch (error) {
          failures.push({ index, error: storageError(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(HISTORY_WRITES_IN_FLIGHT, items.length) }, worker));
    return failures.sort((a, b) => a.index - b.index);
  }

  private async put(item: HistoryItem): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall(storedHistoryItem(item), { removeUndefinedValues: true, allowImpreciseNumbers: true }),
      }),
    );
  }

  async connectionHistory(
    companyId: string,
    connectionId: string,
    query: HistoryQuery = {},
  ): Promise<HistoryPage> {
    const pk = historyPartitionKey(companyId, connectionId);
    const since = query.since === undefined ? undefined : sinceKey(query.since);
    const start = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (start && start.pk !== pk) {
      throw new InvalidQueryParameterError('cursor', "is a cursor of another connection's history");
    }
    const newer = start ? { newerChangeAt: timeOfKey(start.sk) } : {};
    // Newest first, so a page resumes below the cursor: nothing there is at or after `since`.
    if (start && since !== undefined && start.sk < since) return { items: [], ...newer };
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: since === undefined ? '#pk = :pk' : '#pk = :pk AND #sk >= :since',
      ExpressionAttributeNames: { '#pk': partitionKey, ...(since === undefined ? {} : { '#sk': sortKey }) },
      ExpressionAttributeValues: {
        ':pk': { S: pk },
        ...(since === undefined ? {} : { ':since': { S: since } }),
      },
      ScanIndexForward: false,
      Limit: query.limit ?? DEFAULT_HISTORY_LIMIT,
      ...(start
        ? { ExclusiveStartKey: { [partitionKey]: { S: start.pk }, [sortKey]: { S: start.sk } } }
        : {}),
    };
    try {
      const { Items = [], LastEvaluatedKey } = await this.client.send(new QueryCommand(input));
      const last = LastEvaluatedKey && {
        pk: LastEvaluatedKey[partitionKey]?.S ?? '',
        sk: LastEvaluatedKey[sortKey]?.S ?? '',
      };
      return {
        items: Items.map(toHistoryItem),
        ...(last ? { nextCursor: encodeCursor(last) } : {}),
        ...newer,
      };
    } catch (error) {
      throw storageError(error, input.ExpressionAttributeNames);
    }
  }
}

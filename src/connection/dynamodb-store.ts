import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  paginateQuery,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { UnstorableChangeError } from '../errors';
import { storageError } from './dynamodb-errors';
import { itemLimitProblems } from './item-limits';
import type { Connection } from './schema';
import type { ConnectionChange, ConnectionStore, StoredConnection, WriteOutcome } from './store';
import { CONNECTION_TABLE } from './table';

const { partitionKey, sortKey, expiryAttribute } = CONNECTION_TABLE;

/**
 * Time limits for every AWS call on the delivery path. `throwOnRequestTimeout` matters: without
 * it, the SDK only warns when `requestTimeout` passes and goes on waiting for the reply.
 */
export const AWS_REQUEST_HANDLER = {
  connectionTimeout: 1_000,
  requestTimeout: 2_000,
  throwOnRequestTimeout: true,
};

/**
 * A DynamoDB client whose every call ends well inside the provider's 15-second window:
 * at most 3 attempts of at most 2 s each, so a failing database answers 503 in about 6 s.
 */
export function createDynamoDbClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: 3, requestHandler: AWS_REQUEST_HANDLER, ...config });
}

/** Connection fields stored as top-level attributes; `id` is the sort key. */
const CONNECTION_FIELDS = [
  'integrationId',
  'integrationKey',
  'sourceId',
  'sourceType',
  'platformName',
  'linkUrl',
  'status',
  'lastSync',
  'created',
  'dataConnectionErrors',
  'connectionInfo',
] as const satisfies readonly Exclude<keyof Connection, 'id'>[];

/** The attributes one change writes; `undefined` means the attribute is removed. */
function itemAttributes(change: ConnectionChange): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const field of CONNECTION_FIELDS) attributes[field] = change.connection[field];
  return {
    ...attributes,
    companyName: change.company.name,
    companyTags: change.company.tags ?? undefined,
    lastEventId: change.event.id,
    lastEventType: change.event.type,
    lastEventGeneratedDate: change.event.generatedDate,
    eventOrder: change.event.order,
    deleted: change.deleted,
    [expiryAttribute]: change.expiresAt,
    storedAt: change.receivedAt,
  };
}

/**
 * The whole item the write of `change` leaves, as plain values (`undefined` for removed
 * attributes): what `itemLimitProblems` in item-limits.ts checks before the write.
 * `firstStoredAt` is counted as this delivery's time; a stored one has the same length.
 */
export function storedItem(
  change: ConnectionChange,
  attributes = itemAttributes(change),
): Record<string, unknown> {
  return {
    [partitionKey]: change.companyId,
    [sortKey]: change.connection.id,
    ...attributes,
    firstStoredAt: change.receivedAt,
  };
}

/**
 * Builds the one conditional UpdateItem of a change: it sets every attribute the event
 * carries, removes those it leaves out (so the item is the event's state, not a blend), and
 * applies only when the stored event is older.
 */
export function buildUpdate(
  tableName: string,
  change: ConnectionChange,
  attributes = itemAttributes(change),
) {
  const names: Record<string, string> = { '#order': 'eventOrder', '#firstStoredAt': 'firstStoredAt' };
  const values: Record<string, AttributeValue> = {
    ':order': { S: change.event.order },
    ':receivedAt': { S: change.receivedAt },
  };
  const set = ['#firstStoredAt = if_not_exists(#firstStoredAt, :receivedAt)'];
  const remove: string[] = [];
  // One marshall call for every value: a number beyond 2^53 has lost its exact value in
  // JSON.parse already; it is stored as parsed rather than refused, since refusing would have
  // the provider retry it for days.
  const marshalled = marshall(attributes, { removeUndefinedValues: true, allowImpreciseNumbers: true });
  Object.keys(attributes).forEach((attribute, index) => {
    names[`#a${index}`] = attribute;
    const value = marshalled[attribute];
    if (value === undefined) {
      remove.push(`#a${index}`);
    } else {
      values[`:a${index}`] = value;
      set.push(`#a${index} = :a${index}`);
    }
  });
  return new UpdateItemCommand({
    TableName: tableName,
    Key: { [partitionKey]: { S: change.companyId }, [sortKey]: { S: change.connection.id } },
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: 'attribute_not_exists(#order) OR #order < :order',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
}

function toStoredConnection(item: Record<string, AttributeValue>): StoredConnection {
  // Numbers come back as JavaScript numbers, as JSON.parse read them on the way in.
  const record = unmarshall(item, { wrapNumbers: Number });
  const connection: Record<string, unknown> = { id: record[sortKey] };
  for (const field of CONNECTION_FIELDS) {
    if (field in record) connection[field] = record[field];
  }
  return {
    companyId: record[partitionKey],
    company: { name: record.companyName, ...(record.companyTags ? { tags: record.companyTags } : {}) },
    connection: connection as Connection,
    lastEvent: {
      id: record.lastEventId,
      type: record.lastEventType,
      generatedDate: record.lastEventGeneratedDate,
      order: record.eventOrder,
    },
    deleted: record.deleted === true,
    ...(record[expiryAttribute] !== undefined ? { expiresAt: Number(record[expiryAttribute]) } : {}),
    storedAt: record.storedAt,
    firstStoredAt: record.firstStoredAt,
  };
}

export class DynamoDbConnectionStore implements ConnectionStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async write(change: ConnectionChange): Promise<WriteOutcome> {
    // Decided before the write: a value DynamoDB refuses would fail it with a 4xx that no
    // retry cures. Refused as the sender's (400, naming the path), never answered 5xx.
    const attributes = itemAttributes(change);
    const problems = itemLimitProblems(storedItem(change, attributes));
    if (problems.length > 0) throw new UnstorableChangeError(problems);
    const update = buildUpdate(this.tableName, change, attributes);
    try {
      await this.client.send(update);
      return 'applied';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) {
        throw storageError(error, update.input.ExpressionAttributeNames);
      }
      // The stored event is as new or newer. DynamoDB hands back the stored item with the
      // failure, so telling a repeat from a late arrival costs no second call. An emulator
      // that predates ReturnValuesOnConditionCheckFailure returns no item: nothing changed
      // either way, so the delivery is reported as stale.
      const storedOrder = error.Item?.eventOrder?.S;
      return storedOrder === change.event.order ? 'duplicate' : 'stale';
    }
  }

  async get(companyId: string, connectionId: string): Promise<StoredConnection | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [partitionKey]: { S: companyId }, [sortKey]: { S: connectionId } },
          ConsistentRead: true,
        }),
      );
      return Item ? toStoredConnection(Item) : undefined;
    } catch (error) {
      throw storageError(error);
    }
  }

  async listByCompany(companyId: string): Promise<StoredConnection[]> {
    const found: StoredConnection[] = [];
    try {
      const pages = paginateQuery(
        { client: this.client },
        {
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :companyId',
          ExpressionAttributeNames: { '#pk': partitionKey },
          ExpressionAttributeValues: { ':companyId': { S: companyId } },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) found.push(...(page.Items ?? []).map(toStoredConnection));
    } catch (error) {
      throw storageError(error);
    }
    return found;
  }
}

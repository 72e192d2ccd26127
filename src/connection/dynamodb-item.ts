import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Connection } from './schema';
import type { ConnectionChange, StoredConnection } from './store';
import { CONNECTION_TABLE } from './table';

/**
 * How a connection maps to a DynamoDB item and back: the one place that knows the item's
 * attributes, shared by the store's write, its reads and the pre-write limit check.
 */

const { partitionKey, sortKey, expiryAttribute } = CONNECTION_TABLE;

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
export function storedItem(change: ConnectionChange): Record<string, unknown> {
  return {
    [partitionKey]: change.companyId,
    [sortKey]: change.connection.id,
    ...itemAttributes(change),
    firstStoredAt: change.receivedAt,
  };
}

/**
 * Builds the one conditional UpdateItem of a change: it sets every attribute the event
 * carries, removes those it leaves out (so the item is the event's state, not a blend), and
 * applies only when the stored event is older.
 */
export function buildUpdate(tableName: string, change: ConnectionChange) {
  const names: Record<string, string> = { '#order': 'eventOrder', '#firstStoredAt': 'firstStoredAt' };
  const values: Record<string, AttributeValue> = {
    ':order': { S: change.event.order },
    ':receivedAt': { S: change.receivedAt },
  };
  const set = ['#firstStoredAt = if_not_exists(#firstStoredAt, :receivedAt)'];
  const remove: string[] = [];
  Object.entries(itemAttributes(change)).forEach(([attribute, value], index) => {
    names[`#a${index}`] = attribute;
    if (value === undefined) {
      remove.push(`#a${index}`);
    } else {
      // A number beyond 2^53 has lost its exact value in JSON.parse already; it is stored as
      // parsed rather than refused, since refusing would have the provider retry it for days.
      values[`:a${index}`] = marshall({ value }, { removeUndefinedValues: true, allowImpreciseNumbers: true })
        .value as AttributeValue;
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

/** A stored item as the domain reads it. */
export function toStoredConnection(item: Record<string, AttributeValue>): StoredConnection {
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

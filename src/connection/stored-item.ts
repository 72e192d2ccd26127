import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Connection } from './schema';
import type { ConnectionChange, StoredConnection } from './store';
import { CONNECTION_TABLE } from './table';

/**
 * The item a change writes, and how a stored item reads back as a `StoredConnection`, apart
 * from the DynamoDB client: the store and the change events (which get the same items as
 * stream images) share it. Only types come from the client package, so a bundle that imports
 * this carries util-dynamodb alone.
 */

const { partitionKey, sortKey, expiryAttribute } = CONNECTION_TABLE;

/** Connection fields stored as top-level attributes; `id` is the sort key. */
export const CONNECTION_FIELDS = [
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

/**
 * The attributes every write sets or removes, in the order `itemAttributes` gives them: the
 * update's names and placeholders are built once from this list.
 */
export const WRITTEN_ATTRIBUTES: readonly string[] = [
  ...CONNECTION_FIELDS,
  'companyName',
  'companyTags',
  'lastEventId',
  'lastEventType',
  'lastEventGeneratedDate',
  'eventOrder',
  'deleted',
  expiryAttribute,
  'storedAt',
];

/** The attributes one change writes (`WRITTEN_ATTRIBUTES`); `undefined` means the attribute is removed. */
export function itemAttributes(change: ConnectionChange): Record<string, unknown> {
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

/** Whatever takes an item's attributes one by one: the item-limits walk, or a plain object. */
export interface AttributeSink {
  attribute(name: string, value: unknown): void;
}

/**
 * The attributes of the whole item the write of `change` leaves, in order, into `sink`: the
 * keys, `attributes`, then `firstStoredAt`, counted as this delivery's time (a stored one has the
 * same length). `undefined` means the write removes the attribute.
 */
export function storedAttributes(
  change: ConnectionChange,
  attributes: Readonly<Record<string, unknown>>,
  sink: AttributeSink,
): void {
  sink.attribute(partitionKey, change.companyId);
  sink.attribute(sortKey, change.connection.id);
  for (const name of Object.keys(attributes)) sink.attribute(name, attributes[name]);
  sink.attribute('firstStoredAt', change.receivedAt);
}

/**
 * The whole item the write of `change` leaves, as plain values (`undefined` for removed
 * attributes), built from `storedAttributes`, which `changeLimitProblems` in item-limits.ts
 * walks before the write.
 */
export function storedItem(
  change: ConnectionChange,
  attributes = itemAttributes(change),
): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  storedAttributes(change, attributes, {
    attribute: (name, value) => {
      item[name] = value;
    },
  });
  return item;
}

/** The item before and after one applied write, as a DynamoDB stream's NEW_AND_OLD_IMAGES has them. */
export interface AppliedWrite {
  oldImage?: Record<string, AttributeValue>;
  newImage: Record<string, AttributeValue>;
}

export interface DynamoDbConnectionStoreOptions {
  /**
   * Called after each applied write with the item's images, for a database with no stream (the
   * local run). The old image is DynamoDB's own (`ReturnValues: ALL_OLD`, so no other write can
   * slip in between); the new one is the item the write leaves, built as the write builds it.
   * @default - none: the write asks for nothing back, as in Lambda
   */
  onApplied?: (write: AppliedWrite) => void;
}

/**
 * The item a write leaves, given the item before it: `item` is what the write sends
 * (`marshalChange` in item-limits.ts), with `firstStoredAt` kept from the stored item.
 */
export function newImageOf(
  item: Readonly<Record<string, AttributeValue>>,
  old: Record<string, AttributeValue> | undefined,
): Record<string, AttributeValue> {
  const firstStoredAt = old?.firstStoredAt?.S;
  return firstStoredAt === undefined ? { ...item } : { ...item, firstStoredAt: { S: firstStoredAt } };
}

/** A stored item (a GetItem or Query result, or a stream image) as the domain sees it. */
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

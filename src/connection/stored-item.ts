import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Connection } from './schema';
import type { StoredConnection } from './store';
import { CONNECTION_TABLE } from './table';

/**
 * How a stored item reads back as a `StoredConnection`, apart from the DynamoDB client: the
 * store's reads and the change events (issue 11), which get the same items as stream images,
 * share it. Only types come from the client package, so a bundle that imports this carries
 * util-dynamodb alone.
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

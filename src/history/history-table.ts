import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The history table's shape, shared by the stack, the local run, the store and the tests so
 * that they cannot drift apart (as `CONNECTION_TABLE` and `JOURNAL_TABLE` are). Only a type
 * comes from the client package, so the stack can import this without bundling the client.
 *
 * - Base table: `pk` = company and connection, `sk` = the change's order key. One Query on
 *   `pk` with `ScanIndexForward: false` reads one connection's history newest first, ordered
 *   as the Connection table applied the changes, whatever order the stream delivered them in.
 * - `byCompany` index: `companyId`, then the same `sk`: one company's history, newest first,
 *   across its connections.
 * - A time range needs no index of its own: every `sk` begins with the change's fixed-width UTC
 *   time, so `sk >= :since` (or `BETWEEN`) on either key is the range, read in order.
 */
export const HISTORY_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  companyIndex: { name: 'byCompany', partitionKey: 'companyId', sortKey: 'sk' },
  /** Unix seconds; DynamoDB TTL removes the item after it (`historyDays` after it was stored). */
  expiryAttribute: 'expiresAt',
} as const;

/** DynamoDB allows 2048 bytes for a partition key and 1024 for a sort key. */
const PARTITION_KEY_MAX_BYTES = 2048;
const SORT_KEY_MAX_BYTES = 1024;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * `%` and `#` percent-encoded, so that `#` in a key is only ever the separator: company `a#b`
 * with connection `c` and company `a` with connection `b#c` get different keys.
 */
const escapeId = (id: string) => id.replaceAll('%', '%25').replaceAll('#', '%23');

/**
 * The partition key of one connection's history: `<companyId>#<connectionId>`, readable for
 * the ids the provider sends (UUIDs). Ids are allowed up to 2048 and 1024 bytes, so the pair can
 * be too long for a key; it then becomes `#sha256:<hex>`, which no readable key can equal (an
 * escaped company id never begins with `#`). The reader computes the same key the writer did.
 */
export function historyPartitionKey(companyId: string, connectionId: string): string {
  const readable = `${escapeId(companyId)}#${escapeId(connectionId)}`;
  if (Buffer.byteLength(readable) <= PARTITION_KEY_MAX_BYTES) return readable;
  return `#sha256:${sha256(`${companyId}\u0000${connectionId}`)}`;
}

/**
 * The sort key of a change: its order key (`<fixed-width UTC>#<event id>`) as the Connection
 * table compares it. An event id may be up to 1024 bytes, which with the time passes the sort
 * key's limit; then the id part is replaced by its hash, keeping the time first so that order
 * and `since` still hold (ties of the same 100 ns between such ids are ordered by hash).
 */
export function historySortKey(order: string): string {
  if (Buffer.byteLength(order) <= SORT_KEY_MAX_BYTES) return order;
  const separator = order.indexOf('#');
  return `${order.slice(0, separator)}#sha256:${sha256(order.slice(separator + 1))}`;
}

/** The time part of a sort key or an order key: fixed-width UTC. */
export function timeOfKey(key: string): string {
  const separator = key.indexOf('#');
  return separator < 0 ? key : key.slice(0, separator);
}

/** The CreateTable request of the history table, as the stack defines it, for the local run and tests. */
export function historyTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, companyIndex } = HISTORY_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: companyIndex.partitionKey, AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: companyIndex.name,
        KeySchema: [
          { AttributeName: companyIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: companyIndex.sortKey, KeyType: 'RANGE' },
        ],
        // ALL: a company's history is read for the changes themselves, not only their keys.
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

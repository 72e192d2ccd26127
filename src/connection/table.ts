/**
 * The Connection table's shape, shared by the stack, the local run and the store so that the
 * three cannot drift apart.
 */
export const CONNECTION_TABLE = {
  partitionKey: 'companyId',
  sortKey: 'connectionId',
  /** Unix seconds; DynamoDB TTL removes tombstones after it. */
  expiryAttribute: 'expiresAt',
} as const;

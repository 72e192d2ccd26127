/** The walk journal table's shape, a plain value shared by the stack and the journal store. */
export const JOURNAL_TABLE = {
  partitionKey: 'walkId',
  sortKey: 'page',
  expiryAttribute: 'expiresAt',
} as const;

import { type DynamoDBClient, PutItemCommand, paginateQuery } from '@aws-sdk/client-dynamodb';
import { storageError } from '../connection/dynamodb-errors';
import type { PageRecord, WalkJournal } from './journal';
import { JOURNAL_TABLE } from './journal-table';

export { JOURNAL_TABLE } from './journal-table';

/** Journal items are removed by DynamoDB TTL after this long: a walk takes hours at most. */
const JOURNAL_TTL_SECONDS = 7 * 86_400;

/**
 * A walk's journal in a DynamoDB table of its own, one item per page, so that the pages of one
 * walk can be read by one Lambda invocation and swept by another. Chosen over S3 objects: the
 * functions already carry the DynamoDB client (no new dependency in the bundle), a page's record
 * (company ids, and the keys of absent connections) stays far below the 400 KB item limit,
 * and TTL expires old walks as an S3 lifecycle rule would.
 */
export class DynamoDbWalkJournal implements WalkJournal {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(walkId: string, page: PageRecord): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [JOURNAL_TABLE.partitionKey]: { S: walkId },
            [JOURNAL_TABLE.sortKey]: { N: String(page.page) },
            record: { S: JSON.stringify(page) },
            [JOURNAL_TABLE.expiryAttribute]: {
              N: String(Math.floor(this.now().getTime() / 1000) + JOURNAL_TTL_SECONDS),
            },
          },
        }),
      );
    } catch (error) {
      throw storageError(error);
    }
  }

  async *pages(walkId: string): AsyncIterable<PageRecord> {
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: '#walk = :walk',
        ExpressionAttributeNames: { '#walk': JOURNAL_TABLE.partitionKey },
        ExpressionAttributeValues: { ':walk': { S: walkId } },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const text = item.record?.S;
        if (text !== undefined) yield JSON.parse(text) as PageRecord;
      }
    }
  }
}

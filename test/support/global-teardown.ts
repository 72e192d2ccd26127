import type { DynamoDbLocal } from '../../local/dynamodb-local';

/** Stops the DynamoDB Local that the global setup started. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { dynamoDbLocal?: DynamoDbLocal }).dynamoDbLocal?.close();
}

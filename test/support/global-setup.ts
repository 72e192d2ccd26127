import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { SHARED_DYNAMODB_LOCAL_ENDPOINT } from './embedded-table';
import { DYNAMODB_LOCAL_AVAILABLE } from './engines';

/**
 * Starts one DynamoDB Local for the whole jest run (a JVM takes about 2 s to start, and longer
 * to warm up) and hands its endpoint to every test file; each file makes tables of its own.
 * Without Java it says so once, or fails the run in CI, where DynamoDB Local must run.
 */
export default async function globalSetup(): Promise<void> {
  if (!DYNAMODB_LOCAL_AVAILABLE) {
    const reason = 'java is not on the PATH';
    if (process.env.CI === 'true') throw new Error(`DynamoDB Local cannot run in CI: ${reason}`);
    process.stderr.write(`DynamoDB Local skipped: ${reason}; the storage tests run on dynalite only.\n`);
    return;
  }
  const database = await startDynamoDbLocal();
  process.env[SHARED_DYNAMODB_LOCAL_ENDPOINT] = database.endpoint;
  (globalThis as { dynamoDbLocal?: typeof database }).dynamoDbLocal = database;
}

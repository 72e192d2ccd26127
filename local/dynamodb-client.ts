import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../src/aws/clients';

function isLoopback(url: string): boolean {
  const { hostname } = new URL(url);
  return hostname === 'localhost' || hostname === '[::1]' || hostname.startsWith('127.');
}

/**
 * The DynamoDB client of the local run, the tools and the tests: the receiver's client (same
 * timeouts and retries) pointed at `endpoint`. A database on this machine (the embedded one,
 * DynamoDB Local) takes any credentials; anything else gets the usual AWS credential chain.
 */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return createDynamoDbClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'local',
    ...(isLoopback(endpoint) ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}

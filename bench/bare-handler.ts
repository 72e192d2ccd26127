import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bareUpdate } from './bare-update';

/**
 * The benchmark's baseline Lambda: a bare DynamoDB client doing one UpdateItem per request,
 * with no signature check, no validation and no logging. Bundled like the real function so
 * that bundle size and cold start can be compared with it.
 */
const client = new DynamoDBClient({});

export const handler = (event: APIGatewayProxyEventV2) => bareUpdate(client, event);

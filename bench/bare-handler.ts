import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * The benchmark's baseline Lambda: a bare DynamoDB client doing one UpdateItem per request,
 * with no signature check, no validation and no logging. Bundled like the real function so
 * that bundle size and cold start can be compared with it.
 */
const tableName = process.env.TABLE_NAME ?? 'codat-connections';
const client = new DynamoDBClient({});

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { companyId: { S: 'bench' }, connectionId: { S: event.requestContext.requestId } },
      UpdateExpression: 'SET #body = :body',
      ExpressionAttributeNames: { '#body': 'body' },
      ExpressionAttributeValues: { ':body': { S: event.body ?? '' } },
    }),
  );
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"result":"applied"}' };
};

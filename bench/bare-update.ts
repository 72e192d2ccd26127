import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** The table the bench's bare functions write to. */
export const tableName = process.env.TABLE_NAME ?? 'codat-connections';

/** What the bench's bare functions do per request: one UpdateItem of the body, answered 200. */
export async function bareUpdate(
  client: DynamoDBClient,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
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
}

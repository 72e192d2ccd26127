import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createDynamoDbClient } from '../src/aws/clients';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { readReadConfig } from '../src/http/read-config';
import { createConnectionReader } from '../src/http/read-connections';
import { createLogger } from '../src/observability/powertools';

// Built once per cold start and shared by every invocation of this container.
const config = readReadConfig(process.env);
const logger = createLogger({ stage: config.stage, logLevel: config.logLevel });
const read = createConnectionReader(new DynamoDbConnectionStore(createDynamoDbClient(), config.tableName), {
  onFailure: (failure) => logger.appendKeys(failure),
});

/**
 * `GET /companies/{companyId}/connections[/{connectionId}]` behind AWS_IAM authorization: the
 * same code and answers as the local routes. One log line per request, with the caller's IAM
 * identity, so that who read what can be found.
 */
export async function handler(event: APIGatewayProxyEventV2, context: Context) {
  logger.addContext(context);
  const started = performance.now();
  const answer = await read(event);
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string } } }).authorizer?.iam;
  const line = {
    routeKey: event.routeKey,
    companyId: event.pathParameters?.companyId,
    connectionId: event.pathParameters?.connectionId,
    statusCode: answer.statusCode,
    caller: iam?.userArn,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
  if ((answer.statusCode ?? 200) >= 500) logger.error('read', line);
  else logger.info('read', line);
  logger.removeKeys(['reasonCode', 'reason']);
  return answer;
}

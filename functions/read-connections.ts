import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createDynamoDbClient } from '../src/aws/clients';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { DynamoDbHistoryStore } from '../src/history/dynamodb-history-store';
import { readReadConfig } from '../src/http/read-config';
import { createConnectionReader } from '../src/http/read-connections';
import { createHistoryReader, HISTORY_ROUTE } from '../src/http/read-history';
import { createLogger } from '../src/observability/powertools';

// Built once per cold start and shared by every invocation of this container.
const config = readReadConfig(process.env);
const logger = createLogger({ stage: config.stage, logLevel: config.logLevel });
const client = createDynamoDbClient();
const read = createConnectionReader(new DynamoDbConnectionStore(client, config.tableName));
const readHistory = createHistoryReader(new DynamoDbHistoryStore(client, config.historyTableName));
const HISTORY_ROUTE_KEY = `GET ${HISTORY_ROUTE}`;

/** The caller's IAM identity, as API Gateway's AWS_IAM authorizer hands it over. */
function callerOf(event: APIGatewayProxyEventV2): string | undefined {
  const { authorizer } = event.requestContext as { authorizer?: { iam?: { userArn?: string } } };
  return authorizer?.iam?.userArn;
}

/**
 * `GET /companies/{companyId}/connections[/{connectionId}[/history]]` behind AWS_IAM authorization: the
 * same code and answers as the local routes. One log line per request, with the caller's IAM
 * identity, so that who read what can be found, and why a read failed, which the answer never says.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
  .use(injectLambdaContext(logger, { logEvent: false }))
  .handler(async (event) => {
    const started = performance.now();
    const { response, failure } = await (event.routeKey === HISTORY_ROUTE_KEY ? readHistory : read)(event);
    const line = {
      routeKey: event.routeKey,
      companyId: event.pathParameters?.companyId,
      connectionId: event.pathParameters?.connectionId,
      statusCode: response.statusCode,
      caller: callerOf(event),
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...failure,
    };
    if ((response.statusCode ?? 200) >= 500) logger.error('read', line);
    else logger.info('read', line);
    return response;
  });

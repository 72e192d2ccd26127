import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { WEBHOOK_PATH } from '../src/defaults';

export interface ApiGatewayEventOptions {
  /** @default 'POST' */
  method?: string;
  /** The request path. @default WEBHOOK_PATH */
  path?: string;
  /** The route as declared, `/companies/{companyId}/connections`. @default `path` */
  route?: string;
  /** Lower-case header names, as API Gateway gives them. */
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  /** The query string, without `?`. */
  rawQueryString?: string;
  /** Bytes travel base64-encoded, exactly as sent; a string as it is. */
  body?: Buffer | string;
  sourceIp?: string;
  protocol?: string;
}

/**
 * An API Gateway HTTP API event (payload format 2.0), as the local server passes to a handler
 * and as the tests and the benchmark build one: the one place that knows its shape.
 */
/**
 * The query as API Gateway's payload 2.0 hands it over besides `rawQueryString`: decoded, a
 * repeated name's values joined with commas, absent when there is no query.
 */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  // A Map, not an object: a name such as `constructor` or `__proto__` is a name like any other.
  const parameters = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const before = parameters.get(name);
    parameters.set(name, before === undefined ? value : `${before},${value}`);
  }
  return parameters.size > 0 ? Object.fromEntries(parameters) : undefined;
}

export function apiGatewayEvent(options: ApiGatewayEventOptions = {}): APIGatewayProxyEventV2 {
  const { method = 'POST', path = WEBHOOK_PATH, headers = {}, body } = options;
  const routeKey = `${method} ${options.route ?? path}`;
  const now = Date.now();
  const query = queryParameters(options.rawQueryString ?? '');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: options.rawQueryString ?? '',
    ...(query ? { queryStringParameters: query } : {}),
    headers,
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path,
        protocol: options.protocol ?? 'HTTP/1.1',
        sourceIp: options.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(body === undefined
      ? { isBase64Encoded: false }
      : Buffer.isBuffer(body)
        ? { body: body.toString('base64'), isBase64Encoded: true }
        : { body, isBase64Encoded: false }),
  };
}

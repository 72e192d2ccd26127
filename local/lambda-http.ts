import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { apiGatewayEvent } from './api-gateway-event';
import { lambdaContext } from './lambda-context';

/**
 * Serves an API Gateway HTTP API (payload 2.0) handler over Node's http server, so the local
 * run calls exactly the code Lambda calls.
 */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The request body passed the local server's limit while it was read. Not a domain error, so not
 * in src/errors.ts: it stands in for API Gateway's own payload limit, met before any handler
 * runs, and only this transport throws and catches it; the receiver's limit is PayloadTooLargeError.
 */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the body as bytes, stopping as soon as it passes `limitBytes`: it is never held whole. */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface Route {
  method: string;
  /** `/companies/{companyId}/connections`: each `{name}` matches one path segment. */
  path: string;
  handler: HttpApiHandler;
}

function compile(route: Route) {
  const names: string[] = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, names, regex: new RegExp(`^${pattern}$`) };
}

/** The route's `{name}` segments, percent-decoded; `undefined` when one cannot be decoded. */
function decodeParameters(
  match: ReturnType<typeof compile>,
  path: string,
): Record<string, string> | undefined {
  const values = match.regex.exec(path)?.slice(1) ?? [];
  try {
    return Object.fromEntries(
      match.names.map((name, index) => [name, decodeURIComponent(values[index] ?? '')]),
    );
  } catch {
    // decodeURIComponent throws URIError on `%E0%A4%A` and the like: the caller's mistake.
    return undefined;
  }
}

/** Turns routes into a Node request listener that speaks API Gateway's payload format 2.0. */
export function httpApi(routes: Route[], options: { maxBodyBytes: number; timeoutMs: number }) {
  const compiled = routes.map(compile);
  return async (request: IncomingMessage, response: ServerResponse) => {
    const send = (result: APIGatewayProxyStructuredResultV2) => {
      response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      response.end(result.body ?? '');
    };
    const url = new URL(request.url ?? '/', 'http://localhost');
    const matches = compiled.filter((entry) => entry.regex.test(url.pathname));
    const match = matches.find((entry) => entry.route.method === request.method);
    if (!match) {
      const status = matches.length ? 405 : 404;
      send({
        statusCode: status,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: status === 405 ? 'method not allowed' : 'not found' }),
      });
      request.resume();
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      send({
        statusCode: 413,
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ error: 'payload too large', limitBytes: options.maxBodyBytes }),
      });
      request.destroy();
      return;
    }
    const pathParameters = decodeParameters(match, url.pathname);
    if (!pathParameters) {
      send({
        statusCode: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'malformed path: a percent-encoding is not valid UTF-8' }),
      });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const event = apiGatewayEvent({
      method: request.method ?? 'GET',
      path: url.pathname,
      route: match.route.path,
      rawQueryString: url.search.slice(1),
      headers,
      pathParameters,
      protocol: `HTTP/${request.httpVersion}`,
      sourceIp: request.socket.remoteAddress ?? '',
      // Bytes, base64-encoded as API Gateway does: the signature covers them exactly.
      body,
    });
    send(await match.route.handler(event, lambdaContext({ timeoutMs: options.timeoutMs })));
  };
}

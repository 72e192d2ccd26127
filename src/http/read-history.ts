import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isUtf8Text, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from '../connection/dynamodb-limits';
import { InvalidQueryParameterError } from '../errors';
import { parseHistoryQuery } from '../history/history-query';
import type { HistoryReader } from '../history/history-store';
import { statusDurations } from '../history/status-durations';
import { json, toErrorAnswer } from './answers';
import type { ReadResult } from './read-connections';

/** The history route, as the stack and the local server declare it. */
export const HISTORY_ROUTE = '/companies/{companyId}/connections/{connectionId}/history';

/** Why the path's ids cannot name a stored connection, if they cannot. */
function idsProblem(companyId: string | undefined, connectionId: string | undefined): string | undefined {
  if (!companyId) return 'companyId is required';
  if (Buffer.byteLength(companyId) > MAX_PARTITION_KEY_BYTES || !isUtf8Text(companyId)) {
    return `companyId must be well-formed and at most ${MAX_PARTITION_KEY_BYTES} bytes`;
  }
  if (!connectionId || Buffer.byteLength(connectionId) > MAX_SORT_KEY_BYTES || !isUtf8Text(connectionId)) {
    return `connectionId must be well-formed, 1 to ${MAX_SORT_KEY_BYTES} bytes`;
  }
  return undefined;
}

/** The parameters the route takes; any other is refused, as the other read routes refuse one. */
const PARAMETERS: ReadonlySet<string> = new Set(['since', 'cursor', 'limit']);

/**
 * The query string as sent (`rawQueryString`: API Gateway and the local server both give it),
 * each parameter at most once. Not `queryStringParameters`: the local server sets none, and
 * API Gateway joins a repeated parameter with commas, which would read as another value.
 */
function queryOf(rawQueryString: string | undefined): Record<string, string> {
  const query = new URLSearchParams(rawQueryString ?? '');
  const parameters: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!PARAMETERS.has(name)) throw new InvalidQueryParameterError(name, 'is not a parameter of this route');
    if (name in parameters) throw new InvalidQueryParameterError(name, 'must be given at most once');
    parameters[name] = value;
  }
  return parameters;
}

/**
 * `GET /companies/{companyId}/connections/{connectionId}/history?since=&cursor=&limit=`: one
 * connection's history newest first, a page at a time, with the time spent in each status over
 * the returned span (docs/history.md), in the local run and behind the stack's IAM-authorized
 * route alike. A bad parameter answers 400 naming it; a failure comes back with its answer,
 * for the caller to log.
 */
export function createHistoryReader(reader: HistoryReader, now: () => Date = () => new Date()) {
  return async (event: APIGatewayProxyEventV2): Promise<ReadResult> => {
    const { companyId, connectionId } = event.pathParameters ?? {};
    const problem = idsProblem(companyId, connectionId);
    if (problem || !companyId || !connectionId) {
      return { response: json(400, { error: 'invalid request', reason: problem }) };
    }
    try {
      const query = parseHistoryQuery(queryOf(event.rawQueryString));
      const page = await reader.connectionHistory(companyId, connectionId, query);
      // The first page's newest status lasts until now; a later page's until the change above it.
      const timeInStatus = statusDurations(page.items, page.newerChangeAt ?? now());
      return {
        response: json(200, {
          companyId,
          connectionId,
          changes: page.items,
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          ...(timeInStatus ? { timeInStatus } : {}),
        }),
      };
    } catch (error) {
      if (error instanceof InvalidQueryParameterError) {
        const body = { error: 'invalid request', parameter: error.parameter, reason: error.message };
        return { response: json(400, body) };
      }
      const answer = toErrorAnswer(error);
      return { response: answer.response, failure: { reasonCode: answer.code, reason: answer.reason } };
    }
  };
}

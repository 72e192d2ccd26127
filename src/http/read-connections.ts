import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isUtf8Text, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES } from '../connection/dynamodb-limits';
import type { ConnectionReader } from '../connection/store';
import { type ErrorAnswer, json, toErrorAnswer } from './answers';

type ReadRequest =
  | { companyId: string; connectionId?: string; includeDeleted: boolean }
  | { problem: string };

/** The ids and the query asked for; an id longer than DynamoDB's keys cannot be stored, so it is a mistake. */
function readRequest(event: APIGatewayProxyEventV2): ReadRequest {
  const { companyId, connectionId } = event.pathParameters ?? {};
  if (!companyId) return { problem: 'companyId is required' };
  if (Buffer.byteLength(companyId) > MAX_PARTITION_KEY_BYTES || !isUtf8Text(companyId)) {
    return { problem: `companyId must be well-formed and at most ${MAX_PARTITION_KEY_BYTES} bytes` };
  }
  if (
    connectionId !== undefined &&
    (connectionId === '' || Buffer.byteLength(connectionId) > MAX_SORT_KEY_BYTES || !isUtf8Text(connectionId))
  ) {
    return { problem: `connectionId must be well-formed, 1 to ${MAX_SORT_KEY_BYTES} bytes` };
  }
  const query = new URLSearchParams(event.rawQueryString ?? '');
  const includeDeleted = query.getAll('includeDeleted');
  if (
    includeDeleted.length > 1 ||
    (includeDeleted[0] !== undefined && !['true', 'false'].includes(includeDeleted[0]))
  ) {
    return { problem: 'includeDeleted must be true or false, given once' };
  }
  for (const name of query.keys()) {
    if (name !== 'includeDeleted') return { problem: `unknown query parameter ${name}` };
  }
  return {
    companyId,
    ...(connectionId ? { connectionId } : {}),
    includeDeleted: includeDeleted[0] === 'true',
  };
}

/** Why a read failed, which the answer itself never says: for the function's log line. */
export interface ReadFailure {
  reasonCode: ErrorAnswer['code'];
  reason: string;
}

/** The answer to one read, and, when it failed, why. */
export interface ReadResult {
  response: APIGatewayProxyStructuredResultV2;
  failure?: ReadFailure;
}

/**
 * `GET /companies/{companyId}/connections` and
 * `GET /companies/{companyId}/connections/{connectionId}`: what the table holds, in the local
 * run and behind the stack's IAM-authorized routes alike. Tombstones (deleted connections
 * kept until TTL removes them) are left out, and a deleted connection answers 404, unless
 * `?includeDeleted=true`. A failure comes back with its answer, for the caller to log.
 */
export function createConnectionReader(reader: ConnectionReader) {
  return async (event: APIGatewayProxyEventV2): Promise<ReadResult> => {
    const request = readRequest(event);
    if ('problem' in request) {
      return { response: json(400, { error: 'invalid request', reason: request.problem }) };
    }
    const { companyId, connectionId, includeDeleted } = request;
    try {
      if (!connectionId) {
        const connections = await reader.listByCompany(companyId);
        const shown = connections.filter((stored) => includeDeleted || !stored.deleted);
        return { response: json(200, { connections: shown }) };
      }
      const stored = await reader.get(companyId, connectionId);
      return {
        response:
          stored && (includeDeleted || !stored.deleted)
            ? json(200, stored)
            : json(404, { error: 'no such connection', companyId, connectionId }),
      };
    } catch (error) {
      const answer = toErrorAnswer(error);
      return {
        response: answer.response,
        failure: { reasonCode: answer.code, reason: answer.reason },
      };
    }
  };
}

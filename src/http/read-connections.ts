import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ConnectionReader } from '../connection/store';
import { json, toErrorAnswer } from './answers';

/**
 * `GET /companies/{companyId}/connections` and
 * `GET /companies/{companyId}/connections/{connectionId}`: what the table holds.
 * Served by the local run only: the deployed stack exposes no read route yet.
 */
export function createConnectionReader(reader: ConnectionReader) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const { companyId, connectionId } = event.pathParameters ?? {};
    if (!companyId) return json(400, { error: 'companyId is required' });
    try {
      if (!connectionId) return json(200, { connections: await reader.listByCompany(companyId) });
      const stored = await reader.get(companyId, connectionId);
      return stored ? json(200, stored) : json(404, { error: 'no such connection', companyId, connectionId });
    } catch (error) {
      return toErrorAnswer(error).response;
    }
  };
}

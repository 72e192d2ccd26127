import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ConnectionStore } from '../connection/store';
import { json, toErrorAnswer } from '../webhook/responses';

/**
 * `GET /companies/{companyId}/connections` and
 * `GET /companies/{companyId}/connections/{connectionId}`: what the table holds.
 * Served by the local run only: the deployed stack exposes no read route yet.
 */
export function createConnectionReader(store: ConnectionStore) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const { companyId, connectionId } = event.pathParameters ?? {};
    if (!companyId) return json(400, { error: 'companyId is required' });
    try {
      if (!connectionId) return json(200, { connections: await store.listByCompany(companyId) });
      const stored = await store.get(companyId, connectionId);
      return stored ? json(200, stored) : json(404, { error: 'no such connection', companyId, connectionId });
    } catch (error) {
      return toErrorAnswer(error).response;
    }
  };
}

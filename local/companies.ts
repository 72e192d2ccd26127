import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { storageError } from '../src/connection/dynamodb-errors';
import type { StoredConnection } from '../src/connection/store';
import { toStoredConnection } from '../src/connection/stored-item';
import { CONNECTION_TABLE } from '../src/connection/table';
import { json, toErrorAnswer } from '../src/http/answers';

/**
 * `GET /companies`: every company with its connections, for the local page. A local route only:
 * the table has no index of companies, so this is a Scan of the whole table, page by page, and
 * on the deployed IAM read API a client polling it would pay for reading every item on every
 * request. A cheap deployed list would need an item (or index) per company kept by the writers.
 */
export const LOCAL_COMPANIES_PATH = '/companies';

/** Companies per page unless `?limit=` says otherwise, and the most it may say. */
export const COMPANIES_PAGE_DEFAULT = 50;
export const COMPANIES_PAGE_MAX = 200;

/** Items per Scan request: small enough that a page stops soon after its last company. */
const SCAN_PAGE_ITEMS = 100;

const { partitionKey, sortKey } = CONNECTION_TABLE;

export interface CompanyWithConnections {
  companyId: string;
  companyName: string;
  connections: StoredConnection[];
}

export interface CompaniesPage {
  companies: CompanyWithConnections[];
  /** Pass as `?cursor=` for the next page; absent on the last one. */
  nextCursor?: string;
}

type Key = { companyId: string; connectionId: string };

/** The cursor is the key of the last item a page holds, so that the next Scan starts after it. */
function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify([key.companyId, key.connectionId])).toString('base64url');
}

function decodeCursor(cursor: string): Key | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [companyId, connectionId] = value as unknown[];
      if (typeof companyId === 'string' && typeof connectionId === 'string') {
        return { companyId, connectionId };
      }
    }
  } catch {
    // Not JSON: not a cursor this route gave.
  }
  return undefined;
}

/**
 * Up to `limit` companies, each with all its connections (tombstones only with `includeDeleted`;
 * a company with nothing else is left out). A company's items are adjacent in a Scan (one
 * partition key), so a page ends after the last item of its last company, and the next starts
 * with the next company.
 */
export async function listCompanies(
  client: DynamoDBClient,
  tableName: string,
  options: { limit: number; after?: Key; includeDeleted: boolean },
): Promise<CompaniesPage> {
  const companies: CompanyWithConnections[] = [];
  let startKey: Record<string, AttributeValue> | undefined = options.after
    ? { [partitionKey]: { S: options.after.companyId }, [sortKey]: { S: options.after.connectionId } }
    : undefined;
  let last: Key | undefined;
  try {
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
          Limit: SCAN_PAGE_ITEMS,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const stored = toStoredConnection(item);
        let company = companies.at(-1);
        if (company?.companyId !== stored.companyId) {
          // A company whose every connection was left out (tombstones) is no company to list.
          if (company?.connections.length === 0) companies.pop();
          if (companies.length === options.limit && last)
            return { companies, nextCursor: encodeCursor(last) };
          company = { companyId: stored.companyId, companyName: stored.company.name, connections: [] };
          companies.push(company);
        }
        if (options.includeDeleted || !stored.deleted) company.connections.push(stored);
        last = { companyId: stored.companyId, connectionId: stored.connection.id };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } catch (error) {
    throw storageError(error);
  }
  if (companies.at(-1)?.connections.length === 0) companies.pop();
  return { companies };
}

type CompaniesRequest = { limit: number; after?: Key; includeDeleted: boolean } | { problem: string };

function companiesRequest(event: APIGatewayProxyEventV2): CompaniesRequest {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  for (const name of new Set(query.keys())) {
    if (!['limit', 'cursor', 'includeDeleted'].includes(name)) {
      return { problem: `unknown query parameter ${name}` };
    }
    if (query.getAll(name).length > 1) return { problem: `${name} must be given once` };
  }
  const limitText = query.get('limit') ?? String(COMPANIES_PAGE_DEFAULT);
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > COMPANIES_PAGE_MAX) {
    return { problem: `limit must be a whole number from 1 to ${COMPANIES_PAGE_MAX}` };
  }
  const includeDeleted = query.get('includeDeleted') ?? 'false';
  if (!['true', 'false'].includes(includeDeleted)) return { problem: 'includeDeleted must be true or false' };
  const cursor = query.get('cursor');
  const after = cursor === null ? undefined : decodeCursor(cursor);
  if (cursor !== null && !after) return { problem: 'cursor is not one this route gave' };
  return { limit, includeDeleted: includeDeleted === 'true', ...(after ? { after } : {}) };
}

/** The route's handler, answering as the read routes do (400 for a bad query, 503 for storage). */
export function createCompaniesRoute(client: DynamoDBClient, tableName: string) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const request = companiesRequest(event);
    if ('problem' in request) return json(400, { error: 'invalid request', reason: request.problem });
    try {
      return json(200, await listCompanies(client, tableName, request));
    } catch (error) {
      return toErrorAnswer(error).response;
    }
  };
}

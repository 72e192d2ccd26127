import { randomUUID } from 'node:crypto';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { lambdaContext } from '../local/lambda-context';
import type { StoredConnection } from '../src/connection/store';
import { StorageUnavailableError } from '../src/errors';
import { DynamoDbHistoryStore } from '../src/history/dynamodb-history-store';
import { historyTableInput } from '../src/history/history-table';
import { recordHistory } from '../src/history/record-history';
import { createConnectionReader } from '../src/http/read-connections';
import { HISTORY_ROUTE } from '../src/http/read-history';
import { changeOf } from './support/changes';
import { type EmbeddedTable, ENGINES, startTable } from './support/engines';
import { linkedDeauthorizedLinkedThenWalk, recordsOf } from './support/history';
import { type CapturedOutput, captureOutput } from './support/logs';

/** A GET as the HTTP API hands it to the function, route and path parameters resolved. */
function get(companyId: string, connectionId?: string, query = '') {
  const route = `/companies/{companyId}/connections${connectionId === undefined ? '' : '/{connectionId}'}`;
  return apiGatewayEvent({
    method: 'GET',
    path: `/companies/${companyId}/connections${connectionId === undefined ? '' : `/${connectionId}`}`,
    route,
    pathParameters: { companyId, ...(connectionId === undefined ? {} : { connectionId }) },
    rawQueryString: query,
  });
}

describe.each(ENGINES)('the read routes on %s', (engine) => {
  let table: EmbeddedTable;
  let read: (event: ReturnType<typeof get>) => Promise<APIGatewayProxyStructuredResultV2>;
  const companyId = randomUUID();
  const live = randomUUID();
  const deleted = randomUUID();

  beforeAll(async () => {
    table = await startTable(engine);
    const reader = createConnectionReader(table.store);
    read = async (event) => (await reader(event)).response;
    await table.store.write(changeOf({ eventType: 'connection.connected', companyId, connectionId: live }));
    await table.store.write(changeOf({ eventType: 'connection.deleted', companyId, connectionId: deleted }));
  });

  afterAll(async () => {
    await table.close();
  });

  const body = (answer: { body?: string }) => JSON.parse(answer.body ?? '{}');

  it('answers 200 with the stored connection', async () => {
    const answer = await read(get(companyId, live));

    expect(answer.statusCode).toBe(200);
    expect(answer.headers).toEqual({ 'content-type': 'application/json' });
    expect(body(answer) as StoredConnection).toMatchObject({
      companyId,
      connection: { id: live, status: 'Linked', platformName: 'Basiq' },
      lastEvent: { type: 'connection.connected' },
      deleted: false,
    });
  });

  it('answers 404 naming the connection when there is none', async () => {
    const missing = randomUUID();

    const answer = await read(get(companyId, missing));

    expect(answer.statusCode).toBe(404);
    expect(body(answer)).toEqual({ error: 'no such connection', companyId, connectionId: missing });
  });

  it('lists a company’s live connections, leaving tombstones out', async () => {
    const answer = await read(get(companyId));

    expect(answer.statusCode).toBe(200);
    expect(body(answer).connections.map((each: StoredConnection) => each.connection.id)).toEqual([live]);
  });

  it('answers 404 for a deleted connection, and shows its tombstone with includeDeleted=true', async () => {
    const hidden = await read(get(companyId, deleted));
    const shown = await read(get(companyId, deleted, 'includeDeleted=true'));

    expect(hidden.statusCode).toBe(404);
    expect(shown.statusCode).toBe(200);
    expect(body(shown)).toMatchObject({ connection: { id: deleted }, deleted: true });
  });

  it('lists tombstones too with includeDeleted=true', async () => {
    const answer = await read(get(companyId, undefined, 'includeDeleted=true'));

    expect(
      body(answer)
        .connections.map((each: StoredConnection) => each.connection.id)
        .sort(),
    ).toEqual([live, deleted].sort());
  });

  it('answers an empty list for a company it does not know', async () => {
    const answer = await read(get(randomUUID()));

    expect(answer.statusCode).toBe(200);
    expect(body(answer)).toEqual({ connections: [] });
  });

  it.each([
    [
      'an includeDeleted that is not true or false',
      get(companyId, undefined, 'includeDeleted=yes'),
      /includeDeleted/,
    ],
    [
      'includeDeleted given twice',
      get(companyId, undefined, 'includeDeleted=true&includeDeleted=false'),
      /includeDeleted/,
    ],
    ['an unknown query parameter', get(companyId, undefined, 'limit=5'), /unknown query parameter limit/],
    ['a connection id longer than DynamoDB keeps', get(companyId, 'c'.repeat(1025)), /connectionId/],
    ['a company id longer than DynamoDB keeps', get('c'.repeat(2049)), /companyId/],
    ['a company id with a lone surrogate', get('\ud800'), /companyId/],
  ])('answers 400, not 500, to %s', async (_name, event, reason) => {
    const answer = await read(event);

    expect(answer.statusCode).toBe(400);
    expect(body(answer)).toEqual({ error: 'invalid request', reason: expect.stringMatching(reason) });
  });
});

describe('the read routes when the database fails', () => {
  it('answers 503 and returns why with the answer, which the answer itself does not say', async () => {
    const unavailable = async () => {
      throw new StorageUnavailableError('DynamoDB did not complete the request (TimeoutError)');
    };
    const read = createConnectionReader({ get: unavailable, listByCompany: unavailable });

    const { response, failure } = await read(
      apiGatewayEvent({
        method: 'GET',
        path: '/companies/c/connections',
        pathParameters: { companyId: 'c' },
      }),
    );

    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain('TimeoutError');
    expect(failure).toEqual({ reasonCode: 'storage', reason: expect.stringContaining('TimeoutError') });
  });
});

describe('the read function, as Lambda runs it', () => {
  const environment = { ...process.env };
  let table: EmbeddedTable;
  let output: CapturedOutput;
  const historyTableName = `history-${randomUUID()}`;

  beforeAll(async () => {
    table = await startTable('dynalite');
    // The history table beside it, in the same database, as the stack has both.
    await table.client.send(new CreateTableCommand(historyTableInput(historyTableName)));
    // The function logs one line per request: read below, not printed.
    output = captureOutput();
    Object.assign(process.env, {
      TABLE_NAME: table.tableName,
      HISTORY_TABLE_NAME: historyTableName,
      AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
  });

  afterAll(async () => {
    output.restore();
    process.env = environment;
    if (!closed) await table.close();
  });
  let closed = false;

  it('answers from the table named in its environment, with the same answers as the local routes', async () => {
    const ids = { companyId: randomUUID(), connectionId: randomUUID() };
    await table.store.write(changeOf({ eventType: 'connection.connected', ...ids }));
    const { handler } = await import('../functions/read-connections');

    const found = await handler(get(ids.companyId, ids.connectionId), lambdaContext());
    const listed = await handler(get(ids.companyId), lambdaContext());

    expect(found.statusCode).toBe(200);
    expect(JSON.parse(found.body ?? '{}')).toMatchObject({
      companyId: ids.companyId,
      connection: { id: ids.connectionId },
    });
    expect(JSON.parse(listed.body ?? '{}').connections).toHaveLength(1);
    expect(output.logLines('read')).toEqual([
      expect.objectContaining({
        level: 'INFO',
        routeKey: 'GET /companies/{companyId}/connections/{connectionId}',
        statusCode: 200,
      }),
      expect.objectContaining({
        level: 'INFO',
        routeKey: 'GET /companies/{companyId}/connections',
        statusCode: 200,
      }),
    ]);
  });

  it('answers the history route from the history table named in its environment, by the route key', async () => {
    const ids = { companyId: randomUUID(), connectionId: randomUUID() };
    const history = new DynamoDbHistoryStore(table.client, historyTableName);
    const records = recordsOf(linkedDeauthorizedLinkedThenWalk(ids));
    await recordHistory(records, { store: history, historyDays: 400 });
    const { handler } = await import('../functions/read-connections');
    const before = output.logLines('read').length;
    const event = apiGatewayEvent({
      method: 'GET',
      path: `/companies/${ids.companyId}/connections/${ids.connectionId}/history`,
      route: HISTORY_ROUTE,
      pathParameters: ids,
      rawQueryString: 'limit=2',
    });

    const answer = await handler(event, lambdaContext());

    expect(answer.statusCode).toBe(200);
    const { changes, nextCursor } = JSON.parse(answer.body ?? '{}');
    expect(changes.map((change: { status: string }) => change.status)).toEqual(['Unlinked', 'Linked']);
    expect(nextCursor).toEqual(expect.any(String));
    expect(output.logLines('read').slice(before)).toEqual([
      expect.objectContaining({ level: 'INFO', routeKey: `GET ${HISTORY_ROUTE}`, statusCode: 200 }),
    ]);
  });

  it('logs why a read failed on its own line only, never on the next request', async () => {
    const { handler } = await import('../functions/read-connections');
    await table.close();
    closed = true;
    const before = output.logLines('read').length;

    const failed = await handler(get(randomUUID()), lambdaContext());
    const refused = await handler(get(randomUUID(), undefined, 'limit=5'), lambdaContext());

    expect(failed.statusCode).toBe(503);
    expect(refused.statusCode).toBe(400);
    const [failureLine, nextLine] = output.logLines('read').slice(before);
    expect(failureLine).toMatchObject({ level: 'ERROR', statusCode: 503, reasonCode: 'storage' });
    expect(failureLine?.reason).toEqual(expect.any(String));
    expect(nextLine).toMatchObject({ level: 'INFO', statusCode: 400 });
    expect(nextLine).not.toHaveProperty('reasonCode');
    expect(nextLine).not.toHaveProperty('reason');
  });
});

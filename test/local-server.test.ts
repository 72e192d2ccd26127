import { randomUUID } from 'node:crypto';
import type { CompaniesPage, CompanyWithConnections } from '../local/companies';
import { startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { sampleCompanyEvent, sampleEvent } from '../local/sample-events';
import { type LocalServer, startLocalServer } from '../local/server';
import type { StoredConnection } from '../src/connection/store';
import { changeOf } from './support/changes';
import { type EmbeddedTable, type Engine, startTable } from './support/embedded-table';
import { ENGINES } from './support/engines';
import { RecordingLogger } from './support/logs';
import { post, postSigned, testSecret } from './support/signed-request';

const secret = testSecret();
const logger = new RecordingLogger({ stage: 'local' });
let server: LocalServer;
let table: EmbeddedTable;

function newConnection() {
  return { companyId: randomUUID(), connectionId: randomUUID() };
}

async function stored(key: { companyId: string; connectionId: string }) {
  const response = await fetch(`${server.url}/companies/${key.companyId}/connections/${key.connectionId}`);
  return { status: response.status, json: (await response.json()) as StoredConnection };
}

async function send(event: unknown, options?: Parameters<typeof postSigned>[3]) {
  return postSigned(server.webhookUrl, secret, JSON.stringify(event), options);
}

/** For the tests of the block: a local server over a fresh table on `engine`, closed after them. */
function serveOnFreshTable(engine: Engine) {
  beforeAll(async () => {
    table = await startTable(engine);
    server = await startLocalServer({
      port: 0,
      signingSecret: secret,
      dynamoDbEndpoint: table.endpoint,
      tableName: table.tableName,
      logger,
      deliveryLog: logger.deliveryLog(),
    });
  });

  afterAll(async () => {
    await server.close();
    await table.close();
  });
}

describe.each(ENGINES)('the receiver, end to end over HTTP, on %s', (engine) => {
  serveOnFreshTable(engine);

  it('applies a signed connection.connected event and shows the record', async () => {
    const key = newConnection();
    const event = sampleEvent({ eventType: 'connection.connected', ...key });

    const answer = await send(event);

    expect(answer).toMatchObject({ status: 200, json: { result: 'applied' } });
    const record = await stored(key);
    expect(record.status).toBe(200);
    expect(record.json.connection).toEqual(event.payload.connection);
    expect(record.json.lastEvent.id).toBe(event.id);
  });

  it('answers duplicate to the same signed request sent again', async () => {
    const body = JSON.stringify(sampleEvent({ eventType: 'connection.connected', ...newConnection() }));
    const first = await postSigned(server.webhookUrl, secret, body);

    const again = await post(server.webhookUrl, body, first.headers);

    expect(first.json).toEqual({ result: 'applied' });
    expect(again).toMatchObject({ status: 200, json: { result: 'duplicate' } });
  });

  it('answers stale to an older event for the connection and changes nothing', async () => {
    const key = newConnection();
    await send(
      sampleEvent({ eventType: 'connection.connected', ...key, generatedDate: '2026-11-28T10:00:00Z' }),
    );
    const before = await stored(key);

    const answer = await send(
      sampleEvent({ eventType: 'connection.disconnected', ...key, generatedDate: '2026-11-28T09:00:00Z' }),
    );

    expect(answer).toMatchObject({ status: 200, json: { result: 'stale' } });
    expect(await stored(key)).toEqual(before);
  });

  it('answers 401 to a tampered body, says why, and writes nothing', async () => {
    const key = newConnection();
    const event = sampleEvent({ eventType: 'connection.connected', ...key });

    const answer = await send(event, { tamper: (body) => body.replace('Toft stores', 'Toft st0res') });

    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      error: 'invalid signature',
      reason: 'header webhook-signature does not match the body and the signing secret',
    });
    expect((await stored(key)).status).toBe(404);
  });

  it('answers 401 naming the missing header of an unsigned delivery', async () => {
    const answer = await post(server.webhookUrl, '{}', { 'content-type': 'application/json' });

    expect(answer).toMatchObject({ status: 401, json: { reason: 'missing header webhook-id (or svix-id)' } });
  });

  it('answers 400 naming payload.connection.status for an unknown status, and writes nothing', async () => {
    const key = newConnection();

    const answer = await send(sampleEvent({ eventType: 'connection.connected', ...key, status: 'Bogus' }));

    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      error: 'invalid payload',
      problems: [{ path: 'payload.connection.status', message: expect.stringContaining('Bogus') }],
    });
    expect((await stored(key)).status).toBe(404);
  });

  it('answers 400 to a signed body that is not JSON', async () => {
    const answer = await postSigned(server.webhookUrl, secret, '{"id": ');

    expect(answer.status).toBe(400);
    expect(answer.json.problems).toEqual([
      { path: '(body)', message: expect.stringMatching(/^is not JSON/) },
    ]);
  });

  it('answers 400 to an event without eventType, naming it', async () => {
    const { eventType: _, ...event } = sampleEvent({ eventType: 'connection.connected' });

    const answer = await send(event);

    expect(answer).toMatchObject({ status: 400, json: { problems: [{ path: 'eventType' }] } });
  });

  it('acknowledges other event types as ignored, and writes nothing', async () => {
    const key = newConnection();

    const answer = await send({ ...sampleEvent({ eventType: 'company.created', ...key }) });

    expect(answer).toMatchObject({ status: 200, json: { result: 'ignored' } });
    expect((await stored(key)).status).toBe(404);
  });

  it('answers 413 to a body over 256 KiB, and writes nothing', async () => {
    const key = newConnection();
    const event = sampleEvent({ eventType: 'connection.connected', ...key });
    const body = JSON.stringify({ ...event, padding: 'x'.repeat(300 * 1024) });

    const response = await fetch(server.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'payload too large', limitBytes: 262_144 });
    expect((await stored(key)).status).toBe(404);
  });

  it('lists the stored connections of a company', async () => {
    const companyId = randomUUID();
    await send(sampleEvent({ eventType: 'connection.connected', companyId, connectionId: randomUUID() }));
    await send(sampleEvent({ eventType: 'connection.created', companyId, connectionId: randomUUID() }));

    const response = await fetch(`${server.url}/companies/${companyId}/connections`);

    expect(response.status).toBe(200);
    expect(((await response.json()) as { connections: unknown[] }).connections).toHaveLength(2);
  });

  it('answers 400, not 500, to a read path whose percent-encoding is malformed', async () => {
    const response = await fetch(`${server.url}/companies/%E0%A4%A/connections`);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining('malformed path') });
  });

  it('logs one searchable line per delivery, without the secret or the signature', async () => {
    const key = newConnection();
    const event = sampleEvent({ eventType: 'connection.connected', ...key });
    const answer = await send(event);

    const line = logger
      .logLines('delivery')
      .find((entry) => entry.webhookId === answer.headers['webhook-id']);

    expect(line).toMatchObject({
      level: 'INFO',
      stage: 'local',
      message: 'delivery',
      eventType: 'connection.connected',
      companyId: key.companyId,
      connectionId: key.connectionId,
      result: 'applied',
      statusCode: 200,
      durationMs: expect.any(Number),
    });
    const everything = logger.lines.join('\n');
    expect(everything).not.toContain(secret.slice('whsec_'.length));
    expect(everything).not.toContain(answer.headers['webhook-signature']?.slice(3));
  });

  it('logs a refused delivery with the id it claimed and the reason it was refused', async () => {
    const answer = await send(sampleEvent({ eventType: 'connection.connected' }), {
      tamper: (body) => body.replace('Toft stores', 'Toft st0res'),
    });

    const line = logger
      .logLines('delivery')
      .find((entry) => entry.webhookId === answer.headers['webhook-id']);

    expect(line).toMatchObject({
      level: 'WARN',
      result: 'rejected',
      statusCode: 401,
      reason: 'header webhook-signature does not match the body and the signing secret',
    });
  });
});

/** Every page of `GET /companies` (with `query`), in order. */
async function companyPages(query: Record<string, string> = {}): Promise<CompaniesPage[]> {
  const pages: CompaniesPage[] = [];
  let cursor: string | undefined;
  do {
    const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${server.url}/companies?${params}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as CompaniesPage;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

/** The companies of every page listed with an id in `ids`, as listed. */
function listedOf(pages: CompaniesPage[], ids: string[]): CompanyWithConnections[] {
  return pages.flatMap((page) => page.companies).filter((company) => ids.includes(company.companyId));
}

describe.each(ENGINES)("GET /companies, the local page's list, on %s", (engine) => {
  serveOnFreshTable(engine);

  it('lists each company with its connections as the connection routes give them', async () => {
    const companyId = randomUUID();
    const connectionIds = [randomUUID(), randomUUID()].sort();
    for (const connectionId of connectionIds) {
      await send(sampleEvent({ eventType: 'connection.connected', companyId, connectionId }));
    }
    const byCompany = await fetch(`${server.url}/companies/${companyId}/connections`);

    const [listed] = listedOf(await companyPages(), [companyId]);

    expect(listed).toEqual({
      companyId,
      companyName: 'Toft stores',
      connections: ((await byCompany.json()) as { connections: StoredConnection[] }).connections,
    });
    expect(listed?.connections.map((stored) => stored.connection.id)).toEqual(connectionIds);
  });

  it('pages by whole companies, each once with all its connections, across Scan pages', async () => {
    const companyIds = Array.from({ length: 13 }, () => randomUUID());
    await Promise.all(
      companyIds.flatMap((companyId) =>
        Array.from({ length: 10 }, () =>
          table.store.write(
            changeOf({ eventType: 'connection.connected', companyId, connectionId: randomUUID() }),
          ),
        ),
      ),
    );

    const pages = await companyPages({ limit: '3' });
    const listed = listedOf(pages, companyIds);

    expect(pages.every((page) => page.companies.length <= 3)).toBe(true);
    expect(pages.slice(0, -1).every((page) => page.companies.length === 3)).toBe(true);
    expect(listed.map((company) => company.companyId).sort()).toEqual([...companyIds].sort());
    expect(listed.map((company) => company.connections.length)).toEqual(companyIds.map(() => 10));
  });

  it('leaves out a deleted company unless asked to include deleted connections', async () => {
    const companyId = randomUUID();
    await send(sampleEvent({ eventType: 'connection.connected', companyId, connectionId: randomUUID() }));
    await send(sampleEvent({ eventType: 'connection.connected', companyId, connectionId: randomUUID() }));
    await send(sampleCompanyEvent({ eventType: 'company.deleted', companyId }));

    const live = listedOf(await companyPages(), [companyId]);
    const all = listedOf(await companyPages({ includeDeleted: 'true' }), [companyId]);

    expect(live).toEqual([]);
    expect(all[0]?.connections.map((stored) => stored.deleted)).toEqual([true, true]);
  });

  it.each([
    ['limit=0', 'limit must be a whole number from 1 to 200'],
    ['limit=201', 'limit must be a whole number from 1 to 200'],
    ['cursor=not-a-cursor', 'cursor is not one this route gave'],
    ['includeDeleted=yes', 'includeDeleted must be true or false'],
    ['limit=2&limit=3', 'limit must be given once'],
    ['companyId=x', 'unknown query parameter companyId'],
  ])('answers 400 to ?%s, saying why', async (query, reason) => {
    const response = await fetch(`${server.url}/companies?${query}`);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid request', reason });
  });
});

describe('the local page as the server serves it', () => {
  beforeAll(async () => {
    server = await startLocalServer({ port: 0, signingSecret: secret, logger });
  });

  afterAll(() => server.close());

  it('serves the page at / with the script and the stylesheet it loads, each as its type', async () => {
    const page = await fetch(`${server.url}/`);
    const html = await page.text();
    const script = await fetch(`${server.url}/page.js`);
    const style = await fetch(`${server.url}/page.css`);

    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<script type="module" src="/page.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/page.css" />');
    expect([script.status, script.headers.get('content-type')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
    expect(await script.text()).toContain("getJson('/events')");
    expect([style.status, style.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
  });

  it('serves no other file of the page folder', async () => {
    const response = await fetch(`${server.url}/index.html`);

    expect(response.status).toBe(404);
  });
});

describe('the local server as npm start runs it', () => {
  it('starts an embedded database of its own when it is given no endpoint, and stores there', async () => {
    const local = await startLocalServer({ port: 0, signingSecret: secret });
    try {
      const key = newConnection();

      const answer = await postSigned(
        local.webhookUrl,
        secret,
        JSON.stringify(sampleEvent({ eventType: 'connection.connected', ...key })),
      );
      const read = await fetch(`${local.url}/companies/${key.companyId}/connections/${key.connectionId}`);

      expect(answer.json).toEqual({ result: 'applied' });
      expect(read.status).toBe(200);
    } finally {
      await local.close();
    }
  });
});

describe('the receiver when its database fails', () => {
  it('answers 503, so that the provider retries, when the database cannot be reached', async () => {
    const database = await startEmbeddedDynamoDb();
    const local = await startLocalServer({
      port: 0,
      signingSecret: secret,
      dynamoDbEndpoint: database.endpoint,
    });
    try {
      const key = newConnection();
      const body = JSON.stringify(sampleEvent({ eventType: 'connection.connected', ...key }));
      await database.close();

      const whileDown = await postSigned(local.webhookUrl, secret, body);

      expect(whileDown).toMatchObject({ status: 503, json: { error: 'storage unavailable, retry later' } });
    } finally {
      await local.close();
    }
  });
});

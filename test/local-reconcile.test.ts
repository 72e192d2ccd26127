import { apiGatewayEvent } from '../local/api-gateway-event';
import { lambdaContext } from '../local/lambda-context';
import { LOCAL_RECONCILE_PATH, reconcileRoute } from '../local/walk';
import { type EmbeddedTable, startTable } from './support/embedded-table';
import { RecordingLogger } from './support/logs';

let table: EmbeddedTable;

beforeAll(async () => {
  table = await startTable('dynalite');
});

afterAll(() => table.close());

/** `POST /reconcile` as the local server hands it to the route, from `sourceIp`. */
function ask(body: string, sourceIp = '127.0.0.1') {
  const route = reconcileRoute(table.store, new RecordingLogger({ stage: 'local' }));
  const event = apiGatewayEvent({ path: LOCAL_RECONCILE_PATH, body: Buffer.from(body), sourceIp });
  return route.handler(event, lambdaContext());
}

describe("the local server's walk route, which npm run reconcile asks", () => {
  it('refuses a walk asked for from another machine, since the body carries an API key', async () => {
    const answer = await ask('{}', '192.0.2.10');

    expect(answer.statusCode).toBe(403);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const answer = await ask('not json');

    expect([answer.statusCode, JSON.parse(answer.body ?? '')]).toEqual([
      400,
      { error: 'invalid request', reason: 'the body is not JSON' },
    ]);
  });

  it('answers 400 naming each setting that is missing or wrong', async () => {
    const answer = await ask(JSON.stringify({ apiKey: 'k', apiUrl: 'not a url', pageSize: 0 }));
    const { reason } = JSON.parse(answer.body ?? '') as { reason: string };

    expect(answer.statusCode).toBe(400);
    for (const name of ['apiUrl', 'pageSize', 'lagMinutes', 'dryRun']) expect(reason).toContain(`${name}:`);
  });
});

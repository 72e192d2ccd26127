import { readFileSync } from 'node:fs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { invokeDeployedFunction, startSecretsManagerStandIn } from '../bench/deployed-bundle';
import { sampleEvent } from '../local/sample-events';
import { STACK_FUNCTIONS, type SynthesizedStack, synthesizeStack } from './support/deployed-bundle';
import { type EmbeddedTable, startTable } from './support/embedded-table';
import { ENGINES } from './support/engines';
import { signedApiEvent, testSecret } from './support/signed-request';

/**
 * What ships is what is tested: the receiver as `cdk synth` bundles it, run by a fresh Node 24
 * process with the template's environment, a Secrets Manager stand-in
 * and a local DynamoDB. A bundling mistake (a module that does not load, a file left out) fails
 * here rather than after a deploy.
 */
let stack: SynthesizedStack;

beforeAll(() => {
  stack = synthesizeStack();
});

afterAll(() => {
  stack.close();
});

/** Every function of the stack, by construct path. */
const FUNCTIONS = STACK_FUNCTIONS;

describe('the synthesized bundles', () => {
  it('are all of the stack, so that a function added later is checked too', () => {
    const checked = FUNCTIONS.map((constructId) => stack.fn(constructId).logicalId);

    expect(stack.functionLogicalIds().sort()).toEqual(checked.sort());
  });

  it.each(FUNCTIONS)('%s is one CommonJS file that loads Node built-ins with require only', (constructId) => {
    const { entryFile } = stack.fn(constructId);
    const code = readFileSync(entryFile, 'utf8');

    expect(entryFile).toMatch(/\/index\.js$/);
    // An import of a built-in, static or dynamic, makes Node build an ES module facade that reads
    // every export: node:http's load undici, about 55 ms of a cold start (lib/bundling.ts).
    expect(code).not.toMatch(/\bfrom\s*["'](?:node:)?[a-z_/]+["']/);
    expect(code).not.toMatch(/\bimport\s*\(\s*["']/);
    expect(code).toContain('require("node:http")');
  });
});

describe.each(ENGINES)('the synthesized receiver bundle, on %s', (engine) => {
  let table: EmbeddedTable;

  beforeAll(async () => {
    table = await startTable(engine);
  });

  afterAll(async () => {
    await table.close();
  });

  it('applies a signed delivery and stores it, as deployed', async () => {
    const secret = testSecret();
    const secrets = await startSecretsManagerStandIn(secret);
    const event = sampleEvent({ eventType: 'connection.connected' });
    try {
      const run = await invokeDeployedFunction({
        fn: stack.fn('ReceiveWebhook'),
        // What CloudFormation resolves the template's Refs to.
        resolve: {
          TABLE_NAME: table.tableName,
          SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stand-in',
        },
        endpoints: { dynamoDb: table.endpoint, secretsManager: secrets.endpoint },
        events: [signedApiEvent(JSON.stringify(event), { secret })],
      });

      expect(run.invocations[0]?.response).toMatchObject({ statusCode: 200, body: '{"result":"applied"}' });
      const { Item } = await table.client.send(
        new GetItemCommand({
          TableName: table.tableName,
          Key: {
            companyId: { S: event.payload.referenceCompany.id },
            connectionId: { S: event.payload.connection.id },
          },
          ConsistentRead: true,
        }),
      );
      expect(Item?.lastEventId?.S).toBe(event.id);
      // One line for the delivery: its log fields and its metrics in embedded metric format.
      const lines = run.stdout.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
        level: 'INFO',
        message: 'delivery',
        function_name: expect.any(String),
        connectionId: event.payload.connection.id,
        result: 'applied',
        Result: 'applied',
        Deliveries: 1,
        _aws: {
          CloudWatchMetrics: expect.arrayContaining([
            expect.objectContaining({ Namespace: 'CodatConnections' }),
          ]),
        },
      });
    } finally {
      await secrets.close();
    }
  });
});

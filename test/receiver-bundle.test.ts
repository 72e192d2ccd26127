import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { sampleEvent } from '../local/sample-events';
import { invokeBundle, plainValues, type SynthesizedStack, synthesizeStack } from './support/deployed-bundle';
import { type EmbeddedTable, startTable } from './support/embedded-table';
import { ENGINES } from './support/engines';
import { startSecretsManager } from './support/fake-secrets-manager';
import { signedApiEvent, testSecret } from './support/signed-request';

/**
 * What ships is what is tested: the receiver as `cdk synth` bundles it, run by a fresh Node 24
 * process with the template's environment, a Secrets Manager stand-in
 * and a local DynamoDB. A bundling mistake (a dynamic require in the ESM output, a file left
 * out) fails here rather than after a deploy.
 */
let stack: SynthesizedStack;

beforeAll(() => {
  stack = synthesizeStack();
});

afterAll(() => {
  stack.close();
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
    const { bundle, environment } = stack.fn('ReceiveWebhook');
    const secret = testSecret();
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:codat-signing';
    const secrets = await startSecretsManager({ [secretArn]: secret });
    const event = sampleEvent({ eventType: 'connection.connected' });
    try {
      const { result } = await invokeBundle(
        bundle,
        {
          ...plainValues(environment),
          // What CloudFormation resolves the template's Refs to.
          TABLE_NAME: table.tableName,
          SIGNING_SECRET_ARN: secretArn,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
          LOG_LEVEL: 'error',
        },
        signedApiEvent(JSON.stringify(event), { secret }),
      );

      expect(result).toMatchObject({ statusCode: 200, body: '{"result":"applied"}' });
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
    } finally {
      await secrets.close();
    }
  });
});

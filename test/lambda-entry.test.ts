import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext } from '../local/lambda-context';
import { sampleEvent } from '../local/sample-events';
import { type CapturedOutput, captureOutput } from './support/logs';
import { signedApiEvent } from './support/signed-request';

/**
 * The real Lambda entry, wired as deployed, with Secrets Manager out of reach: the cold start
 * cannot read the signing secret. Deliveries must be told to come back (503), never refused
 * as forged (401), which would lie to the provider, nor fail with a 500.
 */
describe('the Lambda entry when the signing secret cannot be read at cold start', () => {
  const environment = { ...process.env };
  let output: CapturedOutput;

  beforeAll(() => {
    Object.assign(process.env, {
      TABLE_NAME: 'connections',
      SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:codat-signing',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Nothing listens on port 9 (discard) here: every call to Secrets Manager fails at once.
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      LOG_LEVEL: 'error',
    });
    // The function logs its failures and publishes its metrics: read below, not printed.
    output = captureOutput();
  });

  afterAll(() => {
    process.env = environment;
    output.restore();
  });

  it('answers 503 to a correctly signed delivery, and again to the next one', async () => {
    const { handler } = (await import('../functions/receive-webhook')) as {
      handler: (
        event: APIGatewayProxyEventV2,
        context: Context,
      ) => Promise<APIGatewayProxyStructuredResultV2>;
    };
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const deliver = () =>
      handler(
        signedApiEvent(JSON.stringify(sampleEvent({ eventType: 'connection.connected' })), { secret }),
        lambdaContext(),
      );

    const first = await deliver();
    const second = await deliver();

    expect(first.statusCode).toBe(503);
    expect(JSON.parse(first.body ?? '')).toEqual({ error: 'signing secret unavailable, retry later' });
    expect(second.statusCode).toBe(503);
    expect(output.logLines('delivery')).toEqual([
      expect.objectContaining({ level: 'ERROR', result: 'failed', reasonCode: 'secret', statusCode: 503 }),
      expect.objectContaining({ level: 'ERROR', result: 'failed', reasonCode: 'secret', statusCode: 503 }),
    ]);
  });
});

import type { Context } from 'aws-lambda';
import { startSecretsManagerStandIn } from '../bench/deployed-bundle';
import { type FakeCodatApi, startFakeCodatApi } from '../local/fake-codat-api/server';
import { lambdaContext } from '../local/lambda-context';
import { type CapturedOutput, captureOutput } from './support/logs';

/**
 * The endpoint check's Lambda entry, in process, against the fake API: Lambda ends a function at
 * its timeout without running what comes after, so the check must give up on the provider in
 * time to publish what it found, or that it found nothing.
 */
describe('the webhook endpoint check, in process against the fake API', () => {
  const environment = { ...process.env };
  let fake: FakeCodatApi;
  let secrets: Awaited<ReturnType<typeof startSecretsManagerStandIn>>;
  let output: CapturedOutput;

  beforeAll(async () => {
    fake = await startFakeCodatApi();
    fake.faults.fail({ status: 503, match: { path: '/webhooks' } });
    secrets = await startSecretsManagerStandIn(fake.apiKey);
    Object.assign(process.env, {
      CODAT_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:codat-api-key',
      CODAT_API_URL: fake.url,
      WEBHOOK_URL: 'https://example.execute-api.eu-west-1.amazonaws.com/webhooks/codat',
      STAGE: 'dev',
      LOG_LEVEL: 'error',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    });
    output = captureOutput();
  });

  afterAll(async () => {
    process.env = environment;
    output.restore();
    await secrets.close();
    await fake.close();
  });

  const loadHandler = async () =>
    (
      (await import('../functions/check-webhook-endpoint')) as {
        handler: (input: unknown, context: Context) => Promise<unknown>;
      }
    ).handler;

  it('gives up before its timeout, with the provider answering 503 to every request, and publishes that the endpoint went unchecked', async () => {
    const handler = await loadHandler();
    // Seven seconds left, five of them kept back: two seconds of retries, then the metric.
    const context = lambdaContext({ timeoutMs: 7_000, functionName: 'CheckWebhookEndpoint' });

    const check = handler({}, context);

    await expect(check).rejects.toThrow(/status 503.*the deadline it was given/);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(4_000);
    expect(fake.log.count('/webhooks')).toBeGreaterThan(1);
    const metrics = output.lines().filter((line) => '_aws' in line);
    expect(metrics).toEqual([expect.objectContaining({ WebhookEndpointUnchecked: 1 })]);
    expect(metrics[0]).not.toHaveProperty('WebhookEndpointDisabled');
  });

  it('publishes what it found once the provider answers, on a log line with the Lambda context', async () => {
    const handler = await loadHandler();
    fake.faults.clear();
    for (const consumer of fake.account.webhookConsumers) consumer.disabled = true;
    const before = output.lines().length;

    const result = await handler(
      {},
      lambdaContext({ timeoutMs: 60_000, functionName: 'CheckWebhookEndpoint' }),
    );

    expect(result).toEqual({ health: 'disabled' });
    const lines = output.lines().slice(before);
    expect(lines.filter((line) => '_aws' in line)).toEqual([
      expect.objectContaining({
        WebhookEndpointDisabled: 1,
        WebhookEndpointMissing: 0,
        WebhookEndpointUnchecked: 0,
      }),
    ]);
    expect(lines.filter((line) => line.message === 'webhook endpoint')).toEqual([
      expect.objectContaining({ level: 'ERROR', health: 'disabled', function_name: 'CheckWebhookEndpoint' }),
    ]);
  });
});

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { sampleEvent } from '../local/sample-events';
import { readLambdaConfig } from '../src/config';
import type { ConnectionStore, WriteOutcome } from '../src/connection/store';
import { createPowertools } from '../src/observability/powertools';
import { createReceiver } from '../src/webhook/receiver';
import { parseSigningSecrets } from '../src/webhook/signature';
import { signedApiEvent, testSecret } from './support/signed-request';

/**
 * The function's own Logger and Metrics, as functions/receive-webhook.ts builds them: both write
 * JSON lines to stdout through their own Console, which is where these tests read them.
 */

const secret = testSecret();
const NOW = new Date('2026-11-28T10:00:05.250Z');

function storeAnswering(outcome: WriteOutcome | Error): ConnectionStore {
  return {
    write: async () => {
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    get: async () => undefined,
    listByCompany: async () => [],
  };
}

function signed(body: string, options: { id?: string; secret?: string } = {}): APIGatewayProxyEventV2 {
  return signedApiEvent(body, {
    secret: options.secret ?? secret,
    id: options.id ?? 'msg_observability_1',
    at: NOW,
  });
}

function lambdaContext(): Context {
  return {
    functionName: 'CodatConnections-dev-ReceiveWebhook',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:CodatConnections-dev-ReceiveWebhook',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
}

let written: string[];
const initializationType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

beforeEach(() => {
  written = [];
  // Lambda sets this; without it Powertools never reports a cold start.
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  // Info lines and EMF go to stdout, warnings and errors to stderr: both are read here.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
});

afterEach(() => {
  jest.restoreAllMocks();
  if (initializationType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initializationType;
});

/** Every JSON line written: log lines have `message`, EMF blobs have `_aws`. */
function lines(): Record<string, unknown>[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
const logLines = () => lines().filter((line) => line.message === 'delivery');
const emf = () => lines().filter((line) => '_aws' in line);

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
}

/** The metric `name` as published: its dimensions (name → value) and its value. */
function metric(name: string): { dimensions: Record<string, unknown>; value: unknown } | undefined {
  for (const line of emf()) {
    const directive = (line as unknown as Emf)._aws.CloudWatchMetrics[0];
    if (!directive?.Metrics.some((m) => m.Name === name)) continue;
    const dimensions = Object.fromEntries((directive.Dimensions[0] ?? []).map((d) => [d, line[d]]));
    return { dimensions: { namespace: directive.Namespace, ...dimensions }, value: line[name] };
  }
  return undefined;
}

function receiver(store: ConnectionStore, stage = 'prod') {
  const { logger, metrics } = createPowertools({ stage, logLevel: 'info' });
  return createReceiver({
    store,
    signingSecrets: async () => parseSigningSecrets(secret),
    tombstoneTtlDays: 30,
    logger,
    metrics,
    now: () => NOW,
  });
}

describe('the delivery log line and metrics in Lambda', () => {
  it('logs one structured line for an applied delivery, with the Lambda context and the cold start', async () => {
    const event = sampleEvent({ eventType: 'connection.connected', generatedDate: '2026-11-28T10:00:02Z' });

    await receiver(storeAnswering('applied'))(signed(JSON.stringify(event)), lambdaContext());

    expect(logLines()).toHaveLength(1);
    expect(logLines()[0]).toMatchObject({
      level: 'INFO',
      message: 'delivery',
      service: 'codat-connections',
      stage: 'prod',
      webhookId: 'msg_observability_1',
      eventType: 'connection.connected',
      companyId: event.payload.referenceCompany.id,
      connectionId: event.payload.connection.id,
      result: 'applied',
      statusCode: 200,
      lagMs: 3_250,
      durationMs: expect.any(Number),
      cold_start: expect.any(Boolean),
      function_name: 'CodatConnections-dev-ReceiveWebhook',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    });
  });

  it('counts the delivery by result, and its lag, in the CodatConnections namespace under service and stage', async () => {
    const event = sampleEvent({ eventType: 'connection.connected', generatedDate: '2026-11-28T10:00:02Z' });

    await receiver(storeAnswering('duplicate'))(signed(JSON.stringify(event)), lambdaContext());

    expect(metric('Deliveries')).toEqual({
      dimensions: {
        namespace: 'CodatConnections',
        service: 'codat-connections',
        stage: 'prod',
        Result: 'duplicate',
      },
      value: 1,
    });
    expect(metric('DeliveryLagMs')).toEqual({
      dimensions: { namespace: 'CodatConnections', service: 'codat-connections', stage: 'prod' },
      value: 3_250,
    });
    expect(metric('Rejections')).toBeUndefined();
  });

  it('counts an ignored event type without a lag', async () => {
    const event = sampleEvent({ eventType: 'company.created' });

    await receiver(storeAnswering('applied'))(signed(JSON.stringify(event)), lambdaContext());

    expect(metric('Deliveries')?.dimensions).toMatchObject({ Result: 'ignored' });
    expect(metric('DeliveryLagMs')).toBeUndefined();
    expect(logLines()[0]).toMatchObject({ result: 'ignored', eventType: 'company.created' });
  });

  it.each([
    ['signature', { secret: testSecret() }, 401],
    ['invalid-json', { body: '{"id": ' }, 400],
    ['invalid-payload', { body: '{"eventType": "connection.connected"}' }, 400],
  ] as const)(
    'logs a rejection as a warning and counts it under the reason %s',
    async (reason, input, status) => {
      const body =
        'body' in input ? input.body : JSON.stringify(sampleEvent({ eventType: 'connection.connected' }));
      const event = signed(body, 'secret' in input ? { secret: input.secret } : {});

      const response = await receiver(storeAnswering('applied'))(event, lambdaContext());

      expect(response.statusCode).toBe(status);
      expect(logLines()[0]).toMatchObject({
        level: 'WARN',
        result: 'rejected',
        reasonCode: reason,
        statusCode: status,
      });
      expect(metric('Deliveries')?.dimensions).toMatchObject({ Result: 'rejected' });
      expect(metric('Rejections')).toEqual({
        dimensions: {
          namespace: 'CodatConnections',
          service: 'codat-connections',
          stage: 'prod',
          Reason: reason,
        },
        value: 1,
      });
    },
  );

  it('logs a storage failure as an error and counts it as failed, not as a rejection', async () => {
    const event = sampleEvent({ eventType: 'connection.connected' });
    const { StorageUnavailableError } = await import('../src/connection/store');

    const response = await receiver(storeAnswering(new StorageUnavailableError('DynamoDB timed out')))(
      signed(JSON.stringify(event)),
      lambdaContext(),
    );

    expect(response.statusCode).toBe(503);
    expect(logLines()[0]).toMatchObject({ level: 'ERROR', result: 'failed', reasonCode: 'storage' });
    expect(metric('Deliveries')?.dimensions).toMatchObject({ Result: 'failed' });
    expect(metric('Rejections')).toBeUndefined();
  });

  it('marks the first delivery of a container as a cold start, and publishes a ColdStart metric once', async () => {
    const handler = receiver(storeAnswering('applied'));
    const body = JSON.stringify(sampleEvent({ eventType: 'connection.connected' }));

    await handler(signed(body, { id: 'msg_first' }), lambdaContext());
    await handler(signed(body, { id: 'msg_second' }), lambdaContext());

    const coldStarts = emf().filter((line) => 'ColdStart' in line);
    expect(coldStarts).toHaveLength(1);
    expect(logLines().map((line) => line.cold_start)).toEqual([true, false]);
  });

  it('never writes the secret, a signature, the body or the raw event', async () => {
    const event = sampleEvent({ eventType: 'connection.connected' });
    const body = JSON.stringify(event);
    const request = signed(body);
    const wrongSecret = testSecret();
    const forged = signed(body, { secret: wrongSecret, id: 'msg_forged' });

    await receiver(storeAnswering('applied'))(request, lambdaContext());
    await receiver(storeAnswering('applied'))(forged, lambdaContext());

    const everything = written.join('');
    expect(logLines()).toHaveLength(2);
    for (const value of [secret, wrongSecret]) expect(everything).not.toContain(value.slice('whsec_'.length));
    for (const headers of [request.headers, forged.headers]) {
      expect(everything).not.toContain(headers['webhook-signature']?.slice(3));
    }
    expect(everything).not.toContain('Toft stores');
    expect(everything).not.toContain(event.payload.connection.linkUrl);
  });

  it('follows the configured log level: at error, a rejection writes no line but is still counted', async () => {
    const { logger, metrics } = createPowertools({ stage: 'dev', logLevel: 'error' });
    const handler = createReceiver({
      store: storeAnswering('applied'),
      signingSecrets: async () => parseSigningSecrets(secret),
      tombstoneTtlDays: 30,
      logger,
      metrics,
      now: () => NOW,
    });

    await handler(signed('{}', { secret: testSecret() }), lambdaContext());

    expect(logLines()).toHaveLength(0);
    expect(metric('Rejections')?.dimensions).toMatchObject({ stage: 'dev', Reason: 'signature' });
  });
});

describe('the function configuration', () => {
  it('reads the stage and log level from the environment', () => {
    const config = readLambdaConfig({
      TABLE_NAME: 't',
      SIGNING_SECRET_ARN: 'arn',
      STAGE: 'prod',
      LOG_LEVEL: 'warn',
    });

    expect(config).toMatchObject({ stage: 'prod', logLevel: 'warn' });
  });

  it('refuses a stage that cannot be a metric dimension value', () => {
    expect(() =>
      readLambdaConfig({ TABLE_NAME: 't', SIGNING_SECRET_ARN: 'arn', STAGE: 'Prod Stage' }),
    ).toThrow(/STAGE/);
  });
});

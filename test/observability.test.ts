import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { lambdaContext as newLambdaContext } from '../local/lambda-context';
import { sampleEvent } from '../local/sample-events';
import { readLambdaConfig } from '../src/config';
import type { ConnectionWriter, WriteOutcome } from '../src/connection/store';
import type { LogLevel } from '../src/defaults';
import { StorageRejectedError, StorageUnavailableError } from '../src/errors';
import { readPublisherConfig } from '../src/events/publisher-config';
import { readReadConfig } from '../src/http/read-config';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import { parseSigningSecrets } from '../src/webhook/signature';
import { type CapturedOutput, captureOutput, RecordingLogger } from './support/logs';
import { signedApiEvent, testSecret } from './support/signed-request';

/**
 * The function's own Logger and Metrics, as functions/receive-webhook.ts builds them: both write
 * JSON lines to stdout through their own Console, which is where these tests read them.
 */

const secret = testSecret();
const NOW = new Date('2026-11-28T10:00:05.250Z');
/** A connection event generated just before NOW. */
const connected = () =>
  sampleEvent({ eventType: 'connection.connected', generatedDate: '2026-11-28T10:00:02Z' });

function writerAnswering(outcome: WriteOutcome | Error): ConnectionWriter {
  return {
    write: async () => {
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    tombstoneCompany: async () => ({ tombstoned: 0, unchanged: 0 }),
  };
}

function signed(body: string, options: { id?: string; secret?: string } = {}): APIGatewayProxyEventV2 {
  return signedApiEvent(body, {
    secret: options.secret ?? secret,
    id: options.id ?? 'msg_observability_1',
    at: NOW,
  });
}

const lambdaContext = () =>
  newLambdaContext({
    functionName: 'CodatConnections-dev-ReceiveWebhook',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  });

let output: CapturedOutput;
const initializationType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

beforeEach(() => {
  // Lambda sets this; without it Powertools never reports a cold start.
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  // Info lines and EMF go to stdout, warnings and errors to stderr: both are read here.
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  if (initializationType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initializationType;
});

const lines = () => output.lines();
const logLines = () => output.logLines('delivery');
const emf = () => lines().filter((line) => '_aws' in line);

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
}

/**
 * The metric `name` as published: its dimensions (name → value) and its value. A line may hold
 * several directives (one per dimension set); each metric is read under its own directive's
 * dimensions only, as CloudWatch files it.
 */
function metric(name: string): { dimensions: Record<string, unknown>; value: unknown } | undefined {
  for (const line of emf()) {
    for (const directive of (line as unknown as Emf)._aws.CloudWatchMetrics) {
      if (!directive.Metrics.some((m) => m.Name === name)) continue;
      expect(directive.Dimensions).toHaveLength(1);
      const dimensions = Object.fromEntries((directive.Dimensions[0] ?? []).map((d) => [d, line[d]]));
      return { dimensions: { namespace: directive.Namespace, ...dimensions }, value: line[name] };
    }
  }
  return undefined;
}

function receiver(writer: ConnectionWriter, stage = 'prod', logLevel: LogLevel = 'info') {
  return createReceiver({
    writer,
    signingSecrets: async () => parseSigningSecrets(secret),
    tombstoneTtlDays: 30,
    log: new DeliveryLog({ stage, logLevel }),
    now: () => NOW,
  });
}

describe('the delivery log line and metrics in Lambda', () => {
  it('logs one structured line for an applied delivery, with the Lambda context and the cold start', async () => {
    const event = sampleEvent({ eventType: 'connection.connected', generatedDate: '2026-11-28T10:00:02Z' });

    await receiver(writerAnswering('applied'))(signed(JSON.stringify(event)), lambdaContext());

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

  it('writes one line per delivery, which is both the log line and the EMF document of its metrics', async () => {
    const handler = receiver(writerAnswering('applied'));

    await handler(signed(JSON.stringify(connected()), { id: 'msg_one' }), lambdaContext());
    await handler(signed('{"id": ', { id: 'msg_two' }), lambdaContext());

    const written = output.text().split('\n').filter(Boolean);
    expect(written).toHaveLength(2);
    expect(lines().map((line) => [line.webhookId, line.message, '_aws' in line])).toEqual([
      ['msg_one', 'delivery', true],
      ['msg_two', 'delivery', true],
    ]);
  });

  it('names in each line a string for every dimension and a number for every metric its directives list', async () => {
    const handler = receiver(writerAnswering('applied'));

    await handler(signed(JSON.stringify(connected()), { id: 'msg_cold' }), lambdaContext());
    await handler(signed('{"id": ', { id: 'msg_refused' }), lambdaContext());
    await handler(signed(JSON.stringify(sampleEvent({ eventType: 'company.created' }))), lambdaContext());

    expect(emf()).toHaveLength(3);
    for (const line of emf() as unknown as (Emf & Record<string, unknown>)[]) {
      expect(typeof (line._aws as unknown as { Timestamp: unknown }).Timestamp).toBe('number');
      for (const directive of line._aws.CloudWatchMetrics) {
        for (const dimension of directive.Dimensions.flat()) expect(typeof line[dimension]).toBe('string');
        for (const { Name } of directive.Metrics) expect(typeof line[Name]).toBe('number');
      }
    }
  });

  it('keeps the keys Powertools Logger writes, so that one query reads every function’s lines', async () => {
    const context = lambdaContext();
    const powertools = new RecordingLogger({ stage: 'prod' });
    powertools.addContext(context);
    powertools.info('delivery', { webhookId: 'msg_keys' });
    const expected = Object.keys(JSON.parse(powertools.lines[0] ?? '{}')).filter(
      (key) => key !== 'sampling_rate',
    );
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

    try {
      await receiver(writerAnswering('applied'))(signed(JSON.stringify(connected())), context);
    } finally {
      delete process.env._X_AMZN_TRACE_ID;
    }

    const [line] = logLines();
    expect(Object.keys(line ?? {})).toEqual(expect.arrayContaining([...expected, 'xray_trace_id']));
    expect(line).toMatchObject({
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
    });
  });

  it('counts the delivery by result, and its lag, in the CodatConnections namespace under service and stage', async () => {
    const event = sampleEvent({ eventType: 'connection.connected', generatedDate: '2026-11-28T10:00:02Z' });

    await receiver(writerAnswering('duplicate'))(signed(JSON.stringify(event)), lambdaContext());

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

    await receiver(writerAnswering('applied'))(signed(JSON.stringify(event)), lambdaContext());

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
      const body = 'body' in input ? input.body : JSON.stringify(connected());
      const event = signed(body, 'secret' in input ? { secret: input.secret } : {});

      const response = await receiver(writerAnswering('applied'))(event, lambdaContext());

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

  it('writes one metrics line per delivery, each metric under its own dimension set only', async () => {
    const handler = receiver(writerAnswering('applied'));
    await handler(signed(JSON.stringify(connected()), { id: 'msg_warm' }), lambdaContext());
    output.restore();
    output = captureOutput();

    await handler(signed('{"id": ', { id: 'msg_rejected' }), lambdaContext());
    await handler(signed(JSON.stringify(connected()), { id: 'msg_applied' }), lambdaContext());

    const [rejected, applied, ...others] = emf() as unknown as Emf[];
    expect(others).toHaveLength(0);
    const dimensionSets = (line: Emf | undefined) =>
      Object.fromEntries((line?._aws.CloudWatchMetrics ?? []).map((d) => [d.Metrics[0]?.Name, d.Dimensions]));
    expect(dimensionSets(rejected)).toEqual({
      Deliveries: [['service', 'stage', 'Result']],
      Rejections: [['service', 'stage', 'Reason']],
    });
    expect(dimensionSets(applied)).toEqual({
      Deliveries: [['service', 'stage', 'Result']],
      DeliveryLagMs: [['service', 'stage']],
    });
    expect(applied).toMatchObject({ Result: 'applied', Deliveries: 1, DeliveryLagMs: 3_250 });
    expect(applied).not.toHaveProperty('Reason');
  });

  it('logs a storage failure as an error and counts it as failed, not as a rejection', async () => {
    const event = connected();

    const response = await receiver(writerAnswering(new StorageUnavailableError('DynamoDB timed out')))(
      signed(JSON.stringify(event)),
      lambdaContext(),
    );

    expect(response.statusCode).toBe(503);
    expect(logLines()[0]).toMatchObject({ level: 'ERROR', result: 'failed', reasonCode: 'storage' });
    expect(metric('Deliveries')?.dimensions).toMatchObject({ Result: 'failed' });
    expect(metric('Rejections')).toBeUndefined();
  });

  it('answers 500, never 503, to a write DynamoDB refuses, and logs the attribute it names', async () => {
    const refused = new StorageRejectedError(
      'DynamoDB refused the request (ValidationException)',
      'connectionInfo',
    );

    const response = await receiver(writerAnswering(refused))(
      signed(JSON.stringify(connected())),
      lambdaContext(),
    );

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'internal error' });
    expect(logLines()[0]).toMatchObject({
      level: 'ERROR',
      result: 'failed',
      reasonCode: 'storage-rejected',
      reason: expect.stringContaining('attribute connectionInfo'),
    });
  });

  it('answers 503 under its own reason when the write does not finish before the function times out', async () => {
    const hanging: ConnectionWriter = {
      write: () => new Promise(() => {}),
      tombstoneCompany: () => new Promise(() => {}),
    };
    const event = connected();

    const response = await receiver(hanging)(
      signed(JSON.stringify(event)),
      newLambdaContext({ timeoutMs: 600 }),
    );

    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'timed out, retry later' });
    expect(logLines()[0]).toMatchObject({ level: 'ERROR', result: 'failed', reasonCode: 'timeout' });
    expect(metric('Deliveries')?.dimensions).toMatchObject({ Result: 'failed' });
  });

  it('writes the same line whether its fields were serialized while the write was in flight or at the end', async () => {
    // One writer answers in a microtask (nothing is serialized during the write), the other after
    // a turn of the event loop, as a write to DynamoDB does.
    const afterIo = (outcome: WriteOutcome | Error): ConnectionWriter => ({
      write: () =>
        new Promise((resolve, reject) =>
          setTimeout(() => (outcome instanceof Error ? reject(outcome) : resolve(outcome)), 5),
        ),
      tombstoneCompany: async () => ({ tombstoned: 0, unchanged: 0 }),
    });
    const body = JSON.stringify(connected());
    const lineOf = async (writer: ConnectionWriter) => {
      const before = logLines().length;
      await receiver(writer)(signed(body), lambdaContext());
      const line = logLines().slice(before);
      expect(line).toHaveLength(1);
      const { timestamp: _at, durationMs: _took, cold_start: _cold, _aws, ...rest } = line[0] ?? {};
      return { ...rest, metrics: (_aws as Emf['_aws']).CloudWatchMetrics };
    };

    for (const outcome of ['applied', new StorageUnavailableError('DynamoDB timed out')] as const) {
      const atTheEnd = await lineOf(writerAnswering(outcome));
      const duringTheWrite = await lineOf(afterIo(outcome));

      expect(duringTheWrite).toEqual(atTheEnd);
      expect(duringTheWrite).toMatchObject({
        webhookId: 'msg_observability_1',
        connectionId: expect.any(String),
      });
    }
  });

  it('stamps each line with its own time to the millisecond, across seconds, days, leap days and a clock set back', () => {
    const written: string[] = [];
    const log = new DeliveryLog({ stage: 'prod', logLevel: 'info', write: (line) => written.push(line) });
    const times = [
      Date.parse('2026-11-28T10:00:05.250Z'),
      Date.parse('2026-11-28T10:00:05.999Z'),
      Date.parse('2026-11-28T10:00:06.000Z'),
      Date.parse('2026-11-28T10:00:06.007Z'),
      Date.parse('2026-12-31T23:59:59.999Z'),
      Date.parse('2027-01-01T00:00:00.000Z'),
      Date.parse('2028-02-29T12:34:56.078Z'),
      Date.parse('2026-11-28T10:00:06.042Z'),
    ];
    const now = jest.spyOn(Date, 'now');
    try {
      for (const time of times) {
        now.mockReturnValue(time);
        log.delivery('INFO', lambdaContext(), {}, { result: 'applied' }, { result: 'applied' });
      }
    } finally {
      now.mockRestore();
    }

    const stamps = written.map(
      (line) => JSON.parse(line) as { timestamp: string; _aws: { Timestamp: number } },
    );
    expect(stamps.map((line) => line.timestamp)).toEqual(times.map((time) => new Date(time).toISOString()));
    expect(stamps.map((line) => line._aws.Timestamp)).toEqual(times);
  });

  it('marks the first delivery of a container as a cold start, and publishes a ColdStart metric once', async () => {
    const handler = receiver(writerAnswering('applied'));
    const body = JSON.stringify(connected());

    await handler(signed(body, { id: 'msg_first' }), lambdaContext());
    await handler(signed(body, { id: 'msg_second' }), lambdaContext());

    const coldStarts = emf().filter((line) => 'ColdStart' in line);
    expect(coldStarts).toHaveLength(1);
    expect(metric('ColdStart')).toEqual({
      dimensions: {
        namespace: 'CodatConnections',
        service: 'codat-connections',
        stage: 'prod',
        function_name: 'CodatConnections-dev-ReceiveWebhook',
      },
      value: 1,
    });
    expect(logLines().map((line) => line.cold_start)).toEqual([true, false]);
  });

  it('never writes the secret, a signature, the body or the raw event', async () => {
    const event = connected();
    const body = JSON.stringify(event);
    const request = signed(body);
    const wrongSecret = testSecret();
    const forged = signed(body, { secret: wrongSecret, id: 'msg_forged' });

    await receiver(writerAnswering('applied'))(request, lambdaContext());
    await receiver(writerAnswering('applied'))(forged, lambdaContext());

    const everything = output.text();
    expect(logLines()).toHaveLength(2);
    for (const value of [secret, wrongSecret]) expect(everything).not.toContain(value.slice('whsec_'.length));
    for (const headers of [request.headers, forged.headers]) {
      expect(everything).not.toContain(headers['webhook-signature']?.slice(3));
    }
    expect(everything).not.toContain('Toft stores');
    expect(everything).not.toContain(event.payload.connection.linkUrl);
  });

  it('follows the configured log level: at error, a rejection writes only its counts, none of its log fields', async () => {
    const handler = receiver(writerAnswering('applied'), 'dev', 'error');

    await handler(signed('{}', { secret: testSecret(), id: 'msg_below_level' }), lambdaContext());

    expect(logLines()).toHaveLength(0);
    expect(output.text()).not.toContain('msg_below_level');
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

  it('reads the allowed source addresses, and refuses one that is not an address', () => {
    const base = { TABLE_NAME: 't', SIGNING_SECRET_ARN: 'arn' };

    expect(readLambdaConfig({ ...base, ALLOWED_SOURCE_IPS: '4.159.114.108,20.117.190.191' })).toMatchObject({
      allowedSourceIps: ['4.159.114.108', '20.117.190.191'],
    });
    expect(readLambdaConfig(base)).toMatchObject({ allowedSourceIps: [] });
    expect(() => readLambdaConfig({ ...base, ALLOWED_SOURCE_IPS: 'codat.io' })).toThrow(/ALLOWED_SOURCE_IPS/);
  });

  it('reads the read function’s two tables in camelCase, and names every one missing at once', () => {
    expect(readReadConfig({ TABLE_NAME: 'named', HISTORY_TABLE_NAME: 'history', STAGE: 'prod' })).toEqual({
      tableName: 'named',
      historyTableName: 'history',
      logLevel: 'info',
      stage: 'prod',
    });
    expect(() => readReadConfig({ LOG_LEVEL: 'loud' })).toThrow(
      'Invalid configuration: TABLE_NAME is required; HISTORY_TABLE_NAME is required; LOG_LEVEL must be one of debug, info, warn, error',
    );
  });

  it.each([['publisher', readPublisherConfig, 'EVENT_BUS_NAME', 'eventBusName']] as const)(
    'reads the %s’s one resource in camelCase, and refuses to start without it',
    (_, read, variable, key) => {
      expect(read({ [variable]: 'named', STAGE: 'prod' })).toEqual({
        [key]: 'named',
        logLevel: 'info',
        stage: 'prod',
      });
      expect(() => read({ LOG_LEVEL: 'loud' })).toThrow(
        `Invalid configuration: ${variable} is required; LOG_LEVEL must be one of debug, info, warn, error`,
      );
    },
  );

  it('refuses a stage that cannot be a metric dimension value', () => {
    expect(() =>
      readLambdaConfig({ TABLE_NAME: 't', SIGNING_SECRET_ARN: 'arn', STAGE: 'Prod Stage' }),
    ).toThrow(/STAGE/);
  });
});

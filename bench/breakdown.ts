/**
 * Where the handler's own time goes, without any database: the whole handler, plain and as
 * Lambda runs it with its delivery line, and its steps alone. Microseconds, so measured with
 * tinybench (warm-up, then a fixed number of timed iterations) rather than a loop of our own.
 */
import { Bench, type Task } from 'tinybench';
import * as v from 'valibot';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { lambdaContext } from '../local/lambda-context';
import { toConnectionChange } from '../src/connection/connection-change';
import { buildUpdate } from '../src/connection/connection-update';
import { ConnectionEvent } from '../src/connection/schema';
import type { ConnectionWriter } from '../src/connection/store';
import { DEFAULT_TOMBSTONE_TTL_DAYS } from '../src/defaults';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import { verifySignature } from '../src/webhook/signature';
import { BENCH_SECRETS, discardingOutput, median, newDelivery, receiverDefaults } from './support';

/** Timed iterations per step. */
export const BREAKDOWN_ITERATIONS = 2_000;
/** Iterations per step before the timed ones, left out of the figures. */
const BREAKDOWN_WARMUP = 200;

/** The step timed as Lambda runs the handler: its delivery line at info, with the EMF metrics. */
export const AS_IN_LAMBDA =
  'whole handler, no database, as in Lambda (the delivery line with its EMF metrics, output discarded)';

/** p50 in milliseconds per step, under the names the table shows. */
export type BreakdownFigures = Record<string, number>;

/** The receiver's writer with no database behind it: the handler's own work alone. */
const noDatabase: ConnectionWriter = {
  write: async () => 'applied',
  tombstoneCompany: async () => ({ tombstoned: 0, unchanged: 0 }),
};

/** p50 of the handler's steps without any database, to see where its own time goes. */
export async function measureBreakdown(): Promise<BreakdownFigures> {
  const handler = createReceiver({
    ...receiverDefaults,
    writer: noDatabase,
    log: new DeliveryLog({ stage: 'bench', logLevel: 'silent', metrics: false }),
  });
  // As functions/receive-webhook.ts builds it: a JSON log line and EMF metrics per delivery.
  const instrumented = createReceiver({
    ...receiverDefaults,
    writer: noDatabase,
    log: new DeliveryLog({ stage: 'bench', logLevel: 'info' }),
  });
  // Every iteration gets a delivery of its own, built before its timing starts.
  let delivery = newDelivery();
  let parsed: ConnectionEvent | undefined;
  const fresh = {
    beforeEach: () => {
      delivery = newDelivery();
    },
  };

  const bench = new Bench({
    iterations: BREAKDOWN_ITERATIONS,
    time: 0,
    warmupIterations: BREAKDOWN_WARMUP,
    warmupTime: 0,
    retainSamples: true,
    throws: true,
  })
    .add(
      'whole handler, no database (middy, signature, valibot, change, log)',
      async () =>
        void (await handler(
          apiGatewayEvent({ headers: delivery.headers, body: delivery.body }),
          lambdaContext(),
        )),
      fresh,
    )
    .add(
      AS_IN_LAMBDA,
      async () =>
        void (await instrumented(
          apiGatewayEvent({ headers: delivery.headers, body: delivery.body }),
          lambdaContext(),
        )),
      fresh,
    )
    .add(
      'signature check (verifySignature)',
      () => {
        verifySignature({
          headers: delivery.headers,
          body: Buffer.from(delivery.body),
          secrets: BENCH_SECRETS,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
      },
      fresh,
    )
    .add(
      'JSON.parse + valibot ConnectionEvent',
      () => {
        v.parse(ConnectionEvent, JSON.parse(delivery.body));
      },
      fresh,
    )
    .add(
      'toConnectionChange + buildUpdate (the item marshalled and checked against DynamoDB’s limits in one walk)',
      () => {
        buildUpdate(
          't',
          toConnectionChange(parsed as ConnectionEvent, {
            receivedAt: new Date(),
            tombstoneTtlDays: DEFAULT_TOMBSTONE_TTL_DAYS,
          }),
        );
      },
      {
        beforeEach: () => {
          delivery = newDelivery();
          parsed = v.parse(ConnectionEvent, delivery.event);
        },
      },
    );

  // The delivery line goes to stdout: the cost of building and writing the lines is
  // measured, the bench's own output is kept clean.
  await discardingOutput(() => bench.run());
  return Object.fromEntries(bench.tasks.map((task) => [task.name, median(samplesOf(task))]));
}

/** The timed samples (ms) tinybench kept for `task`. */
function samplesOf(task: Task): readonly number[] {
  const result = task.result;
  if (!('latency' in result) || !result.latency.samples) {
    throw new Error(`breakdown: ${task.name} has no samples (${result.state})`);
  }
  return result.latency.samples;
}

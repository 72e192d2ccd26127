/**
 * Per-delivery cost: the receiver as Lambda runs it (its delivery line at info with the EMF
 * metrics, the output discarded) against the bare verifying receiver (bench/bare-verifying.ts:
 * signature, JSON, schema, the same write) and a bare UpdateItem of the same kind of item, on the
 * same database, interleaved so that all see the same machine. Two databases: dynalite in this
 * process (a floor of about a millisecond, with no network), and AWS's DynamoDB Local in a JVM of
 * its own over loopback HTTP, the floor that a write in AWS has: a round trip to another process.
 */
import { randomUUID } from 'node:crypto';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { lambdaContext } from '../local/lambda-context';
import { buildUpdate } from '../src/connection/connection-update';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import type { ConnectionWriter } from '../src/connection/store';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import { bareVerifyingReceiver } from './bare-verifying';
import {
  BENCH_SECRETS,
  changeOf,
  discardingOutput,
  median,
  newDelivery,
  percentile,
  receiverDefaults,
} from './support';

/** Rounds of the four variants left out of the figures, while the JIT and the sockets settle. */
export const LATENCY_WARMUP_PAIRS = 300;
/** Rounds of the four variants measured. */
export const LATENCY_PAIRS = 2_000;

/** The database both sides write to: dynalite in this process, or DynamoDB Local over loopback. */
export type LatencyEngine = 'dynalite' | 'dynamodb-local';

/** The latency figures, in milliseconds, and the answers the handler gave. */
export interface LatencyFigures {
  engine: LatencyEngine;
  pairs: number;
  handlerP50Ms: number;
  handlerP99Ms: number;
  bareP50Ms: number;
  bareP99Ms: number;
  /** The bare verifying receiver (bench/bare-verifying.ts): signature, JSON, schema, the same write. */
  verifyingP50Ms: number;
  verifyingP99Ms: number;
  storeWriteP50Ms: number;
  storeWriteP99Ms: number;
  /** The handler's time less its own store.write's, in the same rounds: its work between database calls. */
  ownWorkP50Ms: number;
  /** Median over the rounds of handler / bare UpdateItem, each pair timed back to back. */
  pairedRatio: number;
  /** Median over the rounds of handler / bare verifying receiver, timed in the same rounds. */
  verifyingPairedRatio: number;
  outcomes: Record<string, number>;
}

/**
 * Times the handler, the bare verifying receiver, a bare UpdateItem and the store's write alone
 * (for attribution), one after the other in every round; signing the deliveries and building the
 * bare UpdateItem stay outside the timing.
 */
export async function measureLatency(engine: LatencyEngine = 'dynalite'): Promise<LatencyFigures> {
  const database = engine === 'dynalite' ? await startEmbeddedDynamoDb() : await startDynamoDbLocal();
  const client = localDynamoDbClient(database.endpoint);
  const tableName = `bench-${randomUUID()}`;
  await ensureConnectionTable(client, tableName);
  const store = new DynamoDbConnectionStore(client, tableName);
  // The handler's writer is the store, timed, so that its own work can be told from the write.
  let writeMs = 0;
  const timedStore: ConnectionWriter = {
    write: async (change) => {
      const start = performance.now();
      try {
        return await store.write(change);
      } finally {
        writeMs = performance.now() - start;
      }
    },
    tombstoneCompany: (tombstone) => store.tombstoneCompany(tombstone),
  };
  const handler = createReceiver({
    ...receiverDefaults,
    writer: timedStore,
    log: new DeliveryLog({ stage: 'bench', logLevel: 'info' }),
  });

  const [secret] = BENCH_SECRETS;
  if (!secret) throw new Error('the bench has no signing secret');
  const verifying = bareVerifyingReceiver(client, tableName, secret);

  const handlerMs: number[] = [];
  const verifyingMs: number[] = [];
  const bareMs: number[] = [];
  const storeMs: number[] = [];
  const ownMs: number[] = [];
  const outcomes: Record<string, number> = {};
  const oneHandler = async (record: boolean) => {
    const { body, headers } = newDelivery();
    const event = apiGatewayEvent({ headers, body });
    const context = lambdaContext();
    writeMs = Number.NaN; // a delivery that never reaches the write has no own-work figure
    const start = performance.now();
    const response = await handler(event, context);
    const elapsed = performance.now() - start;
    if (!record) return;
    handlerMs.push(elapsed);
    if (!Number.isNaN(writeMs)) ownMs.push(elapsed - writeMs);
    const key = `${response.statusCode} ${response.body}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  };
  const oneVerifying = async (record: boolean) => {
    const { body, headers } = newDelivery();
    const event = apiGatewayEvent({ headers, body });
    const start = performance.now();
    const response = await verifying(event);
    const elapsed = performance.now() - start;
    if (response.statusCode !== 200) throw new Error(`the verifying floor answered ${response.statusCode}`);
    if (record) verifyingMs.push(elapsed);
  };
  const oneBare = async (record: boolean) => {
    const command = buildUpdate(tableName, changeOf(newDelivery().event));
    const start = performance.now();
    await client.send(command);
    const elapsed = performance.now() - start;
    if (record) bareMs.push(elapsed);
  };
  const oneStore = async (record: boolean) => {
    const change = changeOf(newDelivery().event);
    const start = performance.now();
    await store.write(change);
    const elapsed = performance.now() - start;
    if (record) storeMs.push(elapsed);
  };
  const variants = [oneHandler, oneVerifying, oneBare, oneStore];
  await discardingOutput(async () => {
    for (let index = 0; index < LATENCY_WARMUP_PAIRS + LATENCY_PAIRS; index++) {
      const record = index >= LATENCY_WARMUP_PAIRS;
      // Rotate the order, so that no variant always follows the same one.
      for (let step = 0; step < variants.length; step++) {
        await variants[(index + step) % variants.length]?.(record);
      }
    }
  });

  client.destroy();
  await database.close();
  return {
    engine,
    pairs: LATENCY_PAIRS,
    handlerP50Ms: percentile(handlerMs, 50),
    handlerP99Ms: percentile(handlerMs, 99),
    bareP50Ms: percentile(bareMs, 50),
    bareP99Ms: percentile(bareMs, 99),
    verifyingP50Ms: percentile(verifyingMs, 50),
    verifyingP99Ms: percentile(verifyingMs, 99),
    storeWriteP50Ms: percentile(storeMs, 50),
    storeWriteP99Ms: percentile(storeMs, 99),
    ownWorkP50Ms: percentile(ownMs, 50),
    pairedRatio: median(handlerMs.map((ms, index) => ms / (bareMs[index] ?? Number.NaN))),
    verifyingPairedRatio: median(handlerMs.map((ms, index) => ms / (verifyingMs[index] ?? Number.NaN))),
    outcomes,
  };
}

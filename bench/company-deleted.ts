/**
 * `company.deleted` of a company with many connections: how long the handler as Lambda runs it
 * takes to answer, on DynamoDB Local, as it is and with every DynamoDB answer held back (the
 * proxy's delay), as a slow or distant database would answer. The store writes the tombstones a
 * bounded number at a time (TOMBSTONE_WRITES_IN_FLIGHT in src/connection/dynamodb-store.ts).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { lambdaContext } from '../local/lambda-context';
import { sampleCompanyEvent } from '../local/sample-events';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import type { DynamoDbProxy } from './dynamodb-proxy';
import { changeOf, discardingOutput, median, newDelivery, receiverDefaults, signedHeaders } from './support';

/** Connections of the deleted company. */
export const COMPANY_CONNECTIONS = 200;
/** The delay added to every DynamoDB answer in the slow rounds. */
export const INJECTED_LATENCY_MS = 400;
/** The receiver's timeout in the stack (lib/connections-stack.ts), which its context counts down. */
const RECEIVER_TIMEOUT_MS = 12_000;
const ROUNDS = { direct: 5, delayed: 3 };

export interface CompanyDeletedFigures {
  connections: number;
  injectedLatencyMs: number;
  /** Median time to answer, and every round's, in ms. */
  directMs: number;
  delayedMs: number;
  rounds: { direct: number[]; delayed: number[] };
  /** Answers other than 200 `applied` with every connection tombstoned, and what was left live. */
  unexpected: string[];
  /** Connections answered unchanged over all rounds: tombstoned by an attempt that timed out, then retried. */
  retriedUnchanged: number;
}

/** Times `company.deleted` of fresh companies of {@link COMPANY_CONNECTIONS} connections each. */
export async function measureCompanyDeleted(
  client: DynamoDBClient,
  proxy: DynamoDbProxy,
  tableName: string,
): Promise<CompanyDeletedFigures> {
  const store = new DynamoDbConnectionStore(client, tableName);
  const handler = createReceiver({
    ...receiverDefaults,
    writer: store,
    log: new DeliveryLog({ stage: 'bench', logLevel: 'info' }),
  });
  const unexpected: string[] = [];
  let retriedUnchanged = 0;
  const once = async (delayMs: number) => {
    const companyId = randomUUID();
    proxy.setDelay(0);
    for (let index = 0; index < COMPANY_CONNECTIONS; index += 1) {
      const { event } = newDelivery();
      event.payload.referenceCompany.id = companyId;
      await store.write(changeOf(event));
    }
    const body = JSON.stringify(sampleCompanyEvent({ eventType: 'company.deleted', companyId }));
    const headers = signedHeaders(body);
    proxy.setDelay(delayMs);
    const start = performance.now();
    const response = await discardingOutput(() =>
      handler(apiGatewayEvent({ headers, body }), lambdaContext({ timeoutMs: RECEIVER_TIMEOUT_MS })),
    );
    const elapsed = performance.now() - start;
    proxy.setDelay(0);
    const live = (await store.listByCompany(companyId)).filter((item) => !item.deleted).length;
    const answer = `${response.statusCode} ${response.body}`;
    // A write whose attempt timed out after it was applied is retried, and the retry counts it
    // unchanged: tombstoned + unchanged is the company's connections, and none is left live.
    const outcome = JSON.parse(response.body ?? '{}') as {
      result?: string;
      tombstoned?: number;
      unchanged?: number;
    };
    const counted = (outcome.tombstoned ?? 0) + (outcome.unchanged ?? 0);
    if (
      response.statusCode !== 200 ||
      outcome.result !== 'applied' ||
      counted !== COMPANY_CONNECTIONS ||
      live > 0
    )
      unexpected.push(`${answer}, ${live} live left`);
    retriedUnchanged += outcome.unchanged ?? 0;
    return elapsed;
  };
  const rounds = { direct: [] as number[], delayed: [] as number[] };
  await once(0); // warm-up: the JIT, the sockets
  for (let round = 0; round < Math.max(ROUNDS.direct, ROUNDS.delayed); round += 1) {
    if (round < ROUNDS.direct) rounds.direct.push(await once(0));
    if (round < ROUNDS.delayed) rounds.delayed.push(await once(INJECTED_LATENCY_MS));
  }
  return {
    connections: COMPANY_CONNECTIONS,
    injectedLatencyMs: INJECTED_LATENCY_MS,
    directMs: median(rounds.direct),
    delayedMs: median(rounds.delayed),
    rounds,
    unexpected,
    retriedUnchanged,
  };
}

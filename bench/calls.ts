/**
 * DynamoDB calls per delivery, for every kind of answer: one conditional write when the
 * event is for a connection, none when the delivery is refused or ignored.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { lambdaContext } from '../local/lambda-context';
import { sampleEvent } from '../local/sample-events';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { createReceiver } from '../src/webhook/receiver';
import { receiverDefaults, signedHeaders, silentLogger } from './support';

/** Deliveries of each kind. */
const CALLS_PER_KIND = 20;

/** One kind of answer: what it must say, how many deliveries got it and what they cost. */
export interface CallsEntry {
  expect: string;
  deliveries: number;
  calls: number;
  unexpected: number;
  callsPerDelivery: number;
}

/** The calls of every kind of answer, in the order the table shows them. */
export type CallsFigures = Record<string, CallsEntry>;

/** Counts every command sent through `client`, once per `send` (retries not included). */
function countCalls(client: DynamoDBClient): { count: number } {
  const counter = { count: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return counter;
}

/** Delivers each kind of event {@link CALLS_PER_KIND} times and counts the calls each made. */
export async function measureCalls(): Promise<CallsFigures> {
  const database = await startEmbeddedDynamoDb();
  const client = localDynamoDbClient(database.endpoint);
  const tableName = `bench-${randomUUID()}`;
  await ensureConnectionTable(client, tableName);
  const counter = countCalls(client);
  const handler = createReceiver({
    ...receiverDefaults,
    writer: new DynamoDbConnectionStore(client, tableName),
    logger: silentLogger(),
  });
  const deliver = async (body: string, headers: Record<string, string>) => {
    const before = counter.count;
    const response = await handler(apiGatewayEvent({ headers, body }), lambdaContext());
    return { status: response.statusCode ?? 0, body: response.body ?? '', calls: counter.count - before };
  };
  // Signed as sent: a body changed after signing is signed with its original text.
  const signedAs = (body: string, sent = body) => deliver(sent, signedHeaders(body));

  const kinds: Record<string, Omit<CallsEntry, 'callsPerDelivery'>> = {};
  const record = (kind: string, expect: string, answer: { status: number; body: string; calls: number }) => {
    kinds[kind] ??= { expect, deliveries: 0, calls: 0, unexpected: 0 };
    const entry = kinds[kind];
    entry.deliveries += 1;
    entry.calls += answer.calls;
    if (!`${answer.status} ${answer.body}`.includes(expect)) entry.unexpected += 1;
  };

  for (let index = 0; index < CALLS_PER_KIND; index++) {
    const connectionId = randomUUID();
    const newer = JSON.stringify(sampleEvent({ eventType: 'connection.connected', connectionId }));
    record('applied', '200 {"result":"applied"}', await signedAs(newer));
    // The same event delivered again: a new delivery attempt, the same body.
    record('duplicate', '200 {"result":"duplicate"}', await signedAs(newer));
    const older = JSON.stringify(
      sampleEvent({
        eventType: 'connection.disconnected',
        connectionId,
        generatedDate: '2020-01-01T00:00:00Z',
      }),
    );
    record('stale', '200 {"result":"stale"}', await signedAs(older));
    const other = JSON.stringify(sampleEvent({ eventType: 'company.created' }));
    record('ignored', '200 {"result":"ignored"}', await signedAs(other));
    const fresh = JSON.stringify(
      sampleEvent({ eventType: 'connection.connected', connectionId: randomUUID() }),
    );
    record('rejected 401 (tampered)', '401', await signedAs(fresh, fresh.replace('Linked', 'Unlinked')));
    const invalid = JSON.stringify(
      sampleEvent({ eventType: 'connection.connected', connectionId: randomUUID(), status: 'Bogus' }),
    );
    record('rejected 400 (invalid)', '400', await signedAs(invalid));
  }
  client.destroy();
  await database.close();
  return Object.fromEntries(
    Object.entries(kinds).map(([kind, entry]) => [
      kind,
      { ...entry, callsPerDelivery: entry.calls / entry.deliveries },
    ]),
  );
}

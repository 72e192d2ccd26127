/**
 * What each delivery costs, for every kind of answer, on AWS's DynamoDB Local: its DynamoDB
 * calls (one conditional write when the event is for a connection, none when the delivery is
 * refused or ignored), the capacity units DynamoDB reports for them (ReturnConsumedCapacity, at
 * a proxy: dynamodb-proxy.ts), and the bytes the handler as Lambda runs it writes to its log
 * (the delivery's line and its EMF metrics). Then `company.deleted` of a large company.
 */
import { randomUUID } from 'node:crypto';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureConnectionTable } from '../local/embedded-dynamodb';
import { lambdaContext } from '../local/lambda-context';
import { sampleEvent } from '../local/sample-events';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import { type CompanyDeletedFigures, measureCompanyDeleted } from './company-deleted';
import { READ_OPERATIONS, startDynamoDbProxy, sumOf, WRITE_OPERATIONS } from './dynamodb-proxy';
import { discardingOutput, receiverDefaults, signedHeaders } from './support';

/** Deliveries of each kind. */
const CALLS_PER_KIND = 20;

/** One kind of answer: what it must say, how many deliveries got it and what they cost. */
export interface CallsEntry {
  expect: string;
  deliveries: number;
  calls: number;
  unexpected: number;
  callsPerDelivery: number;
  /** Read and write capacity units per delivery, as DynamoDB reported them. */
  readUnitsPerDelivery: number;
  writeUnitsPerDelivery: number;
  /** Writes whose answer reported no units (DynamoDB's error answers carry none), per delivery. */
  unmeteredPerDelivery: number;
  /** Bytes the handler wrote to stdout and stderr (its log) per delivery. */
  logBytesPerDelivery: number;
}

/** The costs of every kind of answer, in the order the table shows them, and company.deleted's. */
export interface CallsFigures {
  kinds: Record<string, CallsEntry>;
  companyDeleted: CompanyDeletedFigures;
}

interface Answer {
  status: number;
  body: string;
  calls: number;
  readUnits: number;
  writeUnits: number;
  unmetered: number;
  logBytes: number;
}

/** Delivers each kind of event {@link CALLS_PER_KIND} times and measures what each cost. */
export async function measureCalls(): Promise<CallsFigures> {
  const database = await startDynamoDbLocal();
  const proxy = await startDynamoDbProxy(database.endpoint);
  const client = localDynamoDbClient(proxy.endpoint);
  const tableName = `bench-${randomUUID()}`;
  await ensureConnectionTable(client, tableName);
  // As functions/receive-webhook.ts builds it: a JSON log line and EMF metrics per delivery.
  const handler = createReceiver({
    ...receiverDefaults,
    writer: new DynamoDbConnectionStore(client, tableName),
    log: new DeliveryLog({ stage: 'bench', logLevel: 'info' }),
  });
  const deliver = async (body: string, headers: Record<string, string>): Promise<Answer> => {
    proxy.reset();
    const written = { bytes: 0 };
    const response = await discardingOutput(
      () => handler(apiGatewayEvent({ headers, body }), lambdaContext()),
      written,
    );
    const { calls, units, unmetered } = proxy.tally;
    return {
      status: response.statusCode ?? 0,
      body: response.body ?? '',
      calls: Object.values(calls).reduce((sum, count) => sum + count, 0),
      readUnits: sumOf(units, READ_OPERATIONS),
      writeUnits: sumOf(units, WRITE_OPERATIONS),
      unmetered: sumOf(unmetered, WRITE_OPERATIONS),
      logBytes: written.bytes,
    };
  };
  // Signed as sent: a body changed after signing is signed with its original text.
  const signedAs = (body: string, sent = body) => deliver(sent, signedHeaders(body));

  const sums: Record<
    string,
    Omit<Answer, 'status' | 'body'> & { expect: string; deliveries: number; unexpected: number }
  > = {};
  const record = (kind: string, expect: string, answer: Answer) => {
    sums[kind] ??= {
      expect,
      deliveries: 0,
      unexpected: 0,
      calls: 0,
      readUnits: 0,
      writeUnits: 0,
      unmetered: 0,
      logBytes: 0,
    };
    const entry = sums[kind];
    entry.deliveries += 1;
    entry.calls += answer.calls;
    entry.readUnits += answer.readUnits;
    entry.writeUnits += answer.writeUnits;
    entry.unmetered += answer.unmetered;
    entry.logBytes += answer.logBytes;
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
  const companyDeleted = await measureCompanyDeleted(client, proxy, tableName);
  client.destroy();
  await proxy.close();
  await database.close();
  const kinds = Object.fromEntries(
    Object.entries(sums).map(([kind, { expect, deliveries, calls, unexpected, ...sum }]) => [
      kind,
      {
        expect,
        deliveries,
        calls,
        unexpected,
        callsPerDelivery: calls / deliveries,
        readUnitsPerDelivery: sum.readUnits / deliveries,
        writeUnitsPerDelivery: sum.writeUnits / deliveries,
        unmeteredPerDelivery: sum.unmetered / deliveries,
        logBytesPerDelivery: sum.logBytes / deliveries,
      },
    ]),
  );
  return { kinds, companyDeleted };
}

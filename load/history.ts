import { type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { sampleEvent } from '../local/sample-events';

/** One connection event of a generated history, and the JSON body that carries it. */
export interface HistoryEvent {
  id: string;
  eventType: string;
  companyId: string;
  connectionId: string;
  generatedDate: string;
  status: string;
  body: string;
}

export function historyEvent(
  fields: Omit<HistoryEvent, 'body' | 'status'> & { status?: string },
): HistoryEvent {
  const body = sampleEvent({
    eventType: fields.eventType,
    eventId: fields.id,
    companyId: fields.companyId,
    connectionId: fields.connectionId,
    generatedDate: fields.generatedDate,
    status: fields.status,
  });
  return { ...fields, status: body.payload.connection.status, body: JSON.stringify(body) };
}

/** What a connection's item must say once every event has arrived. */
export interface ExpectedState {
  lastEventId: string;
  deleted: boolean;
  status: string;
}

const keyOf = (companyId: string, connectionId: string) => `${companyId}/${connectionId}`;

/** UTF-8 byte order, as DynamoDB compares strings. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The oracle, written apart from the receiver: the newest event of each connection by
 * generatedDate (as UTC), ties broken by event id; a deletion is kept as a tombstone.
 */
export function expectedTable(events: readonly HistoryEvent[]): Map<string, ExpectedState> {
  const newest = new Map<string, HistoryEvent>();
  for (const event of events) {
    const key = keyOf(event.companyId, event.connectionId);
    const current = newest.get(key);
    const order = current ? compareTimes(event.generatedDate, current.generatedDate) : 1;
    if (!current || order > 0 || (order === 0 && compareBytes(event.id, current.id) > 0)) {
      newest.set(key, event);
    }
  }
  return new Map(
    [...newest].map(([key, event]) => [
      key,
      { lastEventId: event.id, deleted: event.eventType === 'connection.deleted', status: event.status },
    ]),
  );
}

/**
 * A date-time as [milliseconds since 1970 by the platform's Date.parse, the fraction's digits
 * beyond the millisecond]; an unqualified time is UTC, as the provider documents.
 */
function instant(dateTime: string): [number, number] {
  const fraction = /\.(\d+)/.exec(dateTime)?.[1] ?? '';
  const zoned = /(Z|[+-]\d{2}:\d{2})$/.test(dateTime) ? dateTime : `${dateTime}Z`;
  const millis = Date.parse(zoned.replace(/\.\d+/, `.${fraction.padEnd(3, '0').slice(0, 3)}`));
  return [millis, Number(fraction.padEnd(7, '0').slice(3, 7))];
}

function compareTimes(a: string, b: string): number {
  const [aMillis, aRest] = instant(a);
  const [bMillis, bRest] = instant(b);
  return aMillis - bMillis || aRest - bRest;
}

/** What the table holds, in the oracle's terms. */
export async function actualTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<Map<string, ExpectedState>> {
  const found = new Map<string, ExpectedState>();
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const record = unmarshall(item);
      found.set(keyOf(record.companyId, record.connectionId), {
        lastEventId: record.lastEventId,
        deleted: record.deleted === true,
        status: record.status,
      });
    }
  }
  return found;
}

/** The keys whose item differs from the oracle, with both sides; empty when the table is right. */
export function differences(expected: Map<string, ExpectedState>, actual: Map<string, ExpectedState>) {
  const keys = new Set([...expected.keys(), ...actual.keys()]);
  return [...keys]
    .filter((key) => JSON.stringify(expected.get(key)) !== JSON.stringify(actual.get(key)))
    .map((key) => ({ key, expected: expected.get(key), actual: actual.get(key) }));
}

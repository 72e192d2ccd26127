import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { ConnectionChange } from '../../src/connection/store';
import { storedItem } from '../../src/connection/stored-item';
import { changeOf } from './changes';

const STREAM_ARN =
  'arn:aws:dynamodb:eu-west-1:123456789012:table/CodatConnections-dev-Connections/stream/2026-11-28T00:00:00.000';

/** The item a change leaves in the table, as a stream image (DynamoDB's AttributeValue map). */
export function imageOf(change: ConnectionChange, firstStoredAt?: string): Record<string, AttributeValue> {
  const item = { ...storedItem(change), ...(firstStoredAt ? { firstStoredAt } : {}) };
  return marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as Record<
    string,
    AttributeValue
  >;
}

let sequence = 100_000_000_000_000_000_000n;

/**
 * One DynamoDB stream record as Lambda hands it over (NEW_AND_OLD_IMAGES): `INSERT` with a new
 * image, `MODIFY` with both, `REMOVE` with the old one; a TTL removal carries DynamoDB's
 * service identity.
 */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { old?: Record<string, AttributeValue>; new?: Record<string, AttributeValue> },
  options: { ttl?: boolean } = {},
): DynamoDBRecord {
  const keyImage = images.new ?? images.old ?? {};
  sequence += 1n;
  const image = images.new ?? images.old ?? {};
  return {
    eventID: `${sequence.toString(16)}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: 1_795_860_000,
      Keys: {
        companyId: keyImage.companyId as AttributeValue,
        connectionId: keyImage.connectionId as AttributeValue,
      },
      ...(images.new ? { NewImage: images.new } : {}),
      ...(images.old ? { OldImage: images.old } : {}),
      SequenceNumber: sequence.toString(),
      SizeBytes: Buffer.byteLength(JSON.stringify(image)),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: STREAM_ARN,
    ...(options.ttl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  };
}

export function streamEvent(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

/** The stream record of the write that took a stored connection from `before` to `after`. */
export function changeRecord(before: ConnectionChange, after: ConnectionChange): DynamoDBRecord {
  return streamRecord('MODIFY', { old: imageOf(before), new: imageOf(after) });
}

/**
 * One connection going from Linked (10:00) to Deauthorized (10:01), and the stream record of
 * that write: the change the publisher's suites follow from the stream to the bus.
 */
export function deauthorization(ids: { companyId: string; connectionId: string }) {
  const linked = changeOf({
    eventType: 'connection.connected',
    ...ids,
    generatedDate: '2026-11-28T10:00:00Z',
  });
  const deauthorized = changeOf({
    eventType: 'connection.disconnected',
    ...ids,
    status: 'Deauthorized',
    generatedDate: '2026-11-28T10:01:00Z',
  });
  return { linked, deauthorized, record: changeRecord(linked, deauthorized) };
}

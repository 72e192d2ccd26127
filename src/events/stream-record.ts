import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { StoredConnection } from '../connection/store';
import { toStoredConnection } from '../connection/stored-item';
import { UnreadableStreamRecordError } from '../errors';
import { type ChangeDecision, changeOf } from './change-event';

/**
 * The part of a DynamoDB stream record the change events read: the shape of `DynamoDBRecord`
 * in `@types/aws-lambda`, which the local run builds too, so that both go through this code.
 */
export interface ChangeRecord {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE' | undefined;
  /** Set by DynamoDB on a removal by TTL: `{ type: 'Service', principalId: 'dynamodb.amazonaws.com' }`. */
  userIdentity?: { type?: string; principalId?: string } | undefined;
  dynamodb?: { OldImage?: Record<string, unknown>; NewImage?: Record<string, unknown> } | undefined;
}

function isTtlRemoval(record: ChangeRecord): boolean {
  return (
    record.userIdentity?.type === 'Service' && record.userIdentity.principalId === 'dynamodb.amazonaws.com'
  );
}

const image = (attributes: Record<string, unknown>) =>
  toStoredConnection(attributes as Record<string, AttributeValue>);

/** The item before and after the write a stream record reports, or why it reports none. */
export type RecordImages =
  | { removed: false; previous: StoredConnection | undefined; current: StoredConnection }
  | { removed: true; reason: 'ttl-expiry' | 'removed' };

/**
 * The images of a record, read once for every consumer (the change events, the history). The
 * store never deletes an item (a deletion is a tombstone, written as a MODIFY), so a REMOVE is
 * DynamoDB TTL dropping an expired tombstone, or someone deleting an item by hand: no change of
 * the provider's. A record without the images NEW_AND_OLD_IMAGES gives is refused.
 */
export function imagesOfRecord(record: ChangeRecord): RecordImages {
  if (record.eventName === 'REMOVE') {
    return { removed: true, reason: isTtlRemoval(record) ? 'ttl-expiry' : 'removed' };
  }
  const newImage = record.dynamodb?.NewImage;
  if (!newImage) {
    throw new UnreadableStreamRecordError(
      `a ${record.eventName ?? 'nameless'} record without NewImage: the stream must carry NEW_AND_OLD_IMAGES`,
    );
  }
  const oldImage = record.dynamodb?.OldImage;
  if (record.eventName === 'MODIFY' && !oldImage) {
    throw new UnreadableStreamRecordError(
      'a MODIFY record without OldImage: the stream must carry NEW_AND_OLD_IMAGES',
    );
  }
  return { removed: false, previous: oldImage ? image(oldImage) : undefined, current: image(newImage) };
}

/** What a stream record means to consumers: a removal publishes nothing (see `imagesOfRecord`). */
export function changeOfRecord(record: ChangeRecord): ChangeDecision {
  const images = imagesOfRecord(record);
  if (images.removed) return { publish: false, reason: images.reason };
  return changeOf(images.previous, images.current);
}

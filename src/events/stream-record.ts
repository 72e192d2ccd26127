import type { AttributeValue } from '@aws-sdk/client-dynamodb';
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

/**
 * What a stream record means to consumers. The store never deletes an item (a deletion is a
 * tombstone, written as a MODIFY), so a REMOVE is DynamoDB TTL dropping an expired tombstone,
 * which publishes nothing, or someone deleting an item by hand, which publishes nothing either:
 * it is no change of the provider's.
 */
export function changeOfRecord(record: ChangeRecord): ChangeDecision {
  if (record.eventName === 'REMOVE') {
    return { publish: false, reason: isTtlRemoval(record) ? 'ttl-expiry' : 'removed' };
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
  return changeOf(oldImage ? image(oldImage) : undefined, image(newImage));
}

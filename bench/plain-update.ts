import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ConnectionChange } from '../src/connection/store';
import { itemAttributes } from '../src/connection/stored-item';
import { CONNECTION_TABLE } from '../src/connection/table';

const { partitionKey, sortKey } = CONNECTION_TABLE;

/**
 * The store's conditional UpdateItem of a change, built plainly, as any receiver would write it:
 * util-dynamodb's `marshall` of the attributes, the names and the expression made anew each
 * time, and no check of DynamoDB's limits. The bare verifying receiver sends it, and the tests
 * hold the store's `buildUpdate` to it: the same input for every change DynamoDB can store. It
 * also sends what the store refuses, for the tests that ask DynamoDB Local what it refuses.
 */
export function plainUpdate(tableName: string, change: ConnectionChange) {
  const attributes = itemAttributes(change);
  const names: Record<string, string> = { '#order': 'eventOrder', '#firstStoredAt': 'firstStoredAt' };
  const values: Record<string, AttributeValue> = {
    ':order': { S: change.event.order },
    ':receivedAt': { S: change.receivedAt },
  };
  const set = ['#firstStoredAt = if_not_exists(#firstStoredAt, :receivedAt)'];
  const remove: string[] = [];
  const marshalled = marshall(attributes, { removeUndefinedValues: true, allowImpreciseNumbers: true });
  Object.keys(attributes).forEach((attribute, index) => {
    names[`#a${index}`] = attribute;
    const value = marshalled[attribute];
    if (value === undefined) {
      remove.push(`#a${index}`);
    } else {
      values[`:a${index}`] = value;
      set.push(`#a${index} = :a${index}`);
    }
  });
  return new UpdateItemCommand({
    TableName: tableName,
    Key: { [partitionKey]: { S: change.companyId }, [sortKey]: { S: change.connection.id } },
    UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: 'attribute_not_exists(#order) OR #order < :order',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
}

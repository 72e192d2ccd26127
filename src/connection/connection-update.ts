import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ConnectionChange } from './store';
import { itemAttributes } from './stored-item';
import { CONNECTION_TABLE } from './table';

const { partitionKey, sortKey } = CONNECTION_TABLE;

/**
 * Builds the one conditional UpdateItem of a change: it sets every attribute the event
 * carries, removes those it leaves out (so the item is the event's state, not a blend), and
 * applies only when the stored event is older.
 */
export function buildUpdate(
  tableName: string,
  change: ConnectionChange,
  attributes = itemAttributes(change),
) {
  const names: Record<string, string> = { '#order': 'eventOrder', '#firstStoredAt': 'firstStoredAt' };
  const values: Record<string, AttributeValue> = {
    ':order': { S: change.event.order },
    ':receivedAt': { S: change.receivedAt },
  };
  const set = ['#firstStoredAt = if_not_exists(#firstStoredAt, :receivedAt)'];
  const remove: string[] = [];
  // One marshall call for every value: a number beyond 2^53 has lost its exact value in
  // JSON.parse already; it is stored as parsed rather than refused, since refusing would have
  // the provider retry it for days.
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

import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshalChange } from './item-limits';
import type { ConnectionChange } from './store';
import { WRITTEN_ATTRIBUTES } from './stored-item';
import { CONNECTION_TABLE } from './table';

const { partitionKey, sortKey } = CONNECTION_TABLE;

/** Each written attribute with its placeholders in the update, named once. */
const WRITTEN = WRITTEN_ATTRIBUTES.map((attribute, index) => ({
  attribute,
  name: `#a${index}`,
  value: `:a${index}`,
}));

/** Every name an update uses, the same for every write (each attribute is either set or removed). */
const NAMES: Readonly<Record<string, string>> = Object.freeze({
  '#order': 'eventOrder',
  '#firstStoredAt': 'firstStoredAt',
  ...Object.fromEntries(WRITTEN.map(({ name, attribute }) => [name, attribute])),
});

/** The update expressions made so far, by the set of removed attributes (bit `i`: `WRITTEN[i]`). */
const EXPRESSIONS = new Map<number, string>();

/** The update expression that sets every written attribute but those in `removed`, which it removes. */
function updateExpression(removed: number): string {
  let expression = EXPRESSIONS.get(removed);
  if (expression === undefined) {
    const set = ['#firstStoredAt = if_not_exists(#firstStoredAt, :receivedAt)'];
    const remove: string[] = [];
    WRITTEN.forEach(({ name, value }, index) => {
      if (removed & (1 << index)) remove.push(name);
      else set.push(`${name} = ${value}`);
    });
    expression = `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
    EXPRESSIONS.set(removed, expression);
  }
  return expression;
}

/**
 * Builds the one conditional UpdateItem of a change: it sets every attribute the event
 * carries, removes those it leaves out (so the item is the event's state, not a blend), and
 * applies only when the stored event is older. `item` is the change's item as `marshalChange`
 * gives it, which the caller has checked has no problems; a number beyond 2^53 has lost its
 * exact value in JSON.parse already, and is stored as parsed rather than refused, since refusing
 * would have the provider retry it for days.
 */
export function buildUpdate(
  tableName: string,
  change: ConnectionChange,
  item: Readonly<Record<string, AttributeValue>> = marshalChange(change).item,
) {
  const values: Record<string, AttributeValue> = {
    ':order': { S: change.event.order },
    ':receivedAt': { S: change.receivedAt },
  };
  let removed = 0;
  for (let index = 0; index < WRITTEN.length; index++) {
    const written = WRITTEN[index] as (typeof WRITTEN)[number];
    const value = item[written.attribute];
    if (value === undefined) removed |= 1 << index;
    else values[written.value] = value;
  }
  return new UpdateItemCommand({
    TableName: tableName,
    Key: { [partitionKey]: { S: change.companyId }, [sortKey]: { S: change.connection.id } },
    UpdateExpression: updateExpression(removed),
    ConditionExpression: 'attribute_not_exists(#order) OR #order < :order',
    ExpressionAttributeNames: NAMES,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
}

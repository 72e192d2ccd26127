import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { MAX_ITEM_BYTES, MAX_NAME_BYTES, MAX_NESTING_LEVELS, numberProblem } from './dynamodb-limits';
import type { Problem } from './schema';
import type { ConnectionChange } from './store';
import { type AttributeSink, itemAttributes, storedAttributes } from './stored-item';
import { CONNECTION_TABLE } from './table';

/**
 * What DynamoDB can hold, checked on the whole item before the write: a value it refuses would
 * otherwise fail the write, answer 5xx, and be retried by the provider for 28 hours. The limits
 * themselves are DynamoDB's, from dynamodb-limits.ts.
 */

const { partitionKey, sortKey } = CONNECTION_TABLE;

/** Where each attribute of the item comes from in the delivery; the rest are the receiver's own. */
export const DELIVERY_PATHS: Readonly<Record<string, string>> = {
  [partitionKey]: 'payload.referenceCompany.id',
  [sortKey]: 'payload.connection.id',
  companyName: 'payload.referenceCompany.name',
  companyTags: 'payload.referenceCompany.tags',
  lastEventId: 'id',
  lastEventType: 'eventType',
  lastEventGeneratedDate: 'generatedDate',
};

/** Attributes the receiver sets itself: named as they are in the item. */
const OWN_ATTRIBUTES = new Set([
  'eventOrder',
  'deleted',
  CONNECTION_TABLE.expiryAttribute,
  'storedAt',
  'firstStoredAt',
]);

function deliveryPath(attribute: string): string {
  if (OWN_ATTRIBUTES.has(attribute)) return attribute;
  return DELIVERY_PATHS[attribute] ?? `payload.connection.${attribute}`;
}

/** A long key names its start only: a 70,000-byte key would make an unreadable path. */
const shortKey = (key: string) => (key.length > 64 ? `${key.slice(0, 32)}…` : key);

/**
 * UTF-8 bytes of `text`. A short ASCII text (nearly every value and name of a delivery) is
 * counted here, a byte a character: Node's count is a call out of JavaScript, which cost the
 * walk 5 µs a delivery between database calls (a one-off script, 3,000 deliveries on DynamoDB
 * Local, the two ways alternating in one process).
 */
function utf8Bytes(text: string): number {
  if (text.length > 256) return Buffer.byteLength(text, 'utf8');
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) >= 0x80) return Buffer.byteLength(text, 'utf8');
  }
  return text.length;
}

/** DynamoDB's size of a number: 1 byte per two significant digits, plus 1. */
function numberBytes(value: number): number {
  // Shortest round-trip form, as it is sent: its mantissa has no leading or trailing zeros.
  const text = value.toExponential();
  const digits = text.indexOf('e') - (text.includes('.') ? 1 : 0) - (value < 0 ? 1 : 0);
  return Math.ceil(digits / 2) + 1;
}

/**
 * One walk of an item's attributes, in order: each one as DynamoDB's value (what util-dynamodb's
 * `marshall` makes of it, with `removeUndefinedValues` and `allowImpreciseNumbers`), its problems
 * and its size as DynamoDB counts it. The write sends these values, so an item is walked once,
 * not once to check it and once more to marshal it. Only a map or a list is descended into, by
 * a recursion that stops at DynamoDB's nesting limit, so a hostile body cannot deepen it. The
 * path of a value is built only for a problem, from the keys of the maps and lists above it.
 */
class ItemWalk implements AttributeSink {
  readonly problems: Problem[] = [];
  size = 0;
  /** The attributes given, as DynamoDB's values; an `undefined` one is left out, as the write removes it. */
  readonly item: Record<string, AttributeValue> = {};
  #attribute = '';
  /** The keys from the attribute down to the map or list being walked. */
  readonly #keys: string[] = [];
  #largest: [string, number] | undefined;

  attribute(name: string, value: unknown): void {
    if (value === undefined) return;
    this.#attribute = name;
    const start = this.size;
    this.size += utf8Bytes(name);
    const marshalled = this.#value(value, 1, undefined);
    if (marshalled !== undefined) this.item[name] = marshalled;
    const size = this.size - start;
    if (this.#largest === undefined || size > this.#largest[1]) this.#largest = [name, size];
  }

  /** The problems, with the item's size among them when it is over DynamoDB's limit. */
  finish(): { problems: Problem[]; size: number } {
    if (this.size > MAX_ITEM_BYTES) {
      this.problems.push({
        path: deliveryPath(this.#largest?.[0] ?? '(item)'),
        message: `makes the item ${this.size} bytes; DynamoDB allows ${MAX_ITEM_BYTES}`,
      });
    }
    return { problems: this.problems, size: this.size };
  }

  #problem(key: string | undefined, message: string): void {
    const keys = this.#keys.map(shortKey);
    if (key !== undefined) keys.push(shortKey(key));
    this.problems.push({ path: [deliveryPath(this.#attribute), ...keys].join('.'), message });
  }

  /**
   * `value`, found at `key` of a map or list at `level` (the item is level 1), as DynamoDB's
   * value, its size added to the item's. A value with a problem is left out (`undefined`): an
   * item with problems is never written.
   */
  #value(value: unknown, level: number, key: string | undefined): AttributeValue | undefined {
    if (typeof value === 'string') {
      this.size += utf8Bytes(value);
      return { S: value };
    }
    if (typeof value === 'number') {
      const problem = numberProblem(value);
      if (problem !== undefined) {
        this.#problem(key, problem);
        return undefined;
      }
      this.size += numberBytes(value);
      return { N: String(value) };
    }
    if (typeof value === 'boolean') {
      this.size += 1;
      return { BOOL: value };
    }
    if (value === null) {
      this.size += 1;
      return { NULL: true };
    }
    // JSON has nothing else; a function or a symbol is left out, as marshall leaves it.
    if (typeof value !== 'object') return undefined;
    if (level + 1 > MAX_NESTING_LEVELS) {
      this.#problem(key, `nests deeper than DynamoDB's ${MAX_NESTING_LEVELS} levels`);
      return undefined;
    }
    if (key !== undefined) this.#keys.push(key);
    const marshalled = Array.isArray(value) ? this.#list(value, level + 1) : this.#map(value, level + 1);
    if (key !== undefined) this.#keys.pop();
    return marshalled;
  }

  #list(list: readonly unknown[], level: number): AttributeValue {
    this.size += 3;
    const elements: AttributeValue[] = [];
    for (let index = 0; index < list.length; index++) {
      const element = list[index];
      if (element === undefined) continue;
      this.size += 1;
      const marshalled = this.#value(element, level, String(index));
      if (marshalled !== undefined) elements.push(marshalled);
    }
    return { L: elements };
  }

  #map(map: object, level: number): AttributeValue {
    this.size += 3;
    const members: Record<string, AttributeValue> = {};
    for (const key of Object.keys(map)) {
      const element = (map as Record<string, unknown>)[key];
      if (element === undefined) continue;
      const keyBytes = utf8Bytes(key);
      this.size += 1 + keyBytes;
      if (keyBytes === 0) this.#problem(key, 'is an empty key, which DynamoDB cannot store');
      else if (keyBytes > MAX_NAME_BYTES) {
        this.#problem(key, `is a key of ${keyBytes} bytes; DynamoDB allows at most ${MAX_NAME_BYTES}`);
      }
      const marshalled = this.#value(element, level, key);
      if (marshalled !== undefined) members[key] = marshalled;
    }
    return { M: members };
  }
}

/** The whole item a change's write leaves, as DynamoDB's values, and what DynamoDB would refuse of it. */
export interface MarshalledChange {
  /**
   * The key attributes, the change's attributes and `firstStoredAt` (as this delivery's time), as
   * `marshall` makes them; a removed attribute is left out. Meant to be written only when there
   * are no problems: a value with one is left out.
   */
  item: Record<string, AttributeValue>;
  /** What DynamoDB would refuse, each naming its path in the delivery; empty when it can be written. */
  problems: Problem[];
}

/**
 * The item that the write of `change` leaves, as DynamoDB's values, and the problems DynamoDB
 * would refuse it for, each naming its path in the delivery (`payload.connection.connectionInfo.a.b`,
 * `payload.referenceCompany.tags.` for an empty key): empty keys, keys of 64 KB or more, nesting
 * deeper than 32 levels, numbers outside DynamoDB's range, and an item over 400 KB. Empty strings
 * are fine: DynamoDB stores them outside keys. What the store and the reconciler check before
 * every write, and what the store's write sends (`buildUpdate`).
 *
 * The item is walked as `storedAttributes` (stored-item.ts) gives it: the key attributes, the
 * change's `attributes` and `firstStoredAt`. `undefined` values are left out, as the write
 * removes them. One walk, bounded by the nesting limit for a hostile body.
 */
export function marshalChange(
  change: ConnectionChange,
  attributes: Readonly<Record<string, unknown>> = itemAttributes(change),
): MarshalledChange {
  const items = new ItemWalk();
  storedAttributes(change, attributes, items);
  return { item: items.item, problems: items.finish().problems };
}

/** The problems of `marshalChange`, alone. */
export function changeLimitProblems(
  change: ConnectionChange,
  attributes: Readonly<Record<string, unknown>> = itemAttributes(change),
): Problem[] {
  return marshalChange(change, attributes).problems;
}

/** The item's size as DynamoDB counts it against its 400 KB: names and values, with overheads. */
export function itemBytes(item: Readonly<Record<string, unknown>>): number {
  const items = new ItemWalk();
  for (const attribute of Object.keys(item)) items.attribute(attribute, item[attribute]);
  return items.finish().size;
}

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
 * One walk of an item's attributes, in order: their problems and their size as DynamoDB counts
 * it. Plain values are sized where they stand; only a map or a list is descended into, by a
 * recursion that stops at DynamoDB's nesting limit, so a hostile body cannot deepen it. The path
 * of a value is built only for a problem, from the keys of the maps and lists above it.
 */
class ItemWalk implements AttributeSink {
  readonly problems: Problem[] = [];
  size = 0;
  #attribute = '';
  /** The keys from the attribute down to the map or list being walked. */
  readonly #keys: string[] = [];
  #largest: [string, number] | undefined;

  attribute(name: string, value: unknown): void {
    if (value === undefined) return;
    this.#attribute = name;
    const size = utf8Bytes(name) + this.#value(value, 1, undefined);
    this.size += size;
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

  /** The size of `value`, found at `key` of a map or list at `level` (the item is level 1). */
  #value(value: unknown, level: number, key: string | undefined): number {
    if (typeof value === 'string') return utf8Bytes(value);
    if (typeof value === 'number') {
      const problem = numberProblem(value);
      if (problem === undefined) return numberBytes(value);
      this.#problem(key, problem);
      return 0;
    }
    if (value === null || typeof value === 'boolean') return 1;
    if (typeof value !== 'object') return 0;
    if (level + 1 > MAX_NESTING_LEVELS) {
      this.#problem(key, `nests deeper than DynamoDB's ${MAX_NESTING_LEVELS} levels`);
      return 0;
    }
    if (key !== undefined) this.#keys.push(key);
    const size = Array.isArray(value) ? this.#list(value, level + 1) : this.#map(value, level + 1);
    if (key !== undefined) this.#keys.pop();
    return size;
  }

  #list(list: readonly unknown[], level: number): number {
    let size = 3;
    for (let index = 0; index < list.length; index++) {
      const element = list[index];
      if (element === undefined) continue;
      size += 1 + this.#value(element, level, String(index));
    }
    return size;
  }

  #map(map: object, level: number): number {
    let size = 3;
    for (const key of Object.keys(map)) {
      const element = (map as Record<string, unknown>)[key];
      if (element === undefined) continue;
      const keyBytes = utf8Bytes(key);
      size += 1 + keyBytes;
      if (keyBytes === 0) this.#problem(key, 'is an empty key, which DynamoDB cannot store');
      else if (keyBytes > MAX_NAME_BYTES) {
        this.#problem(key, `is a key of ${keyBytes} bytes; DynamoDB allows at most ${MAX_NAME_BYTES}`);
      }
      size += this.#value(element, level, key);
    }
    return size;
  }
}

/**
 * The problems DynamoDB would refuse the item that the write of `change` leaves for, each naming
 * its path in the delivery (`payload.connection.connectionInfo.a.b`, `payload.referenceCompany.tags.`
 * for an empty key): empty keys, keys of 64 KB or more, nesting deeper than 32 levels, numbers
 * outside DynamoDB's range, and an item over 400 KB. Empty strings are fine: DynamoDB stores them
 * outside keys. What the store and the reconciler check before every write.
 *
 * The item is walked as `storedAttributes` (stored-item.ts) gives it, without building it: the
 * key attributes, the change's `attributes` and `firstStoredAt`. `undefined` values are left out,
 * as the write removes them. One walk, bounded by the nesting limit for a hostile body.
 */
export function changeLimitProblems(
  change: ConnectionChange,
  attributes: Readonly<Record<string, unknown>> = itemAttributes(change),
): Problem[] {
  const items = new ItemWalk();
  storedAttributes(change, attributes, items);
  return items.finish().problems;
}

/** The item's size as DynamoDB counts it against its 400 KB: names and values, with overheads. */
export function itemBytes(item: Readonly<Record<string, unknown>>): number {
  const items = new ItemWalk();
  for (const attribute of Object.keys(item)) items.attribute(attribute, item[attribute]);
  return items.finish().size;
}

import { MAX_ITEM_BYTES, MAX_NAME_BYTES, MAX_NESTING_LEVELS, numberProblem } from './dynamodb-limits';
import type { Problem } from './schema';
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

/** A value on the walk: its path is rebuilt from its parents only when a problem is found. */
interface Frame {
  value: unknown;
  key: string;
  parent: Frame | undefined;
  level: number;
}

function pathOf(frame: Frame): string {
  const keys: string[] = [];
  let at = frame;
  while (at.parent) {
    // A 70,000-byte key would make an unreadable path: its start is enough to find it.
    keys.push(at.key.length > 64 ? `${at.key.slice(0, 32)}…` : at.key);
    at = at.parent;
  }
  return [deliveryPath(at.key), ...keys.reverse()].join('.');
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** DynamoDB's size of a number: 1 byte per two significant digits, plus 1. */
function numberBytes(digits: string): number {
  const significant = digits.replace(/^0+|0+$/g, '').length || 1;
  return Math.ceil(significant / 2) + 1;
}

function mantissaDigits(value: number): string {
  return (Math.abs(value).toExponential().split('e')[0] ?? '0').replace('.', '');
}

/** One walk of the item, without recursion: its problems and its size as DynamoDB counts it. */
function walk(item: Readonly<Record<string, unknown>>): { problems: Problem[]; size: number } {
  const problems: Problem[] = [];
  const stack: Frame[] = [];
  let size = 0;
  const attributeSizes: [string, number][] = [];
  for (const [attribute, value] of Object.entries(item)) {
    if (value === undefined) continue;
    const before = size;
    stack.push({ value, key: attribute, parent: undefined, level: 1 });
    size += utf8Bytes(attribute);
    while (stack.length > 0) {
      const frame = stack.pop() as Frame;
      const current = frame.value;
      if (typeof current === 'string') size += utf8Bytes(current);
      else if (typeof current === 'number') {
        const problem = numberProblem(current);
        if (problem) problems.push({ path: pathOf(frame), message: problem });
        else size += numberBytes(mantissaDigits(current));
      } else if (current === null || typeof current === 'boolean') size += 1;
      else if (typeof current === 'object') {
        const level = frame.level + 1;
        if (level > MAX_NESTING_LEVELS) {
          problems.push({
            path: pathOf(frame),
            message: `nests deeper than DynamoDB's ${MAX_NESTING_LEVELS} levels`,
          });
          continue;
        }
        size += 3;
        const entries = Array.isArray(current)
          ? current.map((element, index) => [String(index), element] as const)
          : Object.entries(current);
        for (const [key, element] of entries) {
          if (element === undefined) continue;
          const child: Frame = { value: element, key, parent: frame, level };
          size += 1;
          if (!Array.isArray(current)) {
            const keyBytes = utf8Bytes(key);
            size += keyBytes;
            if (keyBytes === 0) {
              problems.push({ path: pathOf(child), message: 'is an empty key, which DynamoDB cannot store' });
            } else if (keyBytes > MAX_NAME_BYTES) {
              problems.push({
                path: pathOf(child),
                message: `is a key of ${keyBytes} bytes; DynamoDB allows at most ${MAX_NAME_BYTES}`,
              });
            }
          }
          stack.push(child);
        }
      }
    }
    attributeSizes.push([attribute, size - before]);
  }
  if (size > MAX_ITEM_BYTES) {
    const [largest] = attributeSizes.sort((a, b) => b[1] - a[1])[0] ?? ['(item)'];
    problems.push({
      path: deliveryPath(largest),
      message: `makes the item ${size} bytes; DynamoDB allows ${MAX_ITEM_BYTES}`,
    });
  }
  return { problems, size };
}

/**
 * The problems DynamoDB would refuse the item for, each naming its path in the delivery
 * (`payload.connection.connectionInfo.a.b`, `payload.referenceCompany.tags.` for an empty key):
 * empty keys, keys of 64 KB or more, nesting deeper than 32 levels, numbers outside DynamoDB's
 * range, and an item over 400 KB. Empty strings are fine: DynamoDB stores them outside keys.
 *
 * `item` is the whole item one write stores, as plain values: the key attributes, the
 * attributes of the change and `firstStoredAt` (see `storedItem` in stored-item.ts).
 * `undefined` values are left out, as the write removes them. One walk, without recursion:
 * a few microseconds for an ordinary delivery, and bounded by the nesting limit for a hostile one.
 */
export function itemLimitProblems(item: Readonly<Record<string, unknown>>): Problem[] {
  return walk(item).problems;
}

/** The item's size as DynamoDB counts it against its 400 KB: names and values, with overheads. */
export function itemBytes(item: Readonly<Record<string, unknown>>): number {
  return walk(item).size;
}

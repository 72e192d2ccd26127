/**
 * What DynamoDB can store, in one place: the schema (key lengths), the body reader and the
 * reconciler's reader (text that UTF-8 can encode), the read API (the ids it is asked for) and
 * the store (the item walk in item-limits.ts) read these, so that no two of them can disagree.
 * From DynamoDB's Developer Guide ("Constraints in Amazon DynamoDB": partition and sort keys,
 * data types, items, attributes; "Supported data types and naming rules"), each boundary
 * confirmed on AWS's DynamoDB Local (test/item-limits.test.ts). A value past one of them fails
 * the write with a ValidationException that no retry cures.
 */

/** A partition key value: 1 to 2,048 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;
/** A sort key value: 1 to 1,024 bytes. */
export const MAX_SORT_KEY_BYTES = 1024;
/** An item: 400 KB, names and values, key attributes included. */
export const MAX_ITEM_BYTES = 409_600;
/** Attribute names and map keys: at least 1 byte and less than 64 KB. */
export const MAX_NAME_BYTES = 65_535;
/** Nested attributes: 32 levels, the item being level 1 and every map or list adding one. */
export const MAX_NESTING_LEVELS = 32;

/** Numbers: 0, or a magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125. */
const MIN_EXPONENT = -130;
const MAX_EXPONENT = 125;

/** Strings and names are UTF-8: a lone UTF-16 surrogate has no UTF-8 form. */
export function isUtf8Text(text: string): boolean {
  return text.isWellFormed();
}

/** Why DynamoDB cannot hold the number `value`, or undefined when it can. */
export function numberProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return `is a number DynamoDB cannot hold (${value} is not finite)`;
  if (value === 0) return undefined;
  // What is sent is String(value); its decimal exponent decides, as DynamoDB reads that text.
  const exponent = Number(Math.abs(value).toExponential().split('e')[1]);
  if (exponent < MIN_EXPONENT) {
    return `is a number DynamoDB cannot hold (${value} is nearer zero than 1E-130)`;
  }
  if (exponent > MAX_EXPONENT) {
    return `is a number DynamoDB cannot hold (${value} is beyond 9.9999999999999999999999999999999999999E+125)`;
  }
  return undefined;
}

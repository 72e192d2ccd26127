import type { ConnectionChangeDetail, TruncatedField } from './change-event';

/**
 * Cutting a change's strings so that its entry fits PutEvents (step 3 of `toEntry` in
 * event-entry.ts): every cuttable string cut to the same length, found by bisection on sizes
 * computed without serializing the detail each time.
 */

/** What a cut string ends with, so that a reader of the summary sees it was cut. */
export const CUT_MARK = '…';

/**
 * Fields never cut: they identify the change and the connection. Each is bounded whatever the
 * item holds (the change id is 32 hex digits; DynamoDB keys are at most 2,048 and 1,024 bytes;
 * the rest are this code's own words), so an entry of these alone is always far inside the limit.
 */
const WHOLE = new Set(['changeId', 'change', 'companyId', 'connectionId']);

/** `text` cut to at most `length` UTF-16 units, never between the halves of a surrogate pair. */
export function cut(text: string, length: number): string {
  if (text.length <= length) return text;
  return `${text.slice(0, cutEnd(text, length))}${CUT_MARK}`;
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Where a cut to `length` units ends: one unit sooner when it would split a surrogate pair. */
function cutEnd(text: string, length: number): number {
  return length > 0 && isHighSurrogate(text.charCodeAt(length - 1)) && isLowSurrogate(text.charCodeAt(length))
    ? length - 1
    : length;
}

/** Every string of `value` longer than `length` cut to it; says whether any was. */
function capped(value: unknown, length: number): { value: unknown; cut: boolean } {
  if (typeof value === 'string') {
    return value.length > length ? { value: cut(value, length), cut: true } : { value, cut: false };
  }
  if (isMap(value)) {
    let any = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const result = capped(item, length);
      any ||= result.cut;
      return [key, result.value];
    });
    return { value: any ? Object.fromEntries(entries) : value, cut: any };
  }
  return { value, cut: false };
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const withTruncated = (truncated: Set<TruncatedField>) =>
  truncated.size ? { truncated: [...truncated] } : {};

const cuttable = (field: string) => !WHOLE.has(field) && field !== 'truncated';

/** `detail` with every string not in WHOLE cut to `length`, and the fields cut added to `truncated`. */
function withStringsCapped(detail: ConnectionChangeDetail, length: number): ConnectionChangeDetail {
  const truncated = new Set(detail.truncated ?? []);
  const fields: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(detail)) {
    if (!cuttable(field)) {
      fields[field] = value;
      continue;
    }
    const result = capped(value, length);
    fields[field] = result.value;
    if (result.cut) truncated.add(field as TruncatedField);
  }
  return { ...(fields as unknown as ConnectionChangeDetail), ...withTruncated(truncated) };
}

/**
 * The bytes each UTF-16 unit of `text` takes inside a JSON string, summed: `sums[n]` is the size
 * of its first `n` units as `JSON.stringify` writes them and UTF-8 encodes them (`"`, `\` and
 * the short escapes 2 bytes, other control characters and lone surrogates 6, a surrogate pair 4).
 */
function jsonByteSums(text: string): Float64Array {
  const sums = new Float64Array(text.length + 1);
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    let bytes: number;
    if (unit === 0x22 || unit === 0x5c || (unit >= 0x08 && unit <= 0x0d && unit !== 0x0b)) bytes = 2;
    else if (unit < 0x20) bytes = 6;
    else if (unit < 0x80) bytes = 1;
    else if (unit < 0x800) bytes = 2;
    else if (isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(index + 1))) bytes = 4;
    else if (isLowSurrogate(unit) && isHighSurrogate(text.charCodeAt(index - 1))) bytes = 0;
    else if (unit >= 0xd800 && unit <= 0xdfff) bytes = 6;
    else bytes = 3;
    sums[index + 1] = (sums[index] as number) + bytes;
  }
  return sums;
}

/**
 * The detail's size as a function of the length its strings are cut to, without serializing it
 * each time: the detail with every cuttable string emptied is measured once, and each string's
 * contribution is read from its byte sums.
 */
function sizeByCut(detail: ConnectionChangeDetail, overhead: number) {
  const strings: { field: TruncatedField; text: string; sums: Float64Array }[] = [];
  const emptied = (field: TruncatedField, value: unknown): unknown => {
    if (typeof value === 'string') {
      strings.push({ field, text: value, sums: jsonByteSums(value) });
      return '';
    }
    if (isMap(value)) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, emptied(field, item)]));
    }
    return value;
  };
  const skeleton: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(detail)) {
    if (field === 'truncated') continue;
    skeleton[field] = cuttable(field) ? emptied(field as TruncatedField, value) : value;
  }
  const fixed = overhead + Buffer.byteLength(JSON.stringify(skeleton), 'utf8');
  const markBytes = Buffer.byteLength(CUT_MARK, 'utf8');
  return {
    longest: Math.max(0, ...strings.map(({ text }) => text.length)),
    at(length: number): number {
      const truncated = new Set(detail.truncated ?? []);
      let size = fixed;
      for (const { field, text, sums } of strings) {
        if (text.length <= length) {
          size += sums[text.length] as number;
        } else {
          size += (sums[cutEnd(text, length)] as number) + markBytes;
          truncated.add(field);
        }
      }
      return truncated.size
        ? size + Buffer.byteLength(`,"truncated":${JSON.stringify([...truncated])}`)
        : size;
    },
  };
}

/**
 * The longest cut that makes `detail` fit, found by bisection on the length every string is
 * cut to (so the longest strings are cut first, all to the same length); `undefined` when even
 * cutting every string to nothing is not enough. The bisection reads sizes from `sizeByCut`;
 * the result is measured whole before it is trusted.
 */
export function capStrings(
  detail: ConnectionChangeDetail,
  budget: { overhead: number; limitBytes: number },
  fits: (detail: ConnectionChangeDetail) => boolean,
): ConnectionChangeDetail | undefined {
  const size = sizeByCut(detail, budget.overhead);
  const fitsAt = (length: number) => size.at(length) <= budget.limitBytes;
  // The mark added to a cut string makes the size only roughly monotonic in the length: the
  // bisection finds a length that fits, not always the longest.
  let low = 0;
  let high = size.longest;
  if (!fitsAt(0)) return undefined;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fitsAt(middle)) low = middle;
    else high = middle - 1;
  }
  for (let length = low; ; length = Math.floor(length / 2)) {
    const candidate = withStringsCapped(detail, length);
    if (fits(candidate)) return candidate;
    if (length === 0) return undefined;
  }
}

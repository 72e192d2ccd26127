/** What an empty or unreadable platform name is counted under. */
export const UNNAMED = '(unnamed)';

/** Well within CloudWatch's 1,024 characters, and short enough to read on a chart. */
export const MAX_DIMENSION_VALUE_LENGTH = 128;

/**
 * `text` as a CloudWatch dimension value may hold it: ASCII only, no control characters, at
 * least one character that is not a space, at most 1,024 characters (the API reference's
 * `Dimension`). EMF gives no error for a value that breaks these: CloudWatch drops the metric.
 * Accents are taken off (`Sága` → `Saga`), anything else outside printable ASCII becomes `?`,
 * runs of spaces one, and an empty result `UNNAMED`. Two names that come out the same are
 * counted as one.
 */
export function dimensionValue(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]/gu, '?')
    .replace(/ +/g, ' ')
    .trim()
    .slice(0, MAX_DIMENSION_VALUE_LENGTH)
    .trimEnd();
  return ascii === '' ? UNNAMED : ascii;
}

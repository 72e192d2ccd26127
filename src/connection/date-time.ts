/**
 * Codat date-time strings come in three forms, all of which must be read:
 * UTC (`2021-11-15T06:00:00Z`), unqualified local time (`2021-11-15T01:00:00`) and with an
 * offset (`2021-11-15T01:00:00-05:00`), with up to 7 fractional digits.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/;

interface DateTimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The fractional digits as written, without the dot ('' when absent). */
  fraction: string;
  /** Minutes east of UTC; `undefined` for an unqualified local time. */
  offsetMinutes: number | undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function parseOffset(zone: string | undefined): number | undefined | null {
  if (zone === undefined) return undefined;
  if (zone === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 18 || minutes > 59) return null;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

function parseDateTime(value: string): DateTimeParts | undefined {
  const match = DATE_TIME.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', zone] = match;
  const parts = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s),
  };
  const offsetMinutes = parseOffset(zone);
  const valid =
    offsetMinutes !== null &&
    parts.month >= 1 &&
    parts.month <= 12 &&
    parts.day >= 1 &&
    parts.day <= daysInMonth(parts.year, parts.month) &&
    parts.hour <= 23 &&
    parts.minute <= 59 &&
    parts.second <= 59;
  return valid ? { ...parts, fraction, offsetMinutes } : undefined;
}

/** True when `value` is a date-time in one of the three forms Codat sends. */
export function isDateTime(value: string): boolean {
  return parseDateTime(value) !== undefined;
}

/**
 * Rewrites a date-time as fixed-width UTC with 7 fractional digits
 * (`2024-08-08T17:10:34.0150000Z`), so that string order is time order. An unqualified time
 * is read as UTC: the provider documents `generatedDate` as UTC.
 * Returns `undefined` when the value is not a date-time or falls outside years 0000-9999.
 */
export function toSortableUtc(value: string): string | undefined {
  return read(value).utc;
}

/**
 * The milliseconds since the epoch of a date-time in one of the three forms (digits past the
 * third dropped), as `Date.parse` reads the first 23 characters of its sortable UTC form.
 * Undefined when `toSortableUtc` gives nothing.
 */
export function toEpochMs(value: string): number | undefined {
  return read(value).epochMs;
}

/**
 * A delivery reads its generatedDate several times (the schema, its lag, its order): the last
 * answer is kept, since the same text always gives the same answer.
 */
let last: { value: string | undefined; utc?: string; epochMs?: number } = { value: undefined };

function read(value: string): { utc?: string; epochMs?: number } {
  if (value !== last.value) last = { value, ...readUtc(value) };
  return last;
}

function readUtc(value: string): { utc?: string; epochMs?: number } {
  const parts = parseDateTime(value);
  if (!parts) return {};
  const date = new Date(0);
  date.setUTCFullYear(parts.year, parts.month - 1, parts.day);
  date.setUTCHours(parts.hour, parts.minute - (parts.offsetMinutes ?? 0), parts.second, 0);
  const wholeSeconds = date.toISOString().slice(0, 19);
  if (!/^\d{4}-/.test(wholeSeconds)) return {};
  return {
    utc: `${wholeSeconds}.${parts.fraction.padEnd(7, '0')}Z`,
    epochMs: date.getTime() + Number(parts.fraction.slice(0, 3).padEnd(3, '0')),
  };
}

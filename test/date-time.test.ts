import { isDateTime, toEpochMs, toSortableUtc } from '../src/connection/date-time';

describe('reading Codat date-times', () => {
  it.each([
    ['UTC', '2021-11-15T06:00:00Z'],
    ['unqualified local time', '2021-11-15T01:00:00'],
    ['a negative offset', '2021-11-15T01:00:00-05:00'],
    ['a positive offset', '2021-11-15T11:30:00+05:30'],
    ['7 fractional digits', '2022-10-27T10:22:43.6464237Z'],
    ['1 fractional digit', '2022-10-27T10:22:43.6'],
    ['29 February of a leap year', '2024-02-29T00:00:00Z'],
  ])('accepts %s (%s)', (_, value) => {
    expect(isDateTime(value)).toBe(true);
  });

  it.each([
    ['a date without time', '2021-11-15'],
    ['8 fractional digits', '2022-10-27T10:22:43.64642371Z'],
    ['month 13', '2021-13-15T06:00:00Z'],
    ['31 April', '2021-04-31T06:00:00Z'],
    ['29 February of a common year', '2023-02-29T00:00:00Z'],
    ['hour 24', '2021-11-15T24:00:00Z'],
    ['a space instead of T', '2021-11-15 06:00:00Z'],
    ['an offset without colon', '2021-11-15T01:00:00-0500'],
    ['an empty string', ''],
    ['trailing text', '2021-11-15T06:00:00Z '],
  ])('rejects %s (%j)', (_, value) => {
    expect(isDateTime(value)).toBe(false);
  });
});

describe('sortable UTC form', () => {
  it('writes UTC with seven fractional digits', () => {
    expect(toSortableUtc('2024-08-08T17:10:34.015Z')).toBe('2024-08-08T17:10:34.0150000Z');
  });

  it('moves an offset time to UTC, across a day boundary', () => {
    expect(toSortableUtc('2021-11-15T22:30:00-05:00')).toBe('2021-11-16T03:30:00.0000000Z');
  });

  it('reads an unqualified time as UTC', () => {
    expect(toSortableUtc('2021-11-15T01:00:00')).toBe('2021-11-15T01:00:00.0000000Z');
  });

  it('keeps all seven digits of a fraction', () => {
    expect(toSortableUtc('2022-10-27T10:22:43.6464237+01:00')).toBe('2022-10-27T09:22:43.6464237Z');
  });

  it('orders strings as the times they stand for, whatever form they came in', () => {
    const times = [
      '2021-11-15T06:00:00.5Z',
      '2021-11-15T01:00:00.1-05:00',
      '2021-11-15T06:00:00.0000001Z',
      '2021-11-15T07:00:00+01:00',
      '2021-11-15T05:59:59.9999999',
    ];
    const byString = [...times].sort((a, b) =>
      String(toSortableUtc(a)).localeCompare(String(toSortableUtc(b))),
    );
    expect(byString).toEqual([
      '2021-11-15T05:59:59.9999999',
      '2021-11-15T07:00:00+01:00',
      '2021-11-15T06:00:00.0000001Z',
      '2021-11-15T01:00:00.1-05:00',
      '2021-11-15T06:00:00.5Z',
    ]);
  });

  it('gives nothing for a value that is not a date-time', () => {
    expect(toSortableUtc('yesterday')).toBeUndefined();
  });

  it('gives nothing for a time an offset pushes before year 0000', () => {
    expect(toSortableUtc('0000-01-01T00:00:00+01:00')).toBeUndefined();
  });
});

describe('milliseconds since the epoch', () => {
  it.each([
    '2021-11-15T06:00:00Z',
    '2021-11-15T01:00:00',
    '2021-11-15T01:00:00-05:00',
    '2024-08-08T17:10:34.0150000Z',
    '2024-08-08T17:10:34.9999999+14:00',
    '2028-02-29T23:59:59.5-00:30',
    '0001-01-01T00:00:00.001Z',
  ])('reads %s as Date.parse reads its sortable UTC form', (value) => {
    const utc = toSortableUtc(value) ?? '';

    expect(toEpochMs(value)).toBe(Date.parse(`${utc.slice(0, 23)}Z`));
    expect(Number.isFinite(toEpochMs(value))).toBe(true);
  });

  it('gives nothing for a value that is not a date-time, also right after one that is', () => {
    expect(toEpochMs('2021-11-15T06:00:00Z')).toBeDefined();
    expect(toEpochMs('2021-13-15T06:00:00Z')).toBeUndefined();
    expect(toSortableUtc('2021-13-15T06:00:00Z')).toBeUndefined();
  });
});

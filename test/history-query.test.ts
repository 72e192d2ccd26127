import { DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT } from '../src/defaults';
import { InvalidQueryParameterError } from '../src/errors';
import { decodeCursor, encodeCursor, parseHistoryQuery } from '../src/history/history-query';
import { statusDurations } from '../src/history/status-durations';

function refusal(parameters: Record<string, string>): InvalidQueryParameterError {
  try {
    parseHistoryQuery(parameters);
  } catch (error) {
    if (error instanceof InvalidQueryParameterError) return error;
    throw error;
  }
  throw new Error('the query was accepted');
}

describe("the history route's query string", () => {
  it('takes no parameters as the first page of the default size', () => {
    expect(parseHistoryQuery(null)).toEqual({ limit: DEFAULT_HISTORY_LIMIT });
  });

  it('reads since as the fixed-width UTC that sort keys begin with', () => {
    expect(parseHistoryQuery({ since: '2026-11-28T10:00:00+01:00', limit: '5' })).toEqual({
      since: '2026-11-28T09:00:00.0000000Z',
      limit: 5,
    });
  });

  it.each([
    [{ since: 'yesterday' }, 'since', /must be an ISO 8601 date-time.*"yesterday"/],
    [{ since: '2026-11-28T10:00:00 01:00' }, 'since', /write \+ as %2B/],
    [{ limit: '0' }, 'limit', /from 1 to/],
    [{ limit: String(MAX_HISTORY_LIMIT + 1) }, 'limit', /from 1 to/],
    [{ limit: '2.5' }, 'limit', /whole number/],
    [{ cursor: 'not a cursor!' }, 'cursor', /not base64url/],
    [{ cursor: Buffer.from('{"pk":"a"}').toString('base64url') }, 'cursor', /not a cursor of this route/],
    [{ cursor: Buffer.from('[1]').toString('base64url') }, 'cursor', /not a cursor of this route/],
  ])('refuses %j, naming %s', (parameters, parameter, message) => {
    const error = refusal(parameters);

    expect(error.parameter).toBe(parameter);
    expect(error.message).toMatch(message);
  });

  it('gives back the key a cursor was made of', () => {
    const key = { pk: 'c#n', sk: '2026-11-28T08:00:00.0000000Z#e1' };

    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });
});

describe('the time spent in each status over a span', () => {
  const at = (hour: number) => `2026-11-28T${String(hour).padStart(2, '0')}:00:00.0000000Z`;
  const HOUR = 3_600_000;

  it('lets the one status of a one-item span last until the end of the span', () => {
    const durations = statusDurations([{ at: at(8), status: 'Linked', deleted: false }], at(10));

    expect(durations).toEqual({ from: at(8), to: at(10), inStatusMs: { Linked: 2 * HOUR }, deletedMs: 0 });
  });

  it('counts each status until the next change, and the newest one until now', () => {
    const newestFirst = [
      { at: at(11), status: 'Linked', deleted: false },
      { at: at(9), status: 'Deauthorized', deleted: false },
      { at: at(8), status: 'Linked', deleted: false },
    ] as const;

    const durations = statusDurations(newestFirst, new Date('2026-11-28T12:30:00Z'));

    expect(durations?.inStatusMs).toEqual({ Linked: HOUR + 1.5 * HOUR, Deauthorized: 2 * HOUR });
    expect(durations?.to).toBe('2026-11-28T12:30:00.000Z');
  });

  it('counts the time after a tombstone as deleted, not as its last status', () => {
    const newestFirst = [
      { at: at(10), status: 'Linked', deleted: true },
      { at: at(8), status: 'Linked', deleted: false },
    ] as const;

    const durations = statusDurations(newestFirst, at(13));

    expect(durations).toMatchObject({ inStatusMs: { Linked: 2 * HOUR }, deletedMs: 3 * HOUR });
  });

  it('adds nothing for a change stamped after the end of the span', () => {
    const newestFirst = [
      { at: at(12), status: 'Unlinked', deleted: false },
      { at: at(8), status: 'Linked', deleted: false },
    ] as const;

    expect(statusDurations(newestFirst, at(10))?.inStatusMs).toEqual({ Unlinked: 0, Linked: 2 * HOUR });
  });

  it('has no durations for an empty span', () => {
    expect(statusDurations([], at(10))).toBeUndefined();
  });
});

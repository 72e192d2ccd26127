import * as v from 'valibot';
import { sampleEvent } from '../local/sample-events';
import {
  CONNECTION_STATUSES,
  ConnectionEvent,
  ERROR_STATUSES,
  type Problem,
  SOURCE_TYPES,
  toProblems,
} from '../src/connection/schema';

type Json = Record<string, unknown>;

/** A valid connection.connected event, with `change` applied to its connection. */
function eventWithConnection(change: (connection: Json) => void): Json {
  const event = sampleEvent({ eventType: 'connection.failed' }) as unknown as Json;
  change((event.payload as Json).connection as Json);
  return event;
}

function problemsOf(input: unknown): Problem[] {
  const parsed = v.safeParse(ConnectionEvent, input);
  return parsed.success ? [] : toProblems(parsed.issues);
}

function pathsOf(input: unknown): string[] {
  return problemsOf(input).map((problem) => problem.path);
}

describe('the connection event schema', () => {
  it('accepts the sample delivery of every connection event type', () => {
    for (const eventType of ['created', 'connected', 'disconnected', 'reconnected', 'failed', 'deleted']) {
      expect(problemsOf(sampleEvent({ eventType: `connection.${eventType}` }))).toEqual([]);
    }
  });

  it('accepts the seed model example, which has no dataConnectionErrors nor connectionInfo', () => {
    const event = eventWithConnection((connection) => {
      delete connection.dataConnectionErrors;
      delete connection.connectionInfo;
    });
    expect(problemsOf(event)).toEqual([]);
  });

  it('accepts a connection without integrationKey, as the provider sends since 2026-04', () => {
    expect(pathsOf(eventWithConnection((connection) => delete connection.integrationKey))).toEqual([]);
  });

  it.each(['lastSync', 'dataConnectionErrors', 'connectionInfo', 'integrationKey'])(
    'accepts null %s',
    (field) => {
      expect(pathsOf(eventWithConnection((connection) => (connection[field] = null)))).toEqual([]);
    },
  );

  it.each(SOURCE_TYPES)('accepts source type %s', (sourceType) => {
    expect(pathsOf(eventWithConnection((connection) => (connection.sourceType = sourceType)))).toEqual([]);
  });

  it.each(CONNECTION_STATUSES)('accepts status %s', (status) => {
    expect(pathsOf(eventWithConnection((connection) => (connection.status = status)))).toEqual([]);
  });

  it.each([...ERROR_STATUSES, null])('accepts data connection error status %s', (status) => {
    const event = eventWithConnection((connection) => {
      connection.dataConnectionErrors = [{ status }];
    });
    expect(pathsOf(event)).toEqual([]);
  });

  it('accepts a data connection error with no fields at all', () => {
    expect(pathsOf(eventWithConnection((connection) => (connection.dataConnectionErrors = [{}])))).toEqual(
      [],
    );
  });

  it('accepts connectionInfo holding values of any JSON type, as the provider sends since 2026-01', () => {
    const event = eventWithConnection((connection) => {
      connection.connectionInfo = {
        text: 'a',
        count: 3,
        ratio: 0.5,
        on: true,
        none: null,
        list: [1, 'b'],
        nested: { a: 1 },
      };
    });
    expect(pathsOf(event)).toEqual([]);
  });

  it.each([
    ['lastSync', 'payload.connection.lastSync', (c: Json) => (c.lastSync = '27/10/2022')],
    ['created', 'payload.connection.created', (c: Json) => (c.created = '2022-10-27')],
    [
      'erroredOnUtc',
      'payload.connection.dataConnectionErrors.0.erroredOnUtc',
      (c: Json) => (c.dataConnectionErrors = [{ erroredOnUtc: 'soon' }]),
    ],
    [
      'resolvedOnUtc',
      'payload.connection.dataConnectionErrors.0.resolvedOnUtc',
      (c: Json) => (c.dataConnectionErrors = [{ resolvedOnUtc: '2022-10-27T25:00:00Z' }]),
    ],
  ])('rejects a %s that is not a date-time, naming its path', (_, path, change) => {
    expect(pathsOf(eventWithConnection(change))).toEqual([path]);
  });

  it('rejects an unknown status, naming payload.connection.status', () => {
    const problems = problemsOf(eventWithConnection((connection) => (connection.status = 'Bogus')));
    expect(problems).toEqual([
      { path: 'payload.connection.status', message: expect.stringContaining('"Bogus"') },
    ]);
  });

  it('rejects an unknown source type', () => {
    expect(pathsOf(eventWithConnection((c) => (c.sourceType = 'Payroll')))).toEqual([
      'payload.connection.sourceType',
    ]);
  });

  it('rejects an unknown data connection error status', () => {
    const event = eventWithConnection((c) => (c.dataConnectionErrors = [{ status: 'Open' }]));
    expect(pathsOf(event)).toEqual(['payload.connection.dataConnectionErrors.0.status']);
  });

  it.each(['id', 'integrationId', 'sourceId', 'sourceType', 'platformName', 'linkUrl', 'status', 'created'])(
    'rejects a connection without %s',
    (field) => {
      expect(pathsOf(eventWithConnection((connection) => delete connection[field]))).toEqual([
        `payload.connection.${field}`,
      ]);
    },
  );

  it('rejects a number where a string belongs', () => {
    expect(pathsOf(eventWithConnection((c) => (c.platformName = 42)))).toEqual([
      'payload.connection.platformName',
    ]);
  });

  it('rejects an empty connection id, which cannot be a DynamoDB key', () => {
    expect(pathsOf(eventWithConnection((c) => (c.id = '')))).toEqual(['payload.connection.id']);
  });

  it('rejects a connection id over the 1024 bytes of a DynamoDB sort key', () => {
    expect(pathsOf(eventWithConnection((c) => (c.id = 'é'.repeat(513))))).toEqual(['payload.connection.id']);
  });

  it('rejects a company id over the 2048 bytes of a DynamoDB partition key', () => {
    const event = sampleEvent({ eventType: 'connection.connected', companyId: 'x'.repeat(2049) });
    expect(pathsOf(event)).toEqual(['payload.referenceCompany.id']);
  });

  it('rejects an id holding a lone surrogate, which is not valid UTF-8', () => {
    expect(pathsOf(eventWithConnection((c) => (c.id = 'abc\ud800')))).toEqual(['payload.connection.id']);
  });

  it.each([
    ['a number DynamoDB cannot store', { big: 1e200 }],
    ['nesting deeper than DynamoDB allows', JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)],
  ])(
    'accepts connectionInfo holding %s: whether DynamoDB can hold it is the store’s to say',
    (_, connectionInfo) => {
      expect(pathsOf(eventWithConnection((c) => (c.connectionInfo = connectionInfo)))).toEqual([]);
    },
  );

  it('rejects an envelope whose generatedDate is not a date-time', () => {
    const event = { ...sampleEvent({ eventType: 'connection.connected' }), generatedDate: 'now' };
    expect(pathsOf(event)).toEqual(['generatedDate']);
  });

  it('rejects an envelope without id or payload, naming each', () => {
    const { id: _id, payload: _payload, ...rest } = sampleEvent({ eventType: 'connection.connected' });
    expect(pathsOf(rest).sort()).toEqual(['id', 'payload']);
  });

  it('lists every problem of a delivery, not only the first', () => {
    const event = eventWithConnection((c) => {
      c.status = 'Bogus';
      c.sourceType = 'Payroll';
      delete c.linkUrl;
    });
    expect(pathsOf(event).sort()).toEqual([
      'payload.connection.linkUrl',
      'payload.connection.sourceType',
      'payload.connection.status',
    ]);
  });

  it('keeps date strings exactly as received', () => {
    const event = eventWithConnection((c) => (c.lastSync = '2022-10-27T10:22:43.6464237-05:00'));
    const parsed = v.parse(ConnectionEvent, event);
    expect(parsed.payload.connection.lastSync).toBe('2022-10-27T10:22:43.6464237-05:00');
  });
});

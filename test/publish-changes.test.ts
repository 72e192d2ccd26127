import { randomUUID } from 'node:crypto';
import { FullBatchFailureError } from '@aws-lambda-powertools/batch';
import type { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { lambdaContext } from '../local/lambda-context';
import type { SampleEventOptions } from '../local/sample-events';
import { companyDeletedEvent, tombstoneOf } from '../src/connection/connection-change';
import type { ConnectionChangeDetail } from '../src/events/change-event';
import { MAX_PUT_EVENTS_BYTES } from '../src/events/event-entry';
import { EventBridgeChangePublisher } from '../src/events/publisher';
import { createStreamHandler } from '../src/events/stream-handler';
import { createLogger, createMetrics, type Logger, type Metrics } from '../src/observability/powertools';
import { changeOf } from './support/changes';
import { FakeEventBridge } from './support/fake-eventbridge';
import { captureOutput, RecordingLogger } from './support/logs';
import { changeRecord, deauthorization, imageOf, streamEvent, streamRecord } from './support/stream-records';

function publisherOver(fake: FakeEventBridge, options: { metrics?: Metrics; logger?: Logger } = {}) {
  const handler = createStreamHandler({
    publisher: new EventBridgeChangePublisher(fake, 'codat-connections-test'),
    logger: options.logger ?? createLogger({ stage: 'test' }),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return (event: ReturnType<typeof streamEvent>) =>
    handler(event, lambdaContext()) as Promise<DynamoDBBatchResponse>;
}

const key = () => ({ companyId: randomUUID(), connectionId: randomUUID() });
const at = (minute: number) => `2026-11-28T10:${String(minute).padStart(2, '0')}:00Z`;

/**
 * A batch of one connection's changes (connected and disconnected in turn) whose second
 * PutEvents entry the fake refuses.
 */
function batchWithTheSecondRefused(count: number) {
  const ids = key();
  const changes = Array.from({ length: count }, (_, index) =>
    changeOf({
      eventType: index % 2 ? 'connection.disconnected' : 'connection.connected',
      ...ids,
      generatedDate: at(index + 1),
    }),
  );
  const refusedId = changes[1]?.event.id as string;
  const fake = new FakeEventBridge((entry) =>
    entry.Detail?.includes(refusedId)
      ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
      : undefined,
  );
  const records = changes.map((change, index) =>
    index === 0
      ? streamRecord('INSERT', { new: imageOf(change) })
      : streamRecord('MODIFY', { old: imageOf(changes[index - 1] as typeof change), new: imageOf(change) }),
  );
  return { changes, fake, records };
}

/** The events published for the write of one connection's `second` event over its `first`. */
async function publishedAfter(
  first: SampleEventOptions['eventType'],
  second: SampleEventOptions['eventType'],
) {
  const fake = new FakeEventBridge();
  const ids = key();
  const before = changeOf({ eventType: first, ...ids, generatedDate: at(1) });
  const after = changeOf({ eventType: second, ...ids, generatedDate: at(2) });
  await publisherOver(fake)(streamEvent(changeRecord(before, after)));
  return fake.details();
}

describe('the change-event publisher, on DynamoDB stream records', () => {
  it('publishes a created event, with no previous status, for a new connection', async () => {
    const fake = new FakeEventBridge();
    const change = changeOf({ eventType: 'connection.connected', ...key(), generatedDate: at(1) });

    const result = await publisherOver(fake)(streamEvent(streamRecord('INSERT', { new: imageOf(change) })));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(fake.accepted).toEqual([
      expect.objectContaining({
        Source: 'codat.connections',
        DetailType: 'Connection Changed',
        EventBusName: 'codat-connections-test',
      }),
    ]);
    const [detail] = fake.details();
    expect(detail).toMatchObject({
      change: 'created',
      companyId: change.companyId,
      companyName: 'Toft stores',
      connectionId: change.connection.id,
      status: 'Linked',
      statusChanged: true,
      deleted: false,
      platformName: 'Basiq',
      sourceType: 'Banking',
      dataConnectionErrors: [],
      cause: { eventId: change.event.id, eventType: 'connection.connected', generatedDate: at(1) },
    });
    expect(detail).not.toHaveProperty('previousStatus');
  });

  it('publishes one updated event saying Linked became Deauthorized', async () => {
    const fake = new FakeEventBridge();
    const { deauthorized, record } = deauthorization(key());

    await publisherOver(fake)(streamEvent(record));

    expect(fake.details()).toEqual([
      expect.objectContaining({
        change: 'updated',
        previousStatus: 'Linked',
        status: 'Deauthorized',
        statusChanged: true,
        changedFields: ['status', 'lastSync'],
        cause: expect.objectContaining({
          eventType: 'connection.disconnected',
          eventId: deauthorized.event.id,
        }),
        summary: expect.stringContaining('is now Deauthorized (was Linked)'),
      }),
    ]);
  });

  it('publishes a deleted event when a connection becomes a tombstone', async () => {
    const published = await publishedAfter('connection.connected', 'connection.deleted');

    expect(published).toEqual([
      expect.objectContaining({
        change: 'deleted',
        deleted: true,
        previousStatus: 'Linked',
        status: 'Linked',
      }),
    ]);
  });

  it('publishes nothing when DynamoDB TTL removes an expired tombstone, nor for a removal by hand', async () => {
    const fake = new FakeEventBridge();
    const tombstone = imageOf(changeOf({ eventType: 'connection.deleted', ...key() }));

    const result = await publisherOver(fake)(
      streamEvent(
        streamRecord('REMOVE', { old: tombstone }, { ttl: true }),
        streamRecord('REMOVE', { old: tombstone }),
      ),
    );

    expect(result).toEqual({ batchItemFailures: [] });
    expect(fake.calls).toBe(0);
  });

  it('publishes nothing for a write that changed only bookkeeping, and nothing for a tombstone made a tombstone again', async () => {
    const fake = new FakeEventBridge();
    const ids = key();
    const first = changeOf({ eventType: 'connection.connected', ...ids, generatedDate: at(1) });
    const same = changeOf({ eventType: 'connection.reconnected', ...ids, generatedDate: at(2) });
    const deleted = changeOf({ eventType: 'connection.deleted', ...ids, generatedDate: at(3) });
    const companyGone = tombstoneOf(
      {
        ...first,
        company: { name: 'Toft stores' },
        lastEvent: first.event,
        deleted: true,
        storedAt: '',
        firstStoredAt: '',
      },
      {
        event: companyDeletedEvent({
          id: randomUUID(),
          eventType: 'company.deleted',
          generatedDate: at(4),
        } as never),
        expiresAt: 1_800_000_000,
        receivedAt: at(4),
      },
    );

    await publisherOver(fake)(
      streamEvent(
        streamRecord('MODIFY', { old: imageOf(first), new: imageOf(same) }),
        streamRecord('MODIFY', {
          old: imageOf(deleted),
          new: imageOf({ ...companyGone, company: deleted.company }),
        }),
      ),
    );

    expect(fake.calls).toBe(0);
  });

  it('publishes a connection.failed even when the state it leaves is the one stored', async () => {
    const published = await publishedAfter('connection.failed', 'connection.failed');

    expect(published).toEqual([
      expect.objectContaining({
        changedFields: [],
        cause: expect.objectContaining({ eventType: 'connection.failed' }),
        dataConnectionErrors: [expect.objectContaining({ statusCode: '401', status: 'Active' })],
        summary: expect.stringContaining(
          'Errors: 401 Unauthorized: The bank refused the credentials. (Active)',
        ),
      }),
    ]);
  });

  it('gives a change the same changeId however often the stream delivers it, and another change another', async () => {
    const fake = new FakeEventBridge();
    const ids = key();
    const created = streamRecord('INSERT', {
      new: imageOf(changeOf({ eventType: 'connection.created', ...ids, generatedDate: at(1) })),
    });
    const other = streamRecord('INSERT', {
      new: imageOf(changeOf({ eventType: 'connection.created', ...ids, generatedDate: at(2) })),
    });

    await publisherOver(fake)(streamEvent(created, created, other));

    const [first, repeat, third] = fake
      .details()
      .map((detail) => (detail as unknown as ConnectionChangeDetail).changeId);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(repeat).toBe(first);
    expect(third).not.toBe(first);
  });

  it('reports a record whose PutEvents entry failed, and every later one, and publishes the earlier ones once', async () => {
    const { changes, fake, records } = batchWithTheSecondRefused(4);

    const result = await publisherOver(fake)(streamEvent(...records));

    expect(result.batchItemFailures).toEqual(
      records.slice(1).map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber })),
    );
    expect(fake.details().map((detail) => (detail.cause as { eventId: string }).eventId)).toEqual([
      changes[0]?.event.id,
    ]);
  });

  it('counts the record whose entry failed as failed, and the later ones it never tried as deferred', async () => {
    const { fake, records } = batchWithTheSecondRefused(3);
    const metrics = createMetrics({ stage: 'test' });
    const output = captureOutput();

    try {
      await publisherOver(fake, { metrics })(streamEvent(...records));
    } finally {
      output.restore();
    }

    const counted = Object.fromEntries(
      output
        .lines()
        .filter((line) => 'ChangeEvents' in line)
        .map((line) => [line.Result, line.ChangeEvents]),
    );
    expect(counted).toEqual({ published: 1, failed: 1, deferred: 1 });
  });

  it('counts a batch whose every record failed, though the batch throws', async () => {
    const fake = new FakeEventBridge(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }));
    const records = [1, 2].map((minute) =>
      streamRecord('INSERT', {
        new: imageOf(changeOf({ eventType: 'connection.connected', ...key(), generatedDate: at(minute) })),
      }),
    );
    const output = captureOutput();

    try {
      await expect(
        publisherOver(fake, { metrics: createMetrics({ stage: 'test' }) })(streamEvent(...records)),
      ).rejects.toBeInstanceOf(FullBatchFailureError);
    } finally {
      output.restore();
    }

    const counted = output.lines().filter((line) => 'ChangeEvents' in line);
    expect(counted.map((line) => [line.Result, line.ChangeEvents])).toEqual([
      ['failed', 1],
      ['deferred', 1],
    ]);
  });

  it('counts a published change that moved a status in ConnectionTransitions, by the new status and the platform', async () => {
    const { record } = deauthorization(key());
    const output = captureOutput();

    try {
      await publisherOver(new FakeEventBridge(), { metrics: createMetrics({ stage: 'test' }) })(
        streamEvent(record),
      );
    } finally {
      output.restore();
    }

    const transitions = output.lines().filter((line) => 'ConnectionTransitions' in line);
    expect(
      transitions.map((line) => [line.Status, line.Platform ?? null, line.ConnectionTransitions]),
    ).toEqual([
      ['Deauthorized', 'Basiq', 1],
      ['Deauthorized', null, 1],
    ]);
  });

  it('counts no transition for a change it could not publish: the retry that publishes it will', async () => {
    const { fake, records } = batchWithTheSecondRefused(3);
    const output = captureOutput();

    try {
      await publisherOver(fake, { metrics: createMetrics({ stage: 'test' }) })(streamEvent(...records));
    } finally {
      output.restore();
    }

    // Only the first record, a new connection, was published.
    const transitions = output.lines().filter((line) => 'ConnectionTransitions' in line);
    expect(transitions.map((line) => [line.Status, line.ConnectionTransitions])).toEqual([
      ['Created', 1],
      ['Created', 1],
    ]);
  });

  it('logs each change it published with the invocation it was published in', async () => {
    const logger = new RecordingLogger({ stage: 'test' });
    const { deauthorized, record } = deauthorization(key());
    const handler = publisherOver(new FakeEventBridge(), { logger });

    await handler(streamEvent(record));

    expect(logger.logLines('change published')).toEqual([
      expect.objectContaining({
        connectionId: deauthorized.connection.id,
        status: 'Deauthorized',
        function_name: 'local',
        function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      }),
    ]);
  });

  it('throws when every record of the batch failed, so that Lambda bisects the batch', async () => {
    const fake = new FakeEventBridge(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }));
    const record = streamRecord('INSERT', {
      new: imageOf(changeOf({ eventType: 'connection.connected', ...key() })),
    });

    await expect(publisherOver(fake)(streamEvent(record))).rejects.toBeInstanceOf(FullBatchFailureError);
  });

  it('fails a record that carries no image, as a stream without NEW_AND_OLD_IMAGES sends', async () => {
    const fake = new FakeEventBridge();
    const keysOnly = streamRecord('INSERT', {});
    const fine = streamRecord('INSERT', {
      new: imageOf(changeOf({ eventType: 'connection.connected', ...key() })),
    });

    const result = await publisherOver(fake)(streamEvent(fine, keysOnly));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: keysOnly.dynamodb?.SequenceNumber }]);
    expect(fake.accepted).toHaveLength(1);
  });

  it('leaves out errors too large for one event, counts them, and still publishes', async () => {
    const fake = new FakeEventBridge();
    const change = changeOf({ eventType: 'connection.failed', ...key() });
    const huge = Array.from({ length: 300 }, () => ({ statusCode: '500', errorMessage: 'x'.repeat(1_000) }));
    const large = { ...change, connection: { ...change.connection, dataConnectionErrors: huge } };

    await publisherOver(fake)(streamEvent(streamRecord('INSERT', { new: imageOf(large) })));

    expect(fake.details()).toEqual([
      expect.objectContaining({
        dataConnectionErrors: [],
        dataConnectionErrorsOmitted: 300,
        truncated: ['dataConnectionErrors'],
      }),
    ]);
    expect(Buffer.byteLength(fake.accepted[0]?.Detail ?? '')).toBeLessThan(MAX_PUT_EVENTS_BYTES);
  });

  it('publishes the change of a company whose 135,000-character name passes 256 KB, cutting the name and saying so', async () => {
    const fake = new FakeEventBridge();
    const change = changeOf({ eventType: 'connection.connected', ...key() });
    const name = `Toft ${'s'.repeat(135_000)}`;
    const long = { ...change, company: { ...change.company, name } };

    const result = await publisherOver(fake)(streamEvent(streamRecord('INSERT', { new: imageOf(long) })));

    expect(result).toEqual({ batchItemFailures: [] });
    const [detail] = fake.details() as unknown as ConnectionChangeDetail[];
    expect(detail?.truncated).toEqual(expect.arrayContaining(['companyName', 'summary']));
    expect(name.startsWith((detail?.companyName ?? '').replace(/…$/, ''))).toBe(true);
    expect(detail?.companyName.length).toBeLessThan(name.length);
    expect(detail).toMatchObject({ connectionId: change.connection.id, status: 'Linked' });
  });
});

describe('the EventBridge publisher', () => {
  it('puts each change in a request of its own, on the named bus, in order', async () => {
    const fake = new FakeEventBridge();
    const entriesPerRequest: number[] = [];
    const client = {
      send: (command: PutEventsCommand) => {
        entriesPerRequest.push(command.input.Entries?.length ?? 0);
        return fake.send(command);
      },
    };
    const details = Array.from({ length: 3 }, (_, index) => ({
      changeId: String(index),
      storedAt: '2026-11-28T10:00:00.000Z',
      dataConnectionErrors: [],
    })) as unknown as ConnectionChangeDetail[];
    const publisher = new EventBridgeChangePublisher(client, 'bus');

    for (const detail of details) await publisher.publish(detail);

    expect(entriesPerRequest).toEqual([1, 1, 1]);
    expect(fake.accepted.map((entry) => entry.EventBusName)).toEqual(['bus', 'bus', 'bus']);
    expect(fake.details().map((detail) => detail.changeId)).toEqual(['0', '1', '2']);
  });

  it('throws, naming the entry and its error code, when PutEvents answers 200 with a failed entry', async () => {
    const fake = new FakeEventBridge(() => ({
      ErrorCode: 'ThrottlingException',
      ErrorMessage: 'Rate exceeded',
    }));
    const detail = { changeId: 'abc', storedAt: '2026-11-28T10:00:00.000Z', dataConnectionErrors: [] };

    await expect(
      new EventBridgeChangePublisher(fake, 'bus').publish(detail as unknown as ConnectionChangeDetail),
    ).rejects.toThrow('abc ThrottlingException: Rate exceeded');
  });
});

import { randomUUID } from 'node:crypto';
import type { LocalChangeEvent } from '../local/change-stream';
import { sampleEvent } from '../local/sample-events';
import type { LocalServer } from '../local/server';
import { ENGINES } from './support/engines';
import { type ReceiverHarness, startReceiverHarness } from './support/receiver-harness';
import { postSigned } from './support/signed-request';

describe.each(ENGINES)('the local change events, over HTTP, on %s', (engine) => {
  let harness: ReceiverHarness;
  let server: LocalServer;
  const printed: LocalChangeEvent[] = [];

  beforeAll(async () => {
    harness = await startReceiverHarness(engine, { onChangeEvent: (event) => printed.push(event) });
    server = harness.server;
  });

  afterAll(async () => {
    await harness.close();
  });

  const send = (event: unknown) => postSigned(server.webhookUrl, harness.secret, JSON.stringify(event));
  /** The events of one company, once every write so far has been published. */
  async function eventsOf(companyId: string) {
    await server.changeEventsSettled();
    return printed.filter((event) => event.detail.companyId === companyId);
  }

  it('shows the event of a connection that moved from Linked to Deauthorized, printed and on GET /events', async () => {
    const ids = { companyId: randomUUID(), connectionId: randomUUID() };
    await send(
      sampleEvent({ eventType: 'connection.connected', ...ids, generatedDate: '2026-11-28T10:00:00Z' }),
    );

    await send(
      sampleEvent({
        eventType: 'connection.disconnected',
        ...ids,
        status: 'Deauthorized',
        generatedDate: '2026-11-28T10:01:00Z',
      }),
    );

    const events = await eventsOf(ids.companyId);
    expect(events.map((event) => event.detail)).toEqual([
      expect.objectContaining({ change: 'created', status: 'Linked' }),
      expect.objectContaining({
        change: 'updated',
        previousStatus: 'Linked',
        status: 'Deauthorized',
        statusChanged: true,
        cause: expect.objectContaining({ eventType: 'connection.disconnected' }),
      }),
    ]);
    expect(events[1]).toMatchObject({ source: 'codat.connections', 'detail-type': 'Connection Changed' });
    const served = (await (await fetch(`${server.url}/events`)).json()) as { events: LocalChangeEvent[] };
    expect(served.events.filter((event) => event.detail.companyId === ids.companyId)).toEqual(events);
  });

  it('shows nothing for a duplicate or a stale delivery', async () => {
    const ids = { companyId: randomUUID(), connectionId: randomUUID() };
    const event = sampleEvent({
      eventType: 'connection.connected',
      ...ids,
      generatedDate: '2026-11-28T10:00:00Z',
    });
    await send(event);

    const duplicate = await send(event);
    const stale = await send(
      sampleEvent({ eventType: 'connection.disconnected', ...ids, generatedDate: '2026-11-28T09:00:00Z' }),
    );

    expect([duplicate.json.result, stale.json.result]).toEqual(['duplicate', 'stale']);
    expect(await eventsOf(ids.companyId)).toHaveLength(1);
  });

  it('shows a deleted event for each connection of a deleted company', async () => {
    const companyId = randomUUID();
    const connections = [randomUUID(), randomUUID()];
    for (const connectionId of connections) {
      await send(
        sampleEvent({
          eventType: 'connection.connected',
          companyId,
          connectionId,
          generatedDate: '2026-11-28T10:00:00Z',
        }),
      );
    }

    await send({
      id: randomUUID(),
      eventType: 'company.deleted',
      generatedDate: '2026-11-28T10:05:00Z',
      payload: { id: companyId, name: 'Toft stores', description: null },
    });

    const deleted = (await eventsOf(companyId)).filter((event) => event.detail.change === 'deleted');
    expect(deleted.map((event) => event.detail.connectionId).sort()).toEqual([...connections].sort());
    expect(deleted.map((event) => (event.detail.cause as { eventType: string }).eventType)).toEqual([
      'company.deleted',
      'company.deleted',
    ]);
  });
});

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  PutEventsCommand,
  PutEventsRequestEntry,
  PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';

/** EventBridge's limit on one PutEvents request's entries (its quotas: 256 KB). */
export const PUT_EVENTS_LIMIT_BYTES = 256 * 1024;

/**
 * An entry's size as AWS's "Calculating Amazon EventBridge PutEvents event entry size" counts
 * it: 14 bytes for `Time` when set, and the UTF-8 bytes of `Source`, `DetailType`, `Detail`
 * and each of `Resources`. Written here apart from `src/events/event-entry.ts`, so that a
 * mistake there cannot hide from the fake.
 */
export function documentedEntrySize(entry: PutEventsRequestEntry): number {
  const utf8 = (text: string | undefined) => (text === undefined ? 0 : new TextEncoder().encode(text).length);
  let size = entry.Time ? 14 : 0;
  size += utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail);
  for (const resource of entry.Resources ?? []) size += utf8(resource);
  return size;
}

/**
 * EventBridge's PutEvents, as its API reference describes it: at most 10 entries and 256 KB a
 * request, sizes counted by AWS's formula (a ValidationException for the whole call otherwise); each entry accepted with an
 * `EventId`, or refused with `ErrorCode` and `ErrorMessage` while the call still answers 200
 * with `FailedEntryCount`. `refuse` decides which entries fail, as throttling or a bad entry would.
 */
export class FakeEventBridge {
  /** Every accepted entry, in the order accepted. */
  readonly accepted: PutEventsRequestEntry[] = [];
  /** How many PutEvents calls were made, failed ones included. */
  calls = 0;

  constructor(
    private readonly refuse: (
      entry: PutEventsRequestEntry,
    ) => { ErrorCode: string; ErrorMessage: string } | undefined = () => undefined,
  ) {}

  /** The accepted entries' details, parsed. */
  details(): Record<string, unknown>[] {
    return this.accepted.map((entry) => JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>);
  }

  putEvents(entries: PutEventsRequestEntry[]): { FailedEntryCount: number; Entries: PutEventsResultEntry[] } {
    this.calls += 1;
    if (entries.length < 1 || entries.length > 10) {
      throw Object.assign(
        new Error(
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10`,
        ),
        {
          name: 'ValidationException',
        },
      );
    }
    if (entries.reduce((sum, entry) => sum + documentedEntrySize(entry), 0) > PUT_EVENTS_LIMIT_BYTES) {
      throw Object.assign(new Error('Total size of the entries in the request is over the limit.'), {
        name: 'ValidationException',
      });
    }
    const results = entries.map((entry): PutEventsResultEntry => {
      if (!entry.Source || !entry.DetailType || !entry.Detail) {
        return {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Source, DetailType or Detail is not valid.',
        };
      }
      try {
        JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const refused = this.refuse(entry);
      if (refused) return refused;
      this.accepted.push(entry);
      return { EventId: randomUUID() };
    });
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  /** The client side: what `EventBridgeClient.send(new PutEventsCommand(...))` would answer. */
  async send(command: PutEventsCommand) {
    return this.putEvents(command.input.Entries ?? []);
  }
}

/**
 * The fake over HTTP, speaking the PutEvents JSON protocol (`X-Amz-Target: AWSEvents.PutEvents`,
 * `application/x-amz-json-1.1`) on loopback: the real SDK reaches it through
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`.
 */
export async function startEventBridgeServer(fake: FakeEventBridge) {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };
    if (request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      return reply(400, {
        __type: 'UnknownOperationException',
        message: String(request.headers['x-amz-target']),
      });
    }
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      Entries?: (PutEventsRequestEntry & { Time?: number })[];
    };
    try {
      // The JSON protocol sends Time as epoch seconds.
      const entries = (input.Entries ?? []).map((entry) => ({
        ...entry,
        ...(entry.Time !== undefined ? { Time: new Date(Number(entry.Time) * 1000) } : {}),
      }));
      reply(200, fake.putEvents(entries));
    } catch (error) {
      reply(400, { __type: (error as Error).name, message: (error as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * An HTTP proxy in front of a DynamoDB endpoint that measures what its callers cost: it counts
 * every operation (its `X-Amz-Target`), asks DynamoDB for the capacity each item operation
 * consumed (`ReturnConsumedCapacity: TOTAL` added to the request) and sums the answers'
 * `ConsumedCapacity`, and can hold answers back: by a fixed delay, as a farther database, or by
 * one worked out from each answer, as a database slower for larger pages.
 * The callers' own code is not changed; only what goes over the wire is.
 */
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Operations that read, and that write, items: the ones that take `ReturnConsumedCapacity`. */
export const READ_OPERATIONS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'];
export const WRITE_OPERATIONS = [
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
];

/** What went through the proxy, by operation: calls, capacity units, answers that carried none. */
export interface ProxyTally {
  calls: Record<string, number>;
  units: Record<string, number>;
  /** Item operations whose answer carried no `ConsumedCapacity` (an error answer, as a failed condition). */
  unmetered: Record<string, number>;
}

export interface DynamoDbProxy {
  endpoint: string;
  tally: ProxyTally;
  /** Forgets what was counted so far. */
  reset(): void;
  /** Holds every answer back by `ms` from now on (0: none), or by what `ms` gives for each answer. */
  setDelay(ms: number | AnswerDelay): void;
  /** Called with each operation as it arrives, before it is forwarded. */
  onOperation?: (operation: string) => void;
  close(): Promise<void>;
}

/** How long to hold back one answer, in ms, from its operation and its parsed body. */
export type AnswerDelay = (operation: string, answer: unknown) => number;

const emptyTally = (): ProxyTally => ({ calls: {}, units: {}, unmetered: {} });
const add = (counts: Record<string, number>, key: string, value: number) => {
  counts[key] = (counts[key] ?? 0) + value;
};

async function bodyOf(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The capacity units an answer reports: one entry, or a list (batch and transaction operations). */
function unitsOf(answer: unknown): number | undefined {
  const consumed = (answer as { ConsumedCapacity?: unknown } | null)?.ConsumedCapacity;
  const entries = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  if (entries.length === 0) return undefined;
  return entries.reduce((sum: number, entry) => sum + Number(entry?.CapacityUnits ?? 0), 0);
}

/** Starts the proxy on loopback in front of `target` (an `http://` endpoint). */
export async function startDynamoDbProxy(target: string): Promise<DynamoDbProxy> {
  const { hostname, port } = new URL(target);
  let delay: AnswerDelay = () => 0;
  const proxy: DynamoDbProxy = {
    endpoint: '',
    tally: emptyTally(),
    reset: () => {
      proxy.tally = emptyTally();
    },
    setDelay: (ms) => {
      delay = typeof ms === 'number' ? () => ms : ms;
    },
    close: async () => {},
  };
  const server = createServer(async (incoming, outgoing) => {
    const operation =
      String(incoming.headers['x-amz-target'] ?? 'unknown')
        .split('.')
        .pop() ?? 'unknown';
    add(proxy.tally.calls, operation, 1);
    proxy.onOperation?.(operation);
    const metered = READ_OPERATIONS.includes(operation) || WRITE_OPERATIONS.includes(operation);
    let body = await bodyOf(incoming);
    if (metered) {
      // The SigV4 signature no longer matches the body: DynamoDB Local and dynalite do not check it.
      body = Buffer.from(
        JSON.stringify({ ...JSON.parse(body.toString('utf8')), ReturnConsumedCapacity: 'TOTAL' }),
      );
    }
    const headers = { ...incoming.headers, 'content-length': String(body.length) };
    const forward = request(
      { host: hostname, port, method: incoming.method, path: incoming.url, headers },
      async (answer) => {
        const answered = await bodyOf(answer);
        let parsed: unknown;
        try {
          parsed = JSON.parse(answered.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        if (metered) {
          const units = unitsOf(parsed);
          if (units === undefined) add(proxy.tally.unmetered, operation, 1);
          else add(proxy.tally.units, operation, units);
        }
        const delayMs = delay(operation, parsed);
        if (delayMs > 0) await sleep(delayMs);
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        outgoing.end(answered);
      },
    );
    forward.on('error', (error) => outgoing.destroy(error));
    forward.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return proxy;
}

/** The sum of `counts` over `operations`. */
export const sumOf = (counts: Record<string, number>, operations: readonly string[]) =>
  operations.reduce((sum, operation) => sum + (counts[operation] ?? 0), 0);

import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One DynamoDB call as it went over the wire: the operation (`X-Amz-Target`) and its table. */
export interface RecordedCall {
  operation: string;
  tableName?: string;
}

/** The operations that change items. */
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * A proxy on loopback in front of a DynamoDB engine that records every call made through it,
 * by operation and table, so that a test can say "this run wrote nothing to that table" of
 * functions running in processes of their own, where no client middleware can reach.
 */
export async function startDynamoDbRecorder(target: string) {
  const calls: RecordedCall[] = [];
  const { hostname, port } = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation =
        String(incoming.headers['x-amz-target'] ?? 'unknown')
          .split('.')
          .pop() ?? 'unknown';
      calls.push({ operation, tableName: tableOf(body) });
      const forward = request(
        { host: hostname, port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on('error', () => outgoing.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    /** Calls that change items of `tableName`. */
    writesTo: (tableName: string) =>
      calls.filter((call) => WRITES.has(call.operation) && call.tableName === tableName),
    /** Calls of any kind on `tableName`. */
    callsOn: (tableName: string) => calls.filter((call) => call.tableName === tableName),
    clear: () => {
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type DynamoDbRecorder = Awaited<ReturnType<typeof startDynamoDbRecorder>>;

/** The table a request names; the reconciler's calls name one table each. */
function tableOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { TableName?: unknown };
    return typeof parsed.TableName === 'string' ? parsed.TableName : undefined;
  } catch {
    return undefined;
  }
}

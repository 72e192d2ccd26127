import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the database that can fail on demand: `down` refuses (resets) every
 * connection, `blackhole` accepts and never answers, `slow` delays every reply by `delayMs`.
 */
export type FaultMode = 'up' | 'down' | 'blackhole' | 'slow';

export interface FaultProxy {
  endpoint: string;
  set(mode: FaultMode, delayMs?: number): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  let mode: FaultMode = 'up';
  let delayMs = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const server = createServer((client) => {
    track(client);
    if (mode === 'down') return void client.resetAndDestroy();
    if (mode === 'blackhole') return void client.pause();
    const upstream = createConnection({ host: hostname, port: Number(port) });
    track(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk) => {
      if (mode === 'slow') setTimeout(() => client.write(chunk), delayMs);
      else client.write(chunk);
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    set: (next, delay = 0) => {
      mode = next;
      delayMs = delay;
      // A database that goes away takes its open connections with it.
      if (next === 'down' || next === 'blackhole') for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What the bench's figures share: the signing secret, signed deliveries, a silent logger and
 * the statistics. Deliveries are built with the project's own helpers, as the tests build them.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { sampleEvent } from '../local/sample-events';
import { toConnectionChange } from '../src/connection/connection-change';
import { ConnectionEvent } from '../src/connection/schema';
import type { ConnectionChange } from '../src/connection/store';
import { DEFAULT_SECRET_CACHE_SECONDS, DEFAULT_TOMBSTONE_TTL_DAYS } from '../src/defaults';
import { cachedSecret } from '../src/webhook/secret-source';
import { signDelivery } from '../src/webhook/sign';
import { parseSigningSecrets } from '../src/webhook/signature';

/** The repository's root, where esbuild resolves entries. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the figures and the bundles go; ignored by git. */
export const RESULTS = join(ROOT, 'bench', 'results');

/** A secret of this run only: nothing outside the process can sign for it. */
export const BENCH_SECRET = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
/** {@link BENCH_SECRET} as the receiver is handed it. */
export const BENCH_SECRETS = parseSigningSecrets(BENCH_SECRET);

/**
 * The receiver's options every figure shares: the bench's secret, cached as the function caches
 * it (read once, then served from memory), and the default tombstone.
 */
export const receiverDefaults = {
  signingSecrets: cachedSecret(async () => BENCH_SECRET, { maxAgeMs: DEFAULT_SECRET_CACHE_SECONDS * 1000 }),
  tombstoneTtlDays: DEFAULT_TOMBSTONE_TTL_DAYS,
};

/** The `p`th percentile (nearest rank) of `samples`; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** The 50th percentile, as {@link percentile} takes it. */
export const median = (samples: readonly number[]) => percentile(samples, 50);

/** `value` to `digits` decimals, for the JSON file. */
export const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A new connection event (new connection id, so it is always applied) as a signed delivery. */
export function newDelivery(eventType = 'connection.connected') {
  const event = sampleEvent({ eventType, connectionId: randomUUID() });
  const body = JSON.stringify(event);
  return { event, body, headers: signedHeaders(body) };
}

/** The headers of a new delivery attempt of `body`, signed with {@link BENCH_SECRET}. */
export const signedHeaders = (body: string): Record<string, string> => ({
  ...signDelivery(BENCH_SECRET, body),
});

/** The change the receiver makes of an event, built outside any timed section. */
export function changeOf(event: unknown): ConnectionChange {
  return toConnectionChange(v.parse(ConnectionEvent, event), {
    receivedAt: new Date(),
    tombstoneTtlDays: DEFAULT_TOMBSTONE_TTL_DAYS,
  });
}

/**
 * Runs `work` with stdout and stderr discarded: what the delivery line and the EMF metrics write is
 * built and written (the cost is measured), but the bench's own output stays readable. The
 * bytes written are added to `written.bytes`, for a figure that measures them.
 */
export async function discardingOutput<T>(work: () => Promise<T>, written = { bytes: 0 }): Promise<T> {
  const { stdout, stderr } = process;
  const writes = [stdout.write, stderr.write] as const;
  const discard = ((chunk: string | Uint8Array) => {
    written.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    return true;
  }) as typeof stdout.write;
  stdout.write = discard;
  stderr.write = discard;
  try {
    return await work();
  } finally {
    [stdout.write, stderr.write] = writes;
  }
}

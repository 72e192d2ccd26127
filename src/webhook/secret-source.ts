import type { KeyObject } from 'node:crypto';
import { SecretUnavailableError } from '../errors';
import { parseSigningSecrets } from './signature';

export interface CachedSecretOptions {
  /** How long a value read is used before it is read again, so a rotation is picked up. */
  maxAgeMs: number;
  now?: () => number;
}

/** The signing secrets: from memory as they are, or a promise of them while they are read. */
export type SigningSecrets = () => readonly KeyObject[] | Promise<readonly KeyObject[]>;

/**
 * Reads the signing secrets once and serves them from memory until `maxAgeMs` has passed:
 * as they are, so that a delivery waits for nothing once they are read. When a later read
 * fails, the last good value goes on serving; when there is none, the delivery fails with
 * SecretUnavailableError (503) so that the provider retries.
 */
export function cachedSecret(
  read: () => Promise<string>,
  { maxAgeMs, now = Date.now }: CachedSecretOptions,
): SigningSecrets {
  let cached: { secrets: readonly KeyObject[]; readAt: number } | undefined;
  let reading: Promise<readonly KeyObject[]> | undefined;

  const refresh = async () => {
    try {
      const secrets = parseSigningSecrets(await read());
      cached = { secrets, readAt: now() };
      return secrets;
    } catch (error) {
      if (cached) return cached.secrets;
      const reason = error instanceof Error ? error.message : String(error);
      throw new SecretUnavailableError(`the signing secret could not be read: ${reason}`, { cause: error });
    } finally {
      reading = undefined;
    }
  };

  return () => {
    if (cached && now() - cached.readAt < maxAgeMs) return cached.secrets;
    reading ??= refresh();
    return reading;
  };
}

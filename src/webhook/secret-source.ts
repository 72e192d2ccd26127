import type { KeyObject } from 'node:crypto';
import { SecretUnavailableError } from '../errors';
import { parseSigningSecrets } from './signature';

export interface CachedSecretOptions {
  /** How long a value read is used before it is read again, so a rotation is picked up. */
  maxAgeMs: number;
  now?: () => number;
}

/**
 * Reads the signing secrets once and serves them from memory until `maxAgeMs` has passed.
 * When a later read fails, the last good value goes on serving; when there is none, the
 * delivery fails with SecretUnavailableError (503) so that the provider retries.
 */
export function cachedSecret(
  read: () => Promise<string>,
  { maxAgeMs, now = Date.now }: CachedSecretOptions,
): () => Promise<readonly KeyObject[]> {
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

  return async () => {
    if (cached && now() - cached.readAt < maxAgeMs) return cached.secrets;
    reading ??= refresh();
    return reading;
  };
}

import type { KeyObject } from 'node:crypto';
import { PayloadTooLargeError } from '../errors';
import type { DeliveryMiddleware, WebhookEvent } from './delivery';
import type { SigningSecrets } from './secret-source';
import { verifySignature } from './signature';

export interface SignedBodyOptions {
  /** The signing secrets (several during a rotation); the caller caches them. */
  signingSecrets: SigningSecrets;
  now: () => Date;
  maxBodyBytes: number;
}

function rawBody(event: WebhookEvent): Buffer {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * Refuses oversized bodies, then checks the signature on the exact bytes received, before
 * anything reads them. The verified bytes go on `request.internal.verifiedBody`.
 */
export function signedBody(options: SignedBodyOptions): DeliveryMiddleware {
  const verify = (
    request: Parameters<NonNullable<DeliveryMiddleware['before']>>[0],
    body: Buffer,
    secrets: readonly KeyObject[],
  ) => {
    verifySignature({
      headers: request.event.headers ?? {},
      body,
      secrets,
      nowSeconds: Math.floor(options.now().getTime() / 1000),
    });
    request.internal.verifiedBody = body;
  };
  return {
    // Synchronous once the secrets are in memory: only their first read is waited for.
    before: (request) => {
      const body = rawBody(request.event);
      if (body.length > options.maxBodyBytes) throw new PayloadTooLargeError(options.maxBodyBytes);
      const secrets = options.signingSecrets();
      if (secrets instanceof Promise) return secrets.then((read) => verify(request, body, read));
      verify(request, body, secrets);
    },
  };
}

import type { KeyObject } from 'node:crypto';
import { PayloadTooLargeError } from '../errors';
import type { DeliveryMiddleware, WebhookEvent } from './delivery';
import { verifySignature } from './signature';

export interface SignedBodyOptions {
  /** The signing secrets (several during a rotation); the caller caches them. */
  signingSecrets: () => Promise<readonly KeyObject[]>;
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
  return {
    before: async (request) => {
      const body = rawBody(request.event);
      if (body.length > options.maxBodyBytes) throw new PayloadTooLargeError(options.maxBodyBytes);
      verifySignature({
        headers: request.event.headers ?? {},
        body,
        secrets: await options.signingSecrets(),
        nowSeconds: Math.floor(options.now().getTime() / 1000),
      });
      request.internal.verifiedBody = body;
    },
  };
}

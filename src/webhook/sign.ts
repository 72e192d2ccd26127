import { createHmac, randomUUID } from 'node:crypto';
import { SECRET_PREFIX } from './signature';

/** The headers of one signed delivery, as Codat sends them (Standard Webhooks spelling). */
export type SignedHeaders = {
  'content-type': 'application/json';
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export interface SignOptions {
  /** The message id; a new `msg_<uuid>` when left out. */
  id?: string;
  /** When it was signed. @default now */
  at?: Date;
}

/**
 * Signs `body` the way the provider does: `v1,` and base64 of HMAC-SHA256 over
 * `{id}.{timestamp}.{body}`, keyed with the first of the configured `whsec_` secrets. For the
 * tools and the tests; the tests cross-check it against the independent `standardwebhooks` library.
 */
export function signDelivery(
  secret: string,
  body: string | Buffer,
  options: SignOptions = {},
): SignedHeaders {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
  const first = secret.split(/[\s,]+/).find(Boolean) ?? '';
  const key = Buffer.from(
    first.startsWith(SECRET_PREFIX) ? first.slice(SECRET_PREFIX.length) : first,
    'base64',
  );
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { DEFAULT_SIGNATURE_TOLERANCE_SECONDS } from '../defaults';
import { SignatureError, SigningSecretError } from '../errors';

/**
 * Standard Webhooks signatures, as Codat sends them through Svix:
 * base64(HMAC-SHA256(key, `${id}.${timestamp}.${rawBody}`)) in `webhook-signature` as a
 * space-separated list of `v1,<base64>` entries. Svix's `svix-*` header names are accepted too.
 */

export const SECRET_PREFIX = 'whsec_';

/**
 * Reads the signing secret as configured: one or more `whsec_<base64>` secrets separated by
 * white space or commas (several while a secret is being rotated). The prefix may be left out.
 * Each becomes a KeyObject once, here: createHmac imports a raw key anew on every call, which was
 * the largest part of a verification.
 */
export function parseSigningSecrets(configured: string): KeyObject[] {
  const secrets = configured.split(/[\s,]+/).filter(Boolean);
  if (secrets.length === 0) throw new SigningSecretError('the signing secret is empty');
  return secrets.map((secret, index) => {
    const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
      throw new SigningSecretError(
        `signing secret ${index + 1} is not of the form whsec_<base64>, as the Codat portal shows it`,
      );
    }
    return createSecretKey(Buffer.from(encoded, 'base64'));
  });
}

/**
 * The canonical base64 of 32 bytes: 43 characters and one `=`. The last character carries the
 * final 4 bits, so its low 2 bits are zero: one of 16 letters and digits.
 */
const HMAC_SHA256_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * The bytes of `text` only if it is the canonical base64 of an HMAC-SHA256 (44 characters, one
 * `=`); otherwise an empty buffer, which matches nothing. Node's decoder is lenient (it skips
 * characters outside the alphabet and stops at `=`), so a signature with characters appended or
 * inserted would otherwise decode to the right bytes and verify.
 */
function strictBase64(text: string): Buffer {
  return HMAC_SHA256_BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
}

/** Header names as API Gateway and Node give them: lower case. */
export type Headers = Readonly<Record<string, string | undefined>>;

/** Each header's Standard Webhooks name and Svix's, spelled once rather than built per lookup. */
const HEADER_NAMES = {
  id: ['webhook-id', 'svix-id'],
  timestamp: ['webhook-timestamp', 'svix-timestamp'],
  signature: ['webhook-signature', 'svix-signature'],
} as const;

function header(headers: Headers, name: keyof typeof HEADER_NAMES): string {
  const [standard, svix] = HEADER_NAMES[name];
  const value = (headers[standard] ?? headers[svix])?.trim();
  if (value === undefined || value === '') {
    throw new SignatureError(`missing header ${standard} (or ${svix})`, 'missing-header');
  }
  return value;
}

export interface VerifyInput {
  headers: Headers;
  /** The body exactly as received: re-serialized JSON would not match. */
  body: Buffer;
  /** The signing secrets, as parseSigningSecrets gives them. */
  secrets: readonly KeyObject[];
  nowSeconds: number;
  toleranceSeconds?: number;
}

/** Throws a SignatureError naming what is wrong unless one `v1` signature matches one secret. */
export function verifySignature(input: VerifyInput): { id: string; timestamp: number } {
  const {
    headers,
    body,
    secrets,
    nowSeconds,
    toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  } = input;
  const id = header(headers, 'id');
  const timestampText = header(headers, 'timestamp');
  const signatures = header(headers, 'signature');

  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new SignatureError('header webhook-timestamp is not a Unix time in seconds', 'timestamp');
  }
  const timestamp = Number(timestampText);
  if (timestamp < nowSeconds - toleranceSeconds) {
    throw new SignatureError(`header webhook-timestamp is more than ${toleranceSeconds} s old`, 'timestamp');
  }
  if (timestamp > nowSeconds + toleranceSeconds) {
    throw new SignatureError(
      `header webhook-timestamp is more than ${toleranceSeconds} s in the future`,
      'timestamp',
    );
  }

  const candidates = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => strictBase64(entry.slice(3)));
  if (candidates.length === 0) {
    throw new SignatureError('header webhook-signature has no v1 signature');
  }

  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${id}.${timestampText}.`).update(body).digest();
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        return { id, timestamp };
      }
    }
  }
  throw new SignatureError('header webhook-signature does not match the body and the signing secret');
}

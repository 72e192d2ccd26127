import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SignatureError, SigningSecretError } from '../src/errors';
import { signDelivery } from '../src/webhook/sign';
import { parseSigningSecrets, verifySignature } from '../src/webhook/signature';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(24).toString('base64')}`;
// Signed by the reference Standard Webhooks library, not by our own signer, so that a mistake
// shared by our signer and our verifier cannot go unseen.
const body = JSON.stringify({ id: 'evt_1', eventType: 'connection.connected', note: 'café' });
const now = new Date('2026-11-28T12:00:00Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

/** Headers as the reference Standard Webhooks library signs them. */
function signedHeaders(options: { with?: string; id?: string; at?: Date; payload?: string } = {}) {
  const id = options.id ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const at = options.at ?? now;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(options.with ?? secret).sign(id, at, options.payload ?? body),
  };
}

function verify(headers: Record<string, string>, payload = body, secrets = [secret]) {
  return verifySignature({
    headers,
    body: Buffer.from(payload),
    secrets: secrets.flatMap(parseSigningSecrets),
    nowSeconds,
  });
}

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof SignatureError) return error.message;
    throw error;
  }
  throw new Error('expected a SignatureError, but the signature was accepted');
}

describe('verifying a Standard Webhooks signature', () => {
  it('accepts a delivery signed by the reference library', () => {
    expect(verify(signedHeaders())).toEqual({ id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp: nowSeconds });
  });

  it("accepts Svix's own header names", () => {
    const headers = signedHeaders();
    expect(
      verify({
        'svix-id': headers['webhook-id'],
        'svix-timestamp': headers['webhook-timestamp'],
        'svix-signature': headers['webhook-signature'],
      }).id,
    ).toBe(headers['webhook-id']);
  });

  it('accepts a secret given without its whsec_ prefix', () => {
    expect(verify(signedHeaders(), body, [secret.slice('whsec_'.length)]).timestamp).toBe(nowSeconds);
  });

  it('accepts a header listing several signatures when any one v1 entry matches', () => {
    const headers = signedHeaders();
    const wrong = signedHeaders({ with: otherSecret })['webhook-signature'];
    headers['webhook-signature'] = `v2,c29tZXRoaW5n ${wrong} ${headers['webhook-signature']}`;
    expect(verify(headers).id).toBe(headers['webhook-id']);
  });

  it('accepts a delivery signed with either secret while two are configured for a rotation', () => {
    const headers = signedHeaders({ with: otherSecret });
    expect(verify(headers, body, [`${secret} ${otherSecret}`]).id).toBe(headers['webhook-id']);
  });

  it('accepts a timestamp just inside the five-minute window, either way', () => {
    expect(() => verify(signedHeaders({ at: new Date(now.getTime() - 300_000) }))).not.toThrow();
    expect(() => verify(signedHeaders({ at: new Date(now.getTime() + 300_000) }))).not.toThrow();
  });

  it('verifies the exact bytes of a body holding non-ASCII characters', () => {
    const payload = '{"name":"Société Générale ☕"}';
    expect(() => verify(signedHeaders({ payload }), payload)).not.toThrow();
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'refuses a delivery without %s, naming it',
    (name) => {
      const headers: Record<string, string> = signedHeaders();
      delete headers[name];
      expect(reasonOf(() => verify(headers))).toBe(
        `missing header ${name} (or ${name.replace('webhook', 'svix')})`,
      );
    },
  );

  it('refuses a delivery signed with another secret', () => {
    expect(reasonOf(() => verify(signedHeaders({ with: otherSecret })))).toMatch(
      /webhook-signature does not match/,
    );
  });

  it('refuses a body changed after signing', () => {
    expect(reasonOf(() => verify(signedHeaders(), body.replace('café', 'cafe')))).toMatch(/does not match/);
  });

  it('refuses a body re-serialized after signing', () => {
    const reserialized = JSON.stringify(JSON.parse(body), null, 2);
    expect(reasonOf(() => verify(signedHeaders(), reserialized))).toMatch(/does not match/);
  });

  it('refuses a changed webhook-id', () => {
    const headers = { ...signedHeaders(), 'webhook-id': 'msg_other' };
    expect(reasonOf(() => verify(headers))).toMatch(/does not match/);
  });

  it('refuses a changed timestamp', () => {
    const headers = { ...signedHeaders(), 'webhook-timestamp': String(nowSeconds - 1) };
    expect(reasonOf(() => verify(headers))).toMatch(/does not match/);
  });

  it('refuses a replay older than five minutes', () => {
    const headers = signedHeaders({ at: new Date(now.getTime() - 301_000) });
    expect(reasonOf(() => verify(headers))).toBe('header webhook-timestamp is more than 300 s old');
  });

  it('refuses a timestamp more than five minutes in the future', () => {
    const headers = signedHeaders({ at: new Date(now.getTime() + 301_000) });
    expect(reasonOf(() => verify(headers))).toBe('header webhook-timestamp is more than 300 s in the future');
  });

  it('refuses a timestamp that is not Unix seconds', () => {
    const headers = { ...signedHeaders(), 'webhook-timestamp': '2026-11-28T12:00:00Z' };
    expect(reasonOf(() => verify(headers))).toBe('header webhook-timestamp is not a Unix time in seconds');
  });

  it('refuses a header carrying only unknown signature versions', () => {
    const headers = { ...signedHeaders(), 'webhook-signature': 'v2,abc v1a,def' };
    expect(reasonOf(() => verify(headers))).toBe('header webhook-signature has no v1 signature');
  });

  it('refuses several v1 entries of which none matches', () => {
    const wrong = signedHeaders({ with: otherSecret })['webhook-signature'];
    const headers = { ...signedHeaders(), 'webhook-signature': `${wrong} ${wrong.replace(/.$/, 'A')}` };
    expect(reasonOf(() => verify(headers))).toMatch(/does not match/);
  });

  it.each([
    ['characters appended', (signature: string) => `${signature}AAAA`],
    [
      'a character outside the alphabet inserted',
      (signature: string) => `${signature.slice(0, 10)}*${signature.slice(10)}`,
    ],
    ['its padding dropped', (signature: string) => signature.replace(/=$/, '')],
    ['text after the padding', (signature: string) => `${signature}xyz`],
    [
      'the bits its last character does not use set',
      (signature: string) => {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const last = alphabet[alphabet.indexOf(signature.charAt(42)) + 1] ?? '';
        return `${signature.slice(0, 42)}${last}=`;
      },
    ],
  ])('refuses the right signature with %s, since only canonical base64 matches', (_, change) => {
    const headers = signedHeaders();
    const signature = headers['webhook-signature'].slice(3);
    const changed = change(signature);
    // Node's lenient decoder reads each of these as the very bytes of the right signature.
    expect(Buffer.from(changed, 'base64').equals(Buffer.from(signature, 'base64'))).toBe(true);

    expect(reasonOf(() => verify({ ...headers, 'webhook-signature': `v1,${changed}` }))).toMatch(
      /does not match/,
    );
  });

  it('refuses a signature that is not base64', () => {
    const headers = { ...signedHeaders(), 'webhook-signature': 'v1,***not base64***' };
    expect(reasonOf(() => verify(headers))).toMatch(/does not match/);
  });
});

describe('reading the configured signing secret', () => {
  it('reads several secrets separated by spaces or commas', () => {
    expect(parseSigningSecrets(`${secret}, ${otherSecret}`)).toHaveLength(2);
  });

  it('refuses an empty secret', () => {
    expect(() => parseSigningSecrets('  ')).toThrow(SigningSecretError);
  });

  it('refuses a secret that is not base64, saying which form is expected', () => {
    expect(() => parseSigningSecrets('whsec_not-base64!')).toThrow(/whsec_<base64>/);
  });
});

describe('the signer the tools and tests use', () => {
  it('signs exactly as the reference Standard Webhooks library does', () => {
    const signed = signDelivery(secret, body, { id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', at: now });

    expect(signed).toEqual({ 'content-type': 'application/json', ...signedHeaders() });
  });

  it('signs with the first secret when several are configured during a rotation', () => {
    const signed = signDelivery(`${secret} ${otherSecret}`, body, { at: now });

    expect(() => verify(signed, body, [secret])).not.toThrow();
    expect(() => verify(signed, body, [otherSecret])).toThrow(SignatureError);
  });
});

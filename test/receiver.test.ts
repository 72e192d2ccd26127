import { jest } from '@jest/globals';
import { lambdaContext } from '../local/lambda-context';
import { sampleEvent } from '../local/sample-events';
import type { ConnectionWriter } from '../src/connection/store';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import { cachedSecret } from '../src/webhook/secret-source';
import { parseSigningSecrets } from '../src/webhook/signature';
import { signedApiEvent, testSecret } from './support/signed-request';

const secret = testSecret();

/** A writer that records what it is asked to write; these tests are about what reaches it. */
function recordingWriter(): ConnectionWriter & { writes: unknown[] } {
  const writes: unknown[] = [];
  return {
    writes,
    write: async (change) => {
      writes.push(change);
      return 'applied';
    },
    tombstoneCompany: async (tombstone) => {
      writes.push(tombstone);
      return { tombstoned: 0, unchanged: 0 };
    },
  };
}

const signedEvent = (body: string) => signedApiEvent(body, { secret });

const context = lambdaContext();
const log = new DeliveryLog({ stage: 'test', metrics: false });
const body = JSON.stringify(sampleEvent({ eventType: 'connection.connected' }));

describe('the receiver handler', () => {
  it('answers 503, not 401, while the signing secret cannot be read, and writes nothing', async () => {
    const store = recordingWriter();
    const handler = createReceiver({
      writer: store,
      signingSecrets: cachedSecret(() => Promise.reject(new Error('AccessDeniedException')), {
        maxAgeMs: 60_000,
      }),
      tombstoneTtlDays: 30,
      log,
    });

    const response = await handler(signedEvent(body), context);

    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'signing secret unavailable, retry later' });
    expect(store.writes).toHaveLength(0);
  });

  it('answers 503 while the secret still holds the placeholder rather than a whsec_ value', async () => {
    const handler = createReceiver({
      writer: recordingWriter(),
      signingSecrets: cachedSecret(async () => '{"replace":"me"}', { maxAgeMs: 60_000 }),
      tombstoneTtlDays: 30,
      log,
    });

    expect((await handler(signedEvent(body), context)).statusCode).toBe(503);
  });

  it('reads a body that API Gateway passes base64-encoded', async () => {
    const store = recordingWriter();
    const handler = createReceiver({
      writer: store,
      signingSecrets: async () => parseSigningSecrets(secret),
      tombstoneTtlDays: 30,
      log,
    });
    const event = { ...signedEvent(body), body: Buffer.from(body).toString('base64'), isBase64Encoded: true };

    const response = await handler(event, context);

    expect(JSON.parse(response.body ?? '')).toEqual({ result: 'applied' });
    expect(store.writes).toHaveLength(1);
  });

  it('verifies with secrets served from memory as with secrets still being read: a tampered body gets 401', async () => {
    const store = recordingWriter();
    const secrets = parseSigningSecrets(secret);
    const inMemory = createReceiver({
      writer: store,
      signingSecrets: () => secrets,
      tombstoneTtlDays: 30,
      log,
    });
    const reading = createReceiver({
      writer: store,
      signingSecrets: async () => secrets,
      tombstoneTtlDays: 30,
      log,
    });
    const tampered = {
      ...signedEvent(body),
      body: body.replace('connection.connected', 'connection.deleted'),
    };

    for (const handler of [inMemory, reading]) {
      expect((await handler(tampered, context)).statusCode).toBe(401);
      expect(JSON.parse((await handler(signedEvent(body), context)).body ?? '')).toEqual({
        result: 'applied',
      });
    }
    expect(store.writes).toHaveLength(2);
  });

  it('answers 413 to a body over the limit before reading the secret', async () => {
    const signingSecrets = jest.fn(async () => parseSigningSecrets(secret));
    const handler = createReceiver({
      writer: recordingWriter(),
      signingSecrets,
      tombstoneTtlDays: 30,
      log,
      maxBodyBytes: 100,
    });

    const response = await handler(signedEvent(body), context);

    expect(response.statusCode).toBe(413);
    expect(signingSecrets).not.toHaveBeenCalled();
  });
});

describe('the source allow-list', () => {
  const fromAddress = (sourceIp: string) => {
    const event = signedEvent(body);
    event.requestContext.http.sourceIp = sourceIp;
    return event;
  };

  it('answers 403 to a caller outside the list before reading the secret, and writes nothing', async () => {
    const writer = recordingWriter();
    const signingSecrets = jest.fn(async () => parseSigningSecrets(secret));
    const handler = createReceiver({
      writer,
      signingSecrets,
      tombstoneTtlDays: 30,
      log,
      allowedSourceIps: ['4.159.114.108', '20.117.190.191'],
    });

    const response = await handler(fromAddress('203.0.113.9'), context);

    expect(response.statusCode).toBe(403);
    expect(signingSecrets).not.toHaveBeenCalled();
    expect(writer.writes).toHaveLength(0);
  });

  it('serves a caller on the list as usual, signature checked', async () => {
    const writer = recordingWriter();
    const handler = createReceiver({
      writer,
      signingSecrets: async () => parseSigningSecrets(secret),
      tombstoneTtlDays: 30,
      log,
      allowedSourceIps: ['4.159.114.108', '20.117.190.191'],
    });

    const response = await handler(fromAddress('20.117.190.191'), context);

    expect(JSON.parse(response.body ?? '')).toEqual({ result: 'applied' });
  });
});

describe('the cached signing secret', () => {
  it('reads the secret once while it is fresh', async () => {
    const read = jest.fn(async () => secret);
    const secrets = cachedSecret(read, { maxAgeMs: 60_000 });

    await Promise.all([secrets(), secrets(), secrets()]);
    await secrets();

    expect(read).toHaveBeenCalledTimes(1);
  });

  it('serves the secrets from memory as they are once read, so that a delivery waits for no promise', async () => {
    const secrets = cachedSecret(async () => secret, { maxAgeMs: 60_000 });

    const first = await secrets();

    expect(secrets()).toBe(first);
  });

  it('reads it again once it is older than its maximum age, so that a rotation is picked up', async () => {
    let now = 0;
    const rotated = testSecret();
    const read = jest
      .fn<() => Promise<string>>()
      .mockResolvedValueOnce(secret)
      .mockResolvedValueOnce(`${secret} ${rotated}`);
    const secrets = cachedSecret(read, { maxAgeMs: 1_000, now: () => now });

    expect(await secrets()).toHaveLength(1);
    now = 1_001;
    expect(await secrets()).toHaveLength(2);
  });

  it('goes on with the last good value when a later read fails', async () => {
    let now = 0;
    const read = jest
      .fn<() => Promise<string>>()
      .mockResolvedValueOnce(secret)
      .mockRejectedValueOnce(new Error('throttled'));
    const secrets = cachedSecret(read, { maxAgeMs: 1_000, now: () => now });
    const first = await secrets();

    now = 5_000;

    expect(await secrets()).toBe(first);
  });
});

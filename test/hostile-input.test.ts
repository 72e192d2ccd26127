import { request } from 'node:http';
import fc from 'fast-check';
import { sampleEvent } from '../local/sample-events';
import { signDelivery } from '../src/webhook/sign';
import { ENGINES } from './support/engines';
import { type ReceiverHarness, startReceiverHarness } from './support/receiver-harness';
import { post, testSecret } from './support/signed-request';

/** The receiver under test: each engine's block starts its own. */
let harness: ReceiverHarness;

const body = () =>
  JSON.stringify(sampleEvent({ eventType: 'connection.connected', connectionId: crypto.randomUUID() }));
const nowSeconds = () => Math.floor(Date.now() / 1000);

function headersFor(payload: string, options: { secret?: string; id?: string; at?: number } = {}) {
  const at = new Date((options.at ?? nowSeconds()) * 1000);
  return { ...signDelivery(options.secret ?? harness.secret, payload, { id: options.id, at }) };
}

/** Sends a delivery and checks that the table holds as many items afterwards as before. */
async function sendExpectingNoWrite(payload: string, headers: Record<string, string>) {
  const before = await harness.itemCount();
  const answer = await post(harness.server.webhookUrl, payload, headers);
  expect(await harness.itemCount()).toBe(before);
  return answer;
}

/** `count` maps nested in one another, the innermost holding a number. */
function nestedMaps(count: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let map = 1; map < count; map++) value = { a: value };
  return value;
}

/** Deliveries that must be refused with 401 and write nothing. */
const forgeries: [string, () => { payload: string; headers: Record<string, string> }][] = [
  [
    'signed with another secret',
    () => ({ payload: body(), headers: headersFor(body(), { secret: testSecret() }) }),
  ],
  [
    'with a tampered body',
    () => {
      const payload = body();
      return { payload: payload.replace('Basiq', 'Basiq2'), headers: headersFor(payload) };
    },
  ],
  [
    'with a tampered webhook-id',
    () => {
      const payload = body();
      return { payload, headers: { ...headersFor(payload), 'webhook-id': 'msg_other' } };
    },
  ],
  [
    'with a tampered webhook-timestamp',
    () => {
      const payload = body();
      return {
        payload,
        headers: { ...headersFor(payload), 'webhook-timestamp': String(nowSeconds() - 1) },
      };
    },
  ],
  [
    'replayed more than five minutes later',
    () => {
      const payload = body();
      return { payload, headers: headersFor(payload, { at: nowSeconds() - 301 }) };
    },
  ],
  [
    'timestamped more than five minutes in the future',
    () => {
      const payload = body();
      return { payload, headers: headersFor(payload, { at: nowSeconds() + 301 }) };
    },
  ],
  [
    'without any signature headers',
    () => ({ payload: body(), headers: { 'content-type': 'application/json' } }),
  ],
  [
    'carrying several v1 signatures of which none matches',
    () => {
      const payload = body();
      const headers = headersFor(payload);
      const wrong = headersFor(payload, { secret: testSecret(), id: headers['webhook-id'] })[
        'webhook-signature'
      ];
      const wrong2 = headersFor(payload, { secret: testSecret(), id: headers['webhook-id'] })[
        'webhook-signature'
      ];
      return { payload, headers: { ...headers, 'webhook-signature': `${wrong} ${wrong2}` } };
    },
  ],
  [
    'carrying only unknown signature versions',
    () => {
      const payload = body();
      const headers = headersFor(payload);
      return {
        payload,
        headers: { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') },
      };
    },
  ],
  [
    'carrying malformed base64',
    () => {
      const payload = body();
      return { payload, headers: { ...headersFor(payload), 'webhook-signature': 'v1,@@@not*base64@@@' } };
    },
  ],
];

describe.each(ENGINES)('on %s', (engine) => {
  beforeAll(async () => {
    harness = await startReceiverHarness(engine);
  });

  afterAll(async () => {
    await harness.close();
  });

  describe('forged and replayed deliveries', () => {
    it.each(forgeries)('answers 401 to a delivery %s, and writes nothing', async (_, make) => {
      const { payload, headers } = make();

      const answer = await sendExpectingNoWrite(payload, headers);

      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ error: 'invalid signature', reason: expect.any(String) });
    });

    it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
      'answers 401 naming %s when only that header is missing',
      async (name) => {
        const payload = body();
        const headers: Record<string, string> = headersFor(payload);
        delete headers[name];

        const answer = await sendExpectingNoWrite(payload, headers);

        expect(answer).toMatchObject({ status: 401, json: { reason: expect.stringContaining(name) } });
      },
    );
  });

  describe('malformed and oversized deliveries, correctly signed', () => {
    function event(change: (event: ReturnType<typeof sampleEvent>) => void): string {
      const value = sampleEvent({ eventType: 'connection.connected', connectionId: crypto.randomUUID() });
      change(value);
      return JSON.stringify(value);
    }

    const cases: [string, () => string, string][] = [
      [
        'deeply nested JSON',
        () => `{"eventType":"connection.connected","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        'id',
      ],
      [
        'a __proto__ key',
        () =>
          event((e) =>
            Object.assign(
              e.payload.connection,
              JSON.parse('{"connectionInfo":{"__proto__":{"polluted":true}}}'),
            ),
          ),
        'payload.connection.connectionInfo.__proto__',
      ],
      [
        'a constructor key',
        () =>
          event((e) => (e.payload.connection.connectionInfo = { constructor: { prototype: 1 } } as never)),
        'payload.connection.connectionInfo.constructor',
      ],
      [
        'a __proto__ key spelled with a JSON escape at the top of connectionInfo',
        () =>
          event(
            (e) => (e.payload.connection.connectionInfo = { marker: { polluted: true } } as never),
          ).replace('"marker":', '"\\u005f_proto__":'),
        'payload.connection.connectionInfo.__proto__',
      ],
      [
        'a __proto__ key spelled with a JSON escape, nested in connectionInfo',
        () =>
          event((e) => (e.payload.connection.connectionInfo = { a: { marker: { b: 1 } } } as never)).replace(
            '"marker":',
            '"__pr\\u006fto__":',
          ),
        'payload.connection.connectionInfo.a.__proto__',
      ],
      [
        'a constructor key spelled with a JSON escape',
        () =>
          event((e) => (e.payload.connection.connectionInfo = { marker: 1 } as never)).replace(
            '"marker":',
            '"\\u0063onstructor":',
          ),
        'payload.connection.connectionInfo.constructor',
      ],
      [
        'an empty key in the company tags',
        () => event((e) => (e.payload.referenceCompany.tags = { '': 'x' } as never)),
        'payload.referenceCompany.tags.',
      ],
      [
        'an empty key nested in connectionInfo',
        () => event((e) => (e.payload.connection.connectionInfo = { a: { '': 1 } } as never)),
        'payload.connection.connectionInfo.a.',
      ],
      [
        'a connectionInfo key of 70,000 bytes',
        () => event((e) => (e.payload.connection.connectionInfo = { ['k'.repeat(70_000)]: 1 } as never)),
        `payload.connection.connectionInfo.${'k'.repeat(32)}…`,
      ],
      ['an empty connection id', () => event((e) => (e.payload.connection.id = '')), 'payload.connection.id'],
      [
        'a connection id over 1024 bytes',
        () => event((e) => (e.payload.connection.id = 'c'.repeat(1025))),
        'payload.connection.id',
      ],
      [
        'a company id over 2048 bytes',
        () => event((e) => (e.payload.referenceCompany.id = 'c'.repeat(2049))),
        'payload.referenceCompany.id',
      ],
      [
        'a lone surrogate in a string',
        () => event((e) => (e.payload.connection.platformName = 'Basiq\ud800')),
        'payload.connection.platformName',
      ],
      [
        'a number where a string belongs',
        () => event((e) => (e.payload.connection.sourceId = 42 as never)),
        'payload.connection.sourceId',
      ],
    ];

    it.each(cases)('answers 400 to %s, naming where, and writes nothing', async (_, make, path) => {
      const payload = make();

      const answer = await sendExpectingNoWrite(payload, headersFor(payload));

      expect(answer.status).toBe(400);
      expect((answer.json.problems as { path: string }[]).map((problem) => problem.path)).toContain(path);
    });

    it('answers 400 to a body whose bytes are not UTF-8, naming the body, and writes nothing', async () => {
      const text = event((e) => (e.payload.connection.platformName = 'Basiq-MARK'));
      // 0xC3 0x28: a two-byte sequence cut short, which a lenient decoder turns into U+FFFD.
      const bytes = Buffer.from(text);
      const at = bytes.indexOf('-MARK');
      bytes[at] = 0xc3;
      bytes[at + 1] = 0x28;
      const before = await harness.itemCount();

      const response = await fetch(harness.server.webhookUrl, {
        method: 'POST',
        headers: signDelivery(harness.secret, bytes),
        body: bytes,
      });

      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        problems: [{ path: '(body)', message: expect.stringContaining('UTF-8') }],
      });
      expect(await harness.itemCount()).toBe(before);
    });

    it('answers 400 naming generatedDate to an event dated more than five minutes ahead, and writes nothing', async () => {
      const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
      const payload = event((e) => (e.generatedDate = ahead));

      const answer = await sendExpectingNoWrite(payload, headersFor(payload));

      expect(answer.status).toBe(400);
      expect(answer.json.problems).toEqual([
        { path: 'generatedDate', message: expect.stringContaining('ahead') },
      ]);
    });

    it('stores a connectionInfo nested as deep as DynamoDB stores: 31 maps, the item being level 1', async () => {
      const payload = event((e) => (e.payload.connection.connectionInfo = nestedMaps(31) as never));

      const answer = await post(harness.server.webhookUrl, payload, headersFor(payload));

      expect(answer.json).toEqual({ result: 'applied' });
    });

    it('answers 400 unstorable to a connectionInfo nested one map deeper than DynamoDB stores, naming where', async () => {
      const payload = event((e) => (e.payload.connection.connectionInfo = nestedMaps(32) as never));

      const answer = await sendExpectingNoWrite(payload, headersFor(payload));

      expect(answer.status).toBe(400);
      expect(answer.json.problems).toEqual([
        {
          path: `payload.connection.connectionInfo${'.a'.repeat(31)}`,
          message: "nests deeper than DynamoDB's 32 levels",
        },
      ]);
    });

    it('applies an event dated a little ahead of the receipt time, as clocks differ', async () => {
      const payload = event((e) => (e.generatedDate = new Date(Date.now() + 60_000).toISOString()));

      const answer = await post(harness.server.webhookUrl, payload, headersFor(payload));

      expect(answer.json).toEqual({ result: 'applied' });
    });

    it('answers 413 to a body over the limit streamed without a length, without reading it all', async () => {
      const before = await harness.itemCount();
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let written = 0;

      const status = await new Promise<number>((resolve, reject) => {
        const outgoing = request(harness.server.webhookUrl, {
          method: 'POST',
          headers: { 'transfer-encoding': 'chunked' },
        });
        outgoing.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        outgoing.on('error', reject);
        // Up to 16 MiB unless the server answers first; it answers after 256 KiB.
        const pump = () => {
          while (written < 16 * 1024 * 1024 && !outgoing.destroyed) {
            written += chunk.length;
            if (!outgoing.write(chunk)) return void outgoing.once('drain', pump);
          }
          outgoing.end();
        };
        pump();
      });

      expect(status).toBe(413);
      expect(written).toBeLessThan(16 * 1024 * 1024);
      expect(await harness.itemCount()).toBe(before);
    });
  });

  describe('random deliveries', () => {
    const headerName = fc.constantFrom(
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
      'svix-id',
      'svix-timestamp',
      'svix-signature',
      'content-type',
    );

    it('never answer 5xx nor write, whatever the body and headers', async () => {
      const before = await harness.itemCount();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc
              .jsonValue()
              .map((value) => JSON.stringify({ eventType: 'connection.connected', payload: value })),
          ),
          fc.dictionary(
            headerName,
            fc.oneof(
              fc.string({ minLength: 1 }).filter((s) => /^[\x21-\x7e ]*$/.test(s) && s.trim() !== ''),
              fc.constant('v1,AAAA'),
              fc.integer().map(String),
            ),
          ),
          async (payload, headers) => {
            const answer = await fetch(harness.server.webhookUrl, { method: 'POST', headers, body: payload });
            await answer.arrayBuffer();
            expect(answer.status).toBeLessThan(500);
          },
        ),
        { numRuns: 150 },
      );
      expect(await harness.itemCount()).toBe(before);
    });

    it('never answer 5xx to signed mutations of a valid event, and write only what they report applied', async () => {
      const anyJson = fc.jsonValue({ maxDepth: 3 });
      const field = fc.constantFrom(
        'id',
        'eventType',
        'generatedDate',
        'payload',
        'payload.referenceCompany',
        'payload.referenceCompany.id',
        'payload.referenceCompany.tags',
        'payload.connection.id',
        'payload.connection.status',
        'payload.connection.sourceType',
        'payload.connection.lastSync',
        'payload.connection.created',
        'payload.connection.dataConnectionErrors',
        'payload.connection.connectionInfo',
        'payload.connection.integrationKey',
      );
      await fc.assert(
        fc.asyncProperty(field, anyJson, fc.boolean(), async (path, value, remove) => {
          type Json = Record<string, unknown>;
          const event = sampleEvent({
            eventType: 'connection.connected',
            connectionId: crypto.randomUUID(),
          }) as Json;
          const keys = path.split('.');
          const last = keys.pop() as string;
          const holder = keys.reduce((object, key) => object[key] as Json, event);
          if (remove) delete holder[last];
          else holder[last] = value;
          const payload = JSON.stringify(event);
          const before = await harness.itemCount();

          const answer = await post(harness.server.webhookUrl, payload, headersFor(payload));

          expect(answer.status).toBeLessThan(500);
          expect(await harness.itemCount()).toBe(answer.json.result === 'applied' ? before + 1 : before);
        }),
        { numRuns: 150 },
      );
    });

    it('never logs the secret or a signature, whether it applies or refuses a delivery', async () => {
      const linesBefore = harness.logger.lines.length;
      const payload = body();
      await post(harness.server.webhookUrl, payload, headersFor(payload));
      for (const [, forge] of forgeries) {
        const forged = forge();
        await post(harness.server.webhookUrl, forged.payload, forged.headers);
      }

      const logs = harness.logger.lines.join('\n');
      expect(harness.logger.lines.length - linesBefore).toBe(forgeries.length + 1);
      expect(logs).not.toContain(harness.secret.slice('whsec_'.length));
      expect(logs).not.toMatch(/v1,[A-Za-z0-9+/]{43}=/);
    });
  });
});

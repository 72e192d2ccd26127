import fc from 'fast-check';
import { actualTable, differences, expectedTable, type HistoryEvent, historyEvent } from '../load/history';
import { deliverAll, runLoad } from '../load/load';
import { ENGINES } from './support/engines';
import { type ReceiverHarness, startReceiverHarness } from './support/receiver-harness';

let harness: ReceiverHarness;

const EVENT_TYPES = ['created', 'connected', 'disconnected', 'reconnected', 'failed', 'deleted'] as const;

/** An event of a short history: few connections and few distinct seconds, so that ties are common. */
const anEvent = fc.record({
  company: fc.integer({ min: 0, max: 1 }),
  connection: fc.integer({ min: 0, max: 2 }),
  type: fc.constantFrom(...EVENT_TYPES),
  second: fc.integer({ min: 0, max: 4 }),
  form: fc.constantFrom('utc', 'offset', 'seven-digits', 'unqualified'),
});

/** A history, and the order it arrives in: shuffled, with some events delivered more than once. */
const aDelivery = fc.array(anEvent, { minLength: 1, maxLength: 16 }).chain((events) =>
  fc
    .array(fc.nat({ max: events.length - 1 }), { maxLength: 8 })
    .chain((repeats) => {
      const order = [...events.keys(), ...repeats];
      return fc.shuffledSubarray(order, { minLength: order.length, maxLength: order.length });
    })
    .map((arrival) => ({ events, arrival })),
);

function dateTime(second: number, form: string): string {
  const s = String(second).padStart(2, '0');
  if (form === 'offset') return `2026-11-28T05:00:${s}-05:00`;
  if (form === 'seven-digits') return `2026-11-28T10:00:${s}.0000000Z`;
  if (form === 'unqualified') return `2026-11-28T10:00:${s}`;
  return `2026-11-28T10:00:${s}Z`;
}

describe.each(ENGINES)('on %s', (engine) => {
  beforeAll(async () => {
    harness = await startReceiverHarness(engine);
  });

  afterAll(async () => {
    await harness.close();
  });

  let run = 0;

  describe('ordering under concurrency', () => {
    it('ends with the newest event of every connection, whatever the arrival order, repeats and concurrency', async () => {
      await fc.assert(
        fc.asyncProperty(aDelivery, async ({ events, arrival }) => {
          run += 1;
          const history: HistoryEvent[] = events.map((event, index) =>
            historyEvent({
              id: `event-${String(index).padStart(2, '0')}`,
              eventType: `connection.${event.type}`,
              companyId: `property-${run}-company-${event.company}`,
              connectionId: `connection-${event.connection}`,
              generatedDate: dateTime(event.second, event.form),
            }),
          );
          const delivered = arrival.map((index) => history[index] as HistoryEvent);

          const { answers } = await deliverAll(
            harness.server.webhookUrl,
            harness.secret,
            delivered,
            delivered.length,
          );

          expect(
            Object.keys(answers).filter((kind) => !/^200 (applied|duplicate|stale)$/.test(kind)),
          ).toEqual([]);
          const table = await actualTable(harness.table.client, harness.table.tableName);
          const ours = new Map([...table].filter(([key]) => key.startsWith(`property-${run}-`)));
          expect(differences(expectedTable(history), ours)).toEqual([]);
        }),
        { numRuns: 60 },
      );
      // 60 runs of real HTTP deliveries: about 3 s an engine on a quiet machine (the file, both
      // engines, about 12 s), and once over jest's default 30 s in a full run on a loaded machine.
      // The limit catches a hang, it does not time work.
    }, 120_000);
  });

  describe('a small load', () => {
    it('answers every one of 1,000 shuffled deliveries with 200 and leaves the table equal to the oracle', async () => {
      const report = await runLoad({
        deliveries: 1_000,
        duplicateRatio: 0.2,
        concurrency: 32,
        seed: 42,
        database: engine === 'dynalite' ? 'dynalite' : { endpoint: harness.table.endpoint },
      });

      expect(report.serverErrors).toBe(0);
      expect(Object.keys(report.answers).every((kind) => kind.startsWith('200 '))).toBe(true);
      expect(report.lost).toBe(0);
      expect(report.tableMatchesOracle).toBe(true);
    });
  });
});

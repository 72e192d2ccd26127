import fc from 'fast-check';
import { MAX_ITEM_BYTES } from '../src/connection/dynamodb-limits';
import { itemBytes } from '../src/connection/item-limits';
import type { ConnectionChange } from '../src/connection/store';
import { storedItem } from '../src/connection/stored-item';
import type { ConnectionChangeDetail } from '../src/events/change-event';
import { toEntry } from '../src/events/event-entry';
import { changeOfRecord } from '../src/events/stream-record';
import { changeOf } from './support/changes';
import { documentedEntrySize, FakeEventBridge, PUT_EVENTS_LIMIT_BYTES } from './support/fake-eventbridge';
import { imageOf, streamRecord } from './support/stream-records';

/**
 * Characters whose JSON and UTF-8 forms differ in size: 1 to 4 UTF-8 bytes, escapes of 2 and 6
 * bytes (`"`, `\`, a newline, a control character), and a lone surrogate (6 bytes escaped).
 */
const UNITS = ['a', 'é', '€', '😀', '"', '\\', '\n', '\u0001', '\ud800'] as const;

/** A text: its share of the item's bytes, and the character it repeats (two, for a mix). */
const aText = fc.record({
  share: fc.double({ min: 0, max: 1, noNaN: true }),
  units: fc.array(fc.constantFrom(...UNITS), { minLength: 1, maxLength: 2 }),
});

/** Where a stored item's bytes can go: every attribute a change event reads, and some it does not. */
const aShape = fc.record({
  budget: fc.integer({ min: 0, max: MAX_ITEM_BYTES }),
  companyId: fc.integer({ min: 1, max: 2_048 }),
  connectionId: fc.integer({ min: 1, max: 1_024 }),
  companyName: aText,
  platformName: aText,
  integrationId: aText,
  integrationKey: aText,
  status: aText,
  sourceType: aText,
  eventId: aText,
  tags: fc.record({ count: fc.integer({ min: 0, max: 3_000 }), key: aText, value: aText }),
  errors: fc.record({ count: fc.integer({ min: 0, max: 500 }), text: aText }),
  connectionInfo: aText,
  deleted: fc.boolean(),
});

type Text = { share: number; units: string[] };

const textOf = (text: Text, bytes: number) => {
  const unit = text.units.join('');
  return unit.repeat(Math.floor(bytes / Buffer.byteLength(unit)));
};

/** The change whose item has `shape`, scaled down until DynamoDB would store it. */
type Shape = typeof aShape extends fc.Arbitrary<infer T> ? T : never;

function changeOfShape(shape: Shape): ConnectionChange {
  const base = changeOf({ eventType: 'connection.failed' });
  const weights = [
    shape.companyName,
    shape.platformName,
    shape.integrationId,
    shape.integrationKey,
    shape.status,
    shape.sourceType,
    shape.eventId,
    shape.tags.key,
    shape.tags.value,
    shape.errors.text,
    shape.connectionInfo,
  ];
  const total = weights.reduce((sum, text) => sum + text.share, 0) || 1;
  let budget = shape.budget;
  for (;;) {
    const bytes = (text: Text, count = 1) => (budget * text.share) / total / Math.max(count, 1);
    const tags = Object.fromEntries(
      Array.from({ length: shape.tags.count }, (_, index) => [
        `${index}${textOf(shape.tags.key, bytes(shape.tags.key, shape.tags.count))}`,
        textOf(shape.tags.value, bytes(shape.tags.value, shape.tags.count)),
      ]),
    );
    const error = textOf(shape.errors.text, bytes(shape.errors.text, shape.errors.count * 2));
    const eventId = textOf(shape.eventId, bytes(shape.eventId));
    const change: ConnectionChange = {
      ...base,
      companyId: 'c'.repeat(shape.companyId),
      company: { name: textOf(shape.companyName, bytes(shape.companyName)), tags },
      connection: {
        ...base.connection,
        id: 'k'.repeat(shape.connectionId),
        platformName: textOf(shape.platformName, bytes(shape.platformName)),
        integrationId: textOf(shape.integrationId, bytes(shape.integrationId)),
        integrationKey: textOf(shape.integrationKey, bytes(shape.integrationKey)),
        status: textOf(shape.status, bytes(shape.status)) as never,
        sourceType: textOf(shape.sourceType, bytes(shape.sourceType)) as never,
        dataConnectionErrors: Array.from({ length: shape.errors.count }, () => ({
          statusCode: error,
          errorMessage: error,
        })),
        connectionInfo: { note: textOf(shape.connectionInfo, bytes(shape.connectionInfo)) },
      },
      event: { ...base.event, id: eventId, order: `${base.event.order.split('#')[0]}#${eventId}` },
      deleted: shape.deleted,
    };
    const size = itemBytes(storedItem(change) as Record<string, unknown>);
    if (size <= MAX_ITEM_BYTES) return change;
    budget = Math.floor(budget * Math.min(0.95, MAX_ITEM_BYTES / size));
  }
}

const unchanged = (value: unknown) => JSON.stringify(value);

/** `after` is `before` with some strings cut short (each perhaps ending in `…`), and nothing else changed. */
function isCutOf(before: unknown, after: unknown): boolean {
  if (typeof before === 'string') {
    return typeof after === 'string' && before.startsWith(after.replace(/…$/, ''));
  }
  if (before && typeof before === 'object' && !Array.isArray(before)) {
    if (!after || typeof after !== 'object') return false;
    const keys = Object.keys(before);
    return (
      unchanged(keys) === unchanged(Object.keys(after)) &&
      keys.every((key) =>
        isCutOf((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key]),
      )
    );
  }
  return unchanged(before) === unchanged(after);
}

describe('change events of any item DynamoDB can store', () => {
  it('fit one PutEvents entry, name every field they cut, and leave every other field whole', () => {
    fc.assert(
      fc.property(aShape, (shape) => {
        const change = changeOfShape(shape);
        const decision = changeOfRecord(streamRecord('INSERT', { new: imageOf(change) }));
        if (!decision.publish) throw new Error(`a new item published nothing: ${decision.reason}`);
        const full = decision.detail;

        const entry = toEntry(full, 'bus');
        const result = new FakeEventBridge().putEvents([entry]);
        const sent = JSON.parse(entry.Detail) as ConnectionChangeDetail & Record<string, unknown>;

        expect(result.FailedEntryCount).toBe(0);
        expect(documentedEntrySize(entry)).toBeLessThanOrEqual(PUT_EVENTS_LIMIT_BYTES);
        const fitsWhole =
          documentedEntrySize({ ...entry, Detail: JSON.stringify(full) }) <= PUT_EVENTS_LIMIT_BYTES;
        if (fitsWhole) {
          expect(sent).toEqual(JSON.parse(JSON.stringify(full)));
          return;
        }
        const truncated: string[] = sent.truncated ?? [];
        expect(truncated.length).toBeGreaterThan(0);
        for (const [field, value] of Object.entries(full)) {
          if (truncated.includes(field)) continue;
          expect([field, unchanged(sent[field])]).toEqual([field, unchanged(value)]);
        }
        for (const field of truncated) {
          const before = (full as unknown as Record<string, unknown>)[field];
          const after = sent[field];
          if (field === 'dataConnectionErrors') {
            expect(after).toEqual([]);
            expect(sent.dataConnectionErrorsOmitted).toBe(full.dataConnectionErrors.length);
          } else if (field === 'companyTags' && after === undefined) {
            expect(sent.companyTagsOmitted).toBe(Object.keys(before as object).length);
          } else {
            expect([field, isCutOf(before, after)]).toEqual([field, true]);
          }
        }
        expect([sent.changeId, sent.companyId, sent.connectionId]).toEqual([
          full.changeId,
          full.companyId,
          full.connectionId,
        ]);
      }),
      { numRuns: 60, seed: 17 },
    );
  });
});

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { CompanyIdCounts, packCompanyIds, unpackCompanyIds } from '../src/reconcile/company-ids';
import { InMemoryWalkJournal } from '../src/reconcile/journal';

/** Ids as they come: mostly Codat's lower-case UUIDs, and ids that only look like one. */
const companyId = fc.oneof(
  { weight: 6, arbitrary: fc.uuid() },
  fc.uuid().map((id) => id.toUpperCase()),
  fc.uuid().map((id) => id.replace(/-/g, '')),
  fc.uuid().map((id) => ` ${id}`),
  fc.constantFrom(
    '',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'company-1',
  ),
  fc.string(),
);

describe('company ids kept packed', () => {
  it('come back exactly as given, in their order, whatever their form', () => {
    fc.assert(
      fc.property(fc.array(companyId, { maxLength: 40 }), (ids) => {
        expect(unpackCompanyIds(packCompanyIds(ids))).toEqual(ids);
      }),
    );
  });

  it('keep a lower-case UUID in 16 bytes and any other id as it is', () => {
    const uuid = randomUUID();
    const packed = packCompanyIds([uuid, uuid.toUpperCase(), 'company-1']);

    expect(packed.uuids.byteLength).toBe(3 * 16);
    expect([...packed.others]).toEqual([
      [1, uuid.toUpperCase()],
      [2, 'company-1'],
    ]);
  });
});

describe('counting company ids', () => {
  it('counts each id as a Map of strings would, and 0 for an id never added', () => {
    fc.assert(
      fc.property(
        fc.array(companyId, { maxLength: 60 }),
        fc.array(companyId, { maxLength: 20 }),
        (added, asked) => {
          const counts = new CompanyIdCounts();
          const expected = new Map<string, number>();
          for (const id of added) {
            counts.add(id);
            expected.set(id, (expected.get(id) ?? 0) + 1);
          }
          for (const id of [...added, ...asked]) expect(counts.count(id)).toBe(expected.get(id) ?? 0);
        },
      ),
    );
  });

  it('tells apart UUIDs that differ in one word only, past the first thousand ids', () => {
    const counts = new CompanyIdCounts();
    const ids = Array.from({ length: 3000 }, (_, index) => {
      const last = index.toString(16).padStart(12, '0');
      return `0123abcd-0000-4000-8000-${last}`;
    });
    for (const id of ids) counts.add(id);
    counts.add(ids[2999] as string);

    expect(ids.map((id) => counts.count(id))).toEqual([...Array(2999).fill(1), 2]);
    expect(counts.count('0123abcd-0000-4000-8000-000000000bb8')).toBe(0);
    expect(counts.count('0123abcd-0000-4000-8001-000000000001')).toBe(0);
  });

  it('refuses an id added once counting has begun, which would not be counted', () => {
    const counts = new CompanyIdCounts();
    counts.add(randomUUID());
    counts.count(randomUUID());

    expect(() => counts.add(randomUUID())).toThrow('add() after count()');
  });
});

describe('the in-memory walk journal', () => {
  it('gives back every page as recorded, in page order, the last record of a page winning', async () => {
    const journal = new InMemoryWalkJournal();
    const first = randomUUID();
    const page = (number: number, companyIds: string[]) => ({
      page: number,
      companyIds,
      absent: [],
      invalid: 0,
    });
    await journal.record('walk', page(2, [first, 'Company-B']));
    await journal.record('walk', page(1, ['stale']));
    await journal.record('walk', page(1, [randomUUID().toUpperCase()]));
    await journal.record('other walk', page(1, ['elsewhere']));
    const pages = [];
    for await (const recorded of journal.pages('walk')) pages.push(recorded);

    expect(pages.map((recorded) => recorded.page)).toEqual([1, 2]);
    expect(pages[0]?.companyIds).toHaveLength(1);
    expect(pages[0]?.companyIds[0]).not.toBe('stale');
    expect(pages[1]).toEqual(page(2, [first, 'Company-B']));
  });
});

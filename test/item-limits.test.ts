import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { plainUpdate } from '../bench/plain-update';
import { buildUpdate } from '../src/connection/connection-update';
import { MAX_ITEM_BYTES } from '../src/connection/dynamodb-limits';
import { changeLimitProblems, itemBytes } from '../src/connection/item-limits';
import type { ConnectionChange } from '../src/connection/store';
import { storedItem } from '../src/connection/stored-item';
import { changeOf } from './support/changes';
import { DYNAMODB_LOCAL_AVAILABLE, type EmbeddedTable, startTable } from './support/engines';

const INFO = 'payload.connection.connectionInfo';

/** A change whose connectionInfo (and, if given, company tags) is `info`. */
function changeWith(info: Record<string, unknown>, tags?: Record<string, string>): ConnectionChange {
  const change = changeOf({
    eventType: 'connection.connected',
    companyId: randomUUID(),
    connectionId: randomUUID(),
  });
  change.connection.connectionInfo = info;
  if (tags) change.company.tags = tags;
  return change;
}

/** What the store checks before every write. */
const problemsOf = (change: ConnectionChange) => changeLimitProblems(change);

/** connectionInfo whose deepest map sits at `level`, counting the item as level 1 (DynamoDB's way). */
function nestedTo(level: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let at = 3; at <= level; at++) value = { a: value };
  return value;
}

/** A list in connectionInfo whose deepest list sits at `level`. */
function listsTo(level: number): unknown {
  let value: unknown = 1;
  for (let at = 3; at <= level; at++) value = [value];
  return value;
}

/** connectionInfo padded with one string so that the whole item is `bytes` long. */
function itemOfSize(bytes: number): Record<string, unknown> {
  const base = itemBytes(storedItem(changeWith({ pad: '' })));
  return { pad: 'x'.repeat(bytes - base) };
}

const key = (bytes: number) => 'k'.repeat(bytes);

describe('what DynamoDB can hold', () => {
  it('finds nothing to refuse in an ordinary delivery', () => {
    expect(problemsOf(changeOf({ eventType: 'connection.failed' }))).toEqual([]);
  });

  it('refuses an empty key nested in connectionInfo, naming its path', () => {
    expect(problemsOf(changeWith({ a: { b: [{ '': 1 }] } }))).toEqual([
      { path: `${INFO}.a.b.0.`, message: 'is an empty key, which DynamoDB cannot store' },
    ]);
  });

  it('refuses an empty key in the company tags, naming its path', () => {
    expect(problemsOf(changeWith({}, { '': 'us' }))).toEqual([
      { path: 'payload.referenceCompany.tags.', message: 'is an empty key, which DynamoDB cannot store' },
    ]);
  });

  it('accepts empty strings as values, which DynamoDB stores outside keys', () => {
    expect(problemsOf(changeWith({ a: '', b: [''] }, { region: '' }))).toEqual([]);
  });

  it('accepts a key of 65,535 bytes and refuses one of 65,536, counting UTF-8 bytes', () => {
    expect(problemsOf(changeWith({ [key(65_535)]: 1 }))).toEqual([]);
    expect(problemsOf(changeWith({ ['é'.repeat(32_768)]: 1 }))).toEqual([
      {
        path: `${INFO}.${'é'.repeat(32)}…`,
        message: 'is a key of 65536 bytes; DynamoDB allows at most 65535',
      },
    ]);
  });

  it('refuses a key of 70,000 bytes, naming its start', () => {
    expect(problemsOf(changeWith({ a: { [key(70_000)]: true } }))).toEqual([
      { path: `${INFO}.a.${key(32)}…`, message: 'is a key of 70000 bytes; DynamoDB allows at most 65535' },
    ]);
  });

  it('accepts nesting to level 32 and refuses level 33, the item being level 1', () => {
    expect(problemsOf(changeWith(nestedTo(32)))).toEqual([]);
    const problems = problemsOf(changeWith(nestedTo(33)));
    expect(problems).toEqual([
      { path: `${INFO}${'.a'.repeat(31)}`, message: "nests deeper than DynamoDB's 32 levels" },
    ]);
  });

  it('refuses 100,000 levels of lists once, without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let level = 0; level < 100_000; level++) deep = [deep];

    expect(problemsOf(changeWith({ deep }))).toHaveLength(1);
  });

  it('counts the item size as DynamoDB does and refuses one byte over 400 KB, naming the largest field', () => {
    expect(problemsOf(changeWith(itemOfSize(MAX_ITEM_BYTES)))).toEqual([]);
    expect(problemsOf(changeWith(itemOfSize(MAX_ITEM_BYTES + 1)))).toEqual([
      { path: INFO, message: 'makes the item 409601 bytes; DynamoDB allows 409600' },
    ]);
  });

  it.each([
    ['', 0],
    ['Basiq', 5],
    ['é', 2],
    ['Toft stores ✓', 15],
    ['😀', 4],
    ['x'.repeat(300), 300],
    [`${'x'.repeat(299)}é`, 301],
  ])('counts the string %p as its %p UTF-8 bytes', (text, bytes) => {
    expect(itemBytes({ s: text }) - itemBytes({ s: '' })).toBe(bytes);
  });

  it.each([
    [0, 2],
    [-0, 2],
    [7, 2],
    [12, 2],
    [123, 3],
    [-123, 3],
    [100, 2],
    [1.25, 3],
    [-12, 2],
    [-1.5e-7, 2],
    [1e-130, 2],
    [0.1 + 0.2, 10],
  ])('counts the number %p as %p bytes: one per two significant digits, plus one', (n, bytes) => {
    expect(itemBytes({ n: 'x' }) - 1 + bytes).toBe(itemBytes({ n }));
  });

  it.each([
    1e-130,
    -1e-130,
    9.99999999999999e125,
    -9.99999999999999e125,
    0,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    0.1 + 0.2,
  ])('accepts the number %p, within DynamoDB range and precision', (n) => {
    expect(problemsOf(changeWith({ n }))).toEqual([]);
  });

  it.each([
    [9e-131, 'is a number DynamoDB cannot hold (9e-131 is nearer zero than 1E-130)'],
    [1e-200, 'is a number DynamoDB cannot hold (1e-200 is nearer zero than 1E-130)'],
    [
      1e126,
      'is a number DynamoDB cannot hold (1e+126 is beyond 9.9999999999999999999999999999999999999E+125)',
    ],
    [
      -1e300,
      'is a number DynamoDB cannot hold (-1e+300 is beyond 9.9999999999999999999999999999999999999E+125)',
    ],
    [Number.POSITIVE_INFINITY, 'is a number DynamoDB cannot hold (Infinity is not finite)'],
  ])('refuses the number %p, naming why', (n, message) => {
    expect(problemsOf(changeWith({ list: [n] }))).toEqual([{ path: `${INFO}.list.0`, message }]);
  });
});

/**
 * The same cases, sent as an UpdateItem to AWS's DynamoDB Local: the module
 * refuses exactly what DynamoDB refuses, and what it accepts reads back as sent. Only where
 * Java exists: without it the run says once that DynamoDB Local was skipped.
 */
const DIFFERENTIAL: { name: string; info: Record<string, unknown>; tags?: Record<string, string> }[] = [
  { name: 'an empty key at the top of connectionInfo', info: { '': 1 } },
  { name: 'an empty key nested in connectionInfo', info: { a: { b: [{ '': 1 }] } } },
  { name: 'an empty key in the company tags', info: {}, tags: { '': 'us' } },
  { name: 'empty strings as values', info: { a: '', b: [''] }, tags: { region: '' } },
  { name: 'a key of 50,000 bytes', info: { [key(50_000)]: 1 } },
  { name: 'a key of 65,536 bytes', info: { [key(65_536)]: 1 } },
  { name: 'a key of 70,000 bytes nested', info: { a: { [key(70_000)]: 1 } } },
  { name: 'nesting to level 31', info: nestedTo(31) },
  { name: 'nesting to level 32', info: nestedTo(32) },
  { name: 'nesting to level 33', info: nestedTo(33) },
  { name: 'lists nesting to level 33', info: { l: listsTo(33) } },
  { name: 'an item of exactly 400 KB', info: itemOfSize(MAX_ITEM_BYTES) },
  { name: 'an item one byte over 400 KB', info: itemOfSize(MAX_ITEM_BYTES + 1) },
  {
    name: 'numbers at the edges of the range',
    info: { n: [1e-130, -1e-130, 9.99999999999999e125, -9.99999999999999e125] },
  },
  { name: 'numbers of full double precision', info: { n: [0.1 + 0.2, Number.MAX_SAFE_INTEGER + 2, -0] } },
  { name: 'a number nearer zero than 1E-130', info: { n: 9e-131 } },
  { name: '1e-200', info: { n: 1e-200 } },
  { name: '1e300', info: { n: 1e300 } },
  { name: '-1e126', info: { n: -1e126 } },
];

if (DYNAMODB_LOCAL_AVAILABLE) {
  describe("what DynamoDB can hold, against AWS's DynamoDB Local", () => {
    let table: EmbeddedTable;

    beforeAll(async () => {
      table = await startTable('dynamodb-local');
    });

    afterAll(async () => {
      await table.close();
    });

    /**
     * `accepted`, or the name of the error DynamoDB Local answered with. What the store writes is
     * sent as the store builds it; what it refuses (and so never sends, its refused values left
     * out) is sent as a receiver without the check would build it.
     */
    async function send(change: ConnectionChange): Promise<string> {
      const update =
        problemsOf(change).length === 0
          ? buildUpdate(table.tableName, change)
          : plainUpdate(table.tableName, change);
      return table.client.send(update).then(
        () => 'accepted',
        (error: Error) => error.name,
      );
    }

    it.each(DIFFERENTIAL)(
      'refuses $name exactly when DynamoDB does, and stores it intact otherwise',
      async ({ info, tags }) => {
        const change = changeWith(info, tags);

        const verdict = await send(change);

        expect(verdict === 'accepted').toBe(problemsOf(change).length === 0);
        if (verdict !== 'accepted') return;
        const { Item } = await table.client.send(
          new GetItemCommand({
            TableName: table.tableName,
            Key: { companyId: { S: change.companyId }, connectionId: { S: change.connection.id } },
            ConsistentRead: true,
          }),
        );
        const stored = unmarshall(Item ?? {}, { wrapNumbers: Number });
        // As sent: JSON has no -0, and DynamoDB stores the text String(-0), "0".
        expect(stored.connectionInfo).toEqual(JSON.parse(JSON.stringify(info)));
        expect(stored.companyTags).toEqual(change.company.tags);
      },
    );

    // DynamoDB's documentation allows names under 64 KB; DynamoDB Local fails names over 50,000
    // bytes with a 500 InternalFailure (the limit of the JSON parser it is built on, not a
    // DynamoDB rule). The documented service decides: the module accepts them.
    it('accepts a key of 65,535 bytes as DynamoDB documents, where DynamoDB Local fails with a 500', async () => {
      const change = changeWith({ [key(65_535)]: 1 });

      expect(problemsOf(change)).toEqual([]);
      expect(await send(change)).toBe('InternalFailure');
    });
  });
}

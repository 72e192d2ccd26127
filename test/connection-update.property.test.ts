import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { plainUpdate } from '../bench/plain-update';
import { buildUpdate } from '../src/connection/connection-update';
import { changeLimitProblems, marshalChange } from '../src/connection/item-limits';
import type { ConnectionChange } from '../src/connection/store';
import { itemAttributes, storedItem, WRITTEN_ATTRIBUTES } from '../src/connection/stored-item';
import { changeOf } from './support/changes';

/**
 * The store marshals a change's item in the same walk that checks it against DynamoDB's limits
 * (item-limits.ts), and names its update's placeholders once. What it sends must be what
 * util-dynamodb's `marshall` and a plainly built update (bench/plain-update.ts) would send.
 */

const OPTIONS = { removeUndefinedValues: true, allowImpreciseNumbers: true } as const;

/** A change whose connection carries any JSON, any optional field left out, and any company tags. */
const aChange = fc
  .record({
    connectionInfo: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }),
    dataConnectionErrors: fc.option(fc.array(fc.jsonValue(), { maxLength: 3 }), { nil: undefined }),
    tags: fc.option(fc.dictionary(fc.string(), fc.string()), { nil: undefined }),
    without: fc.subarray(['lastSync', 'linkUrl', 'sourceType', 'integrationKey'] as const),
    deleted: fc.boolean(),
  })
  .map(({ connectionInfo, dataConnectionErrors, tags, without, deleted }) => {
    const change = changeOf({ eventType: deleted ? 'connection.deleted' : 'connection.connected' });
    const connection: Record<string, unknown> = {
      ...change.connection,
      connectionInfo,
      dataConnectionErrors,
    };
    for (const field of without) delete connection[field];
    return {
      ...change,
      company: { ...change.company, tags },
      connection: connection as ConnectionChange['connection'],
    } satisfies ConnectionChange;
  });

describe('the store’s UpdateItem of a change', () => {
  it('marshals the whole item as util-dynamodb does, for any change DynamoDB can store', () => {
    fc.assert(
      fc.property(aChange, (change) => {
        const { item, problems } = marshalChange(change);
        fc.pre(problems.length === 0);

        expect(item).toEqual(marshall(storedItem(change), OPTIONS));
      }),
      { numRuns: 300 },
    );
  });

  it('sends the same input as the plainly built update, for any change DynamoDB can store', () => {
    fc.assert(
      fc.property(aChange, (change) => {
        fc.pre(changeLimitProblems(change).length === 0);

        expect(buildUpdate('connections', change).input).toEqual(plainUpdate('connections', change).input);
      }),
      { numRuns: 300 },
    );
  });

  it('names every attribute the change writes, in the order it gives them', () => {
    const full = changeOf({ eventType: 'connection.connected' });
    const deleted = changeOf({ eventType: 'connection.deleted' });

    expect(Object.keys(itemAttributes(full))).toEqual(WRITTEN_ATTRIBUTES);
    expect(Object.keys(itemAttributes(deleted))).toEqual(WRITTEN_ATTRIBUTES);
  });

  it('removes the attributes a change leaves out (a live connection has no expiry), and sets the rest', () => {
    const change = changeOf({ eventType: 'connection.connected' });
    delete (change.connection as Partial<typeof change.connection>).linkUrl;
    change.company.tags = undefined;

    const { UpdateExpression, ExpressionAttributeNames } = buildUpdate('connections', change).input;
    const removed = / REMOVE (.*)$/.exec(UpdateExpression ?? '')?.[1]?.split(', ') ?? [];

    expect(removed.map((name) => ExpressionAttributeNames?.[name]).sort()).toEqual([
      'companyTags',
      'expiresAt',
      'linkUrl',
    ]);
  });
});

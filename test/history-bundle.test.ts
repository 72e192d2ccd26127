import type { DynamoDBRecord } from 'aws-lambda';
import { type Invocations, invokeDeployedFunction } from '../bench/deployed-bundle';
import { type SynthesizedStack, synthesizeStack } from './support/deployed-bundle';
import { ENGINES } from './support/engines';
import {
  freshIds,
  type HistoryTable,
  linkedDeauthorizedLinkedThenWalk,
  recordsOf,
  startHistoryTable,
} from './support/history';
import { streamEvent } from './support/stream-records';

/**
 * The history writer as `cdk synth` bundles it, run by a fresh Node 24 process with the
 * template's environment, as Lambda runs it on the Connection table's stream, against a real
 * history table on each engine. Its IAM decisions are in test/iam-decisions.test.ts.
 */
let stack: SynthesizedStack;

beforeAll(() => {
  stack = synthesizeStack();
}, 120_000);

afterAll(() => {
  stack.close();
});

type BatchAnswer = { batchItemFailures: { itemIdentifier: string }[] };

/** The JSON lines a process logged with `message`. */
const logLines = (run: Invocations<unknown>, message: string) =>
  run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message);

describe.each(ENGINES)('the synthesized history writer bundle, on %s', (engine) => {
  let table: HistoryTable;

  beforeAll(async () => {
    table = await startHistoryTable(engine);
  });

  afterAll(async () => {
    await table.close();
  });

  it('writes one item per change of a stream batch, reports the record it cannot read, and adds nothing when the batch comes again', async () => {
    const ids = freshIds();
    const changes = linkedDeauthorizedLinkedThenWalk(ids);
    // A MODIFY without its old image: a stream of the wrong view type, to fail, never to skip.
    const unreadable: DynamoDBRecord = { eventName: 'MODIFY', dynamodb: { SequenceNumber: '4242' } };
    const batch = streamEvent(...recordsOf(changes), unreadable);

    const run = await invokeDeployedFunction<BatchAnswer>({
      fn: stack.fn('History/RecordHistory'),
      // The table's Ref, resolved as CloudFormation would.
      resolve: { HISTORY_TABLE_NAME: table.tableName },
      endpoints: { dynamoDb: table.endpoint },
      // Lambda retries the batch from its failed record; here, all of it again.
      events: [batch, batch],
    });

    expect(run.invocations.map((invocation) => invocation.response)).toEqual([
      { batchItemFailures: [{ itemIdentifier: '4242' }] },
      { batchItemFailures: [{ itemIdentifier: '4242' }] },
    ]);
    const { items } = await table.store.connectionHistory(ids.companyId, ids.connectionId, { limit: 10 });
    expect(items.map((item) => item.order)).toEqual(changes.map((change) => change.event.order).reverse());
    // 400 days, the template's HISTORY_DAYS, after the change was stored.
    for (const item of items) {
      expect(item.expiresAt).toBe(Math.floor(Date.parse(item.storedAt) / 1000) + 400 * 86_400);
    }
    expect(logLines(run, 'history batch')).toEqual([
      expect.objectContaining({ records: 5, recorded: 4, skipped: 0, failed: 1 }),
      expect.objectContaining({ records: 5, recorded: 4, skipped: 0, failed: 1 }),
    ]);
  });

  it('fails the invocation when every record fails, so that Lambda can bisect the batch', async () => {
    const batch = streamEvent(...recordsOf(linkedDeauthorizedLinkedThenWalk(freshIds())));

    const run = await invokeDeployedFunction<BatchAnswer>({
      fn: stack.fn('History/RecordHistory'),
      resolve: { HISTORY_TABLE_NAME: table.tableName },
      // Nothing listens on port 9: every put fails.
      endpoints: { dynamoDb: 'http://127.0.0.1:9' },
      events: [batch],
    });

    expect(run.invocations[0]?.response).toBeUndefined();
    expect(run.invocations[0]?.error).toMatchObject({ errorType: 'FullBatchFailureError' });
  });
});

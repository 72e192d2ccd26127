import { ensureTable } from '../local/embedded-dynamodb';
import { DynamoDbWalkJournal, JOURNAL_TABLE } from '../src/reconcile/dynamodb-journal';
import { endpointHealth } from '../src/reconcile/endpoint-health';
import type { PageRecord } from '../src/reconcile/journal';
import { apiKeyFrom } from '../src/reconcile/lambda-config';
import { startEmbeddedTable } from './support/embedded-table';

const consumer = (url: string, disabled: boolean) => ({ id: url, url, disabled, eventTypes: [] });
const ours = 'https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/codat';

describe('the webhook endpoint check', () => {
  it('finds this stack’s endpoint by URL, whatever the trailing slash or the host’s case', () => {
    const consumers = [consumer('https://ABC.execute-api.eu-west-1.amazonaws.com/webhooks/codat/', false)];

    expect(endpointHealth(consumers, ours)).toBe('enabled');
  });

  it('says disabled when the provider disabled it, and missing when it lists no such URL', () => {
    expect(endpointHealth([consumer(ours, true), consumer('https://other.example/hook', false)], ours)).toBe(
      'disabled',
    );
    expect(endpointHealth([consumer('https://other.example/hook', false)], ours)).toBe('missing');
  });
});

describe('the API key secret', () => {
  it('gives the key it holds, trimmed', () => {
    expect(apiKeyFrom(' key-123\n', 'arn')).toBe('key-123');
  });

  it.each(['', '{"replaceWith":"x","placeholder":"y"}'])('refuses %p, saying how to set it', (value) => {
    expect(() => apiKeyFrom(value, 'arn:aws:secretsmanager:x')).toThrow(
      /put-secret-value --secret-id arn:aws:secretsmanager:x/,
    );
  });
});

describe('the DynamoDB walk journal, on the embedded DynamoDB', () => {
  it('gives back a walk’s pages in page order, a page recorded twice once, and no other walk’s', async () => {
    const database = await startEmbeddedTable();
    const tableName = 'journal';
    await ensureTable(database.client, tableName, { ...JOURNAL_TABLE, sortKeyType: 'N' });
    const journal = new DynamoDbWalkJournal(database.client, tableName);
    const page = (n: number, failure?: string): PageRecord => ({
      page: n,
      companyIds: [`company-${n}`],
      absent: [],
      invalid: 0,
      ...(failure ? { failure } : {}),
    });
    try {
      await journal.record('walk-1', page(10));
      await journal.record('walk-1', page(2, 'status 500'));
      await journal.record('walk-1', page(2));
      await journal.record('walk-2', page(1));

      const pages: PageRecord[] = [];
      for await (const each of journal.pages('walk-1')) pages.push(each);

      expect(pages).toEqual([page(2), page(10)]);
    } finally {
      await database.close();
    }
  });
});

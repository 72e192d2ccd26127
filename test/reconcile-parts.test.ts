import { ensureTable } from '../local/embedded-dynamodb';
import {
  DEFAULT_LAG_ALLOWANCE_MS,
  DEFAULT_RECONCILE_PAGE_SIZE,
  DEFAULT_WALK_BUDGET_MS,
} from '../src/defaults';
import { apiKeyFrom } from '../src/reconcile/api-key';
import { DynamoDbWalkJournal, JOURNAL_TABLE } from '../src/reconcile/dynamodb-journal';
import { endpointHealth } from '../src/reconcile/endpoint-health';
import type { PageRecord } from '../src/reconcile/journal';
import {
  readCheckEndpointConfig,
  readSweepConfig,
  readWalkPagesConfig,
} from '../src/reconcile/lambda-config';
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

describe('the reconciler functions’ configuration, read at cold start', () => {
  const secret = { CODAT_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key' };

  it.each([
    ['reconcile-pages', readWalkPagesConfig],
    ['reconcile-sweep', readSweepConfig],
  ])('%s refuses to start without either of its tables, naming both', (_name, read) => {
    expect(() => read(secret)).toThrow(/^Invalid configuration: .*"TABLE_NAME".*"JOURNAL_TABLE_NAME"/);
  });

  it('lets the endpoint check start without the tables it never uses, but not without the webhook URL', () => {
    expect(() => readCheckEndpointConfig(secret)).toThrow(/^Invalid configuration: .*"WEBHOOK_URL"/);
    expect(readCheckEndpointConfig({ ...secret, WEBHOOK_URL: 'https://example.com/webhooks/codat' })).toEqual(
      expect.objectContaining({ webhookUrl: 'https://example.com/webhooks/codat' }),
    );
  });

  it('gives a walk step its settings in camelCase, with the defaults of src/defaults.ts', () => {
    const config = readWalkPagesConfig({
      ...secret,
      TABLE_NAME: 'connections',
      JOURNAL_TABLE_NAME: 'journal',
    });

    expect(config).toEqual({
      apiKeySecretArn: secret.CODAT_API_KEY_SECRET_ARN,
      codatApiUrl: 'https://api.codat.io',
      logLevel: 'info',
      stage: 'local',
      tableName: 'connections',
      journalTableName: 'journal',
      lagAllowanceMs: DEFAULT_LAG_ALLOWANCE_MS,
      pageSize: DEFAULT_RECONCILE_PAGE_SIZE,
      walkBudgetMs: DEFAULT_WALK_BUDGET_MS,
    });
  });

  it('reads the sweep’s tombstone lifetime and lag allowance from their variables', () => {
    const config = readSweepConfig({
      ...secret,
      TABLE_NAME: 'connections',
      JOURNAL_TABLE_NAME: 'journal',
      TOMBSTONE_TTL_DAYS: '7',
      LAG_ALLOWANCE_SECONDS: '90',
    });

    expect(config).toMatchObject({ tombstoneTtlDays: 7, lagAllowanceMs: 90_000 });
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

import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbProxy } from '../bench/dynamodb-proxy';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { CLIENT_POLICIES } from '../src/aws/clients';
import { DynamoDbConnectionStore, SCAN_PAGE_ITEMS } from '../src/connection/dynamodb-store';
import { ENGINES, type Engine, startTable } from './support/engines';

/**
 * A fresh table holding `count` live connections, one company each, and a store on it through
 * the proxy: the client every function builds (the delivery path's 2 s request timeout, 3
 * attempts), in front of a database the proxy holds back as a slow one would be.
 */
async function slowTable(engine: Engine, count: number) {
  const table = await startTable(engine);
  const ids = Array.from({ length: count }, (_, index) => `company-${String(index).padStart(5, '0')}`);
  for (let start = 0; start < ids.length; start += 25) {
    const batch = ids.slice(start, start + 25).map((companyId) => ({
      PutRequest: { Item: { companyId: { S: companyId }, connectionId: { S: 'connection-1' } } },
    }));
    await table.client.send(new BatchWriteItemCommand({ RequestItems: { [table.tableName]: batch } }));
  }
  const proxy = await startDynamoDbProxy(table.endpoint);
  const client = localDynamoDbClient(proxy.endpoint);
  const store = new DynamoDbConnectionStore(client, table.tableName);
  return {
    ids,
    proxy,
    listed: async () => {
      const found: string[] = [];
      for await (const companyId of store.companiesWithLiveConnections()) found.push(companyId);
      return found.sort();
    },
    close: async () => {
      client.destroy();
      await proxy.close();
      await table.close();
    },
  };
}

/** The items a Scan answer says it read (ScannedCount), before its filter. */
const scanned = (answer: unknown) =>
  Number((answer as { ScannedCount?: number } | undefined)?.ScannedCount ?? 0);

describe.each(ENGINES)('the sweep’s Scan of the Connection table on %s', (engine) => {
  const requestTimeout = CLIENT_POLICIES.dynamoDb.requestHandler.requestTimeout;
  const closing: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('lists every live company in pages of bounded work, though the whole table as one page would outlast a request', async () => {
    const table = await slowTable(engine, 2_500);
    closing.push(table.close);
    // A page takes time in proportion to the items it reads: as one page, the 2,500 items
    // would take 1.25 times the 2 s a delivery's request may take.
    const pages: number[] = [];
    table.proxy.setDelay((operation, answer) => {
      if (operation !== 'Scan') return 0;
      pages.push(scanned(answer));
      return scanned(answer) * ((requestTimeout * 1.25) / table.ids.length);
    });

    const found = await table.listed();

    expect(found).toEqual(table.ids);
    expect(pages.length).toBeGreaterThan(1);
    expect(Math.max(...pages)).toBeLessThanOrEqual(SCAN_PAGE_ITEMS);
  }, 30_000);

  it('waits for a Scan page slower than the delivery path’s request timeout instead of failing the sweep', async () => {
    const table = await slowTable(engine, 10);
    closing.push(table.close);
    // Slow for a reason other than its size (a busy partition, a far network): every page
    // answers in 1.25 times the 2 s within which a delivery's write must answer.
    table.proxy.setDelay((operation) => (operation === 'Scan' ? requestTimeout * 1.25 : 0));

    const found = await table.listed();

    expect(found).toEqual(table.ids);
  }, 30_000);
});

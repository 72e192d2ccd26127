import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import { DYNAMODB_REQUESTS_IN_FLIGHT, SCAN_PAGE_REQUEST } from '../aws/clients';
import { StorageUnavailableError, UnstorableChangeError } from '../errors';
import { eachAtMost } from './bounded-writes';
import { tombstoneOf } from './connection-change';
import { buildUpdate } from './connection-update';
import { storageError } from './dynamodb-errors';
import { marshalChange } from './item-limits';
import type {
  CompanyLister,
  CompanyTombstone,
  CompanyTombstoneOutcome,
  ConnectionChange,
  ConnectionStore,
  ListOptions,
  LiveConnection,
  StoredConnection,
  WriteOutcome,
} from './store';
import { type DynamoDbConnectionStoreOptions, newImageOf, toStoredConnection } from './stored-item';
import { CONNECTION_TABLE } from './table';

export type { AppliedWrite, DynamoDbConnectionStoreOptions } from './stored-item';

const { partitionKey, sortKey } = CONNECTION_TABLE;

/**
 * How many tombstones `company.deleted` writes at once: every request the client may have in
 * flight, so that 200 connections take 4 rounds of replies (2 s with DynamoDB answering in
 * 400 ms, inside the receiver's 10 s even at the 2 s request timeout). They all go to one
 * partition; a throttled write is retried by the SDK, and a failure answers 503 with the
 * progress kept.
 */
export const TOMBSTONE_WRITES_IN_FLIGHT = DYNAMODB_REQUESTS_IN_FLIGHT;

/**
 * The most items one page of the sweep's Scan reads (its `Limit`), so that a page is bounded in
 * work by items, not only by DynamoDB's 1 MB: about 0.8 MB of 0.8 KB connections, so in AWS the
 * pages are as few as without it. DynamoDB Local answers an unbounded page in time that grows
 * with the items left after its start key (1.4 to 1.9 s a page at 40,000 items, the first pages
 * slowest, past the request timeout at 200,000), and a page of 1,000 in 0.17 s.
 */
export const SCAN_PAGE_ITEMS = 1_000;

export class DynamoDbConnectionStore implements ConnectionStore, CompanyLister {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoDbConnectionStoreOptions = {},
  ) {}

  async write(change: ConnectionChange, options: { signal?: AbortSignal } = {}): Promise<WriteOutcome> {
    // Decided before the write: a value DynamoDB refuses would fail it with a 4xx that no
    // retry cures. Refused as the sender's (400, naming the path), never answered 5xx.
    const { item, problems } = marshalChange(change);
    if (problems.length > 0) throw new UnstorableChangeError(problems);
    const update = buildUpdate(this.tableName, change, item);
    try {
      // No options at all without a signal: the client's resolved middleware is used only then.
      const sendOptions = options.signal ? { abortSignal: options.signal } : undefined;
      if (!this.options.onApplied) {
        await this.client.send(update, sendOptions);
        return 'applied';
      }
      update.input.ReturnValues = 'ALL_OLD';
      const { Attributes } = await this.client.send(update, sendOptions);
      this.options.onApplied({
        ...(Attributes ? { oldImage: Attributes } : {}),
        newImage: newImageOf(item, Attributes),
      });
      return 'applied';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) {
        throw storageError(error, update.input.ExpressionAttributeNames);
      }
      // The stored event is as new or newer. DynamoDB hands back the stored item with the
      // failure, so telling a repeat from a late arrival costs no second call. An emulator
      // that predates ReturnValuesOnConditionCheckFailure returns no item: nothing changed
      // either way, so the delivery is reported as stale.
      const storedOrder = error.Item?.eventOrder?.S;
      return storedOrder === change.event.order ? 'duplicate' : 'stale';
    }
  }

  async get(companyId: string, connectionId: string): Promise<StoredConnection | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [partitionKey]: { S: companyId }, [sortKey]: { S: connectionId } },
          ConsistentRead: true,
        }),
      );
      return Item ? toStoredConnection(Item) : undefined;
    } catch (error) {
      throw storageError(error);
    }
  }

  async listByCompany(companyId: string, options: ListOptions = {}): Promise<StoredConnection[]> {
    const found: StoredConnection[] = [];
    try {
      const pages = paginateQuery(
        { client: this.client },
        {
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :companyId',
          ExpressionAttributeNames: { '#pk': partitionKey },
          ExpressionAttributeValues: { ':companyId': { S: companyId } },
          ConsistentRead: options.consistentRead ?? true,
        },
      );
      for await (const page of pages) found.push(...(page.Items ?? []).map(toStoredConnection));
    } catch (error) {
      throw storageError(error);
    }
    return found;
  }

  /**
   * One Query for the company's items, then one conditional write for each connection whose
   * stored event is older than the deletion, at most TOMBSTONE_WRITES_IN_FLIGHT at a time; a
   * connection already at the deletion's order or past it (a repeat, or what an earlier attempt
   * did before it was cut off) is counted unchanged with no write, so a retry resumes where the
   * last attempt stopped. On the first failure, or once `signal` aborts (the function's time is
   * nearly up), no further write starts (see `eachAtMost`), and the error is thrown: the
   * provider's retry finishes the job.
   */
  async tombstoneCompany(
    tombstone: CompanyTombstone,
    options: { signal?: AbortSignal } = {},
  ): Promise<CompanyTombstoneOutcome> {
    const { signal } = options;
    const stored = await this.listByCompany(tombstone.companyId);
    const order = tombstone.event.order;
    const pending = stored.filter((item) => !(item.lastEvent.order >= order));
    const outcomes = await eachAtMost(TOMBSTONE_WRITES_IN_FLIGHT, pending, {
      ...(signal ? { signal } : {}),
      write: (item) => this.write(tombstoneOf(item, tombstone), signal ? { signal } : {}),
      timeUp: () =>
        new StorageUnavailableError("the function's time ran out before every tombstone was written"),
    });
    const tombstoned = outcomes.filter((outcome) => outcome === 'applied').length;
    return { tombstoned, unchanged: stored.length - tombstoned };
  }

  /**
   * Scans the table for companies with a live connection. Only the keys and the three short
   * attributes `onLive` is told are fetched; an item's read units count its whole size all the
   * same, which for a daily sweep is cents per million items. A company's items are adjacent in
   * a Scan, so repeats are dropped as they come. Pages of at most SCAN_PAGE_ITEMS, each attempt
   * given SCAN_PAGE_REQUEST's time.
   */
  async *companiesWithLiveConnections(onLive?: (connection: LiveConnection) => void): AsyncIterable<string> {
    let previous: string | undefined;
    try {
      const pages = paginateScan(
        { client: this.client },
        {
          TableName: this.tableName,
          ProjectionExpression: '#pk, #status, #platformName, #sourceType',
          FilterExpression: 'attribute_not_exists(#deleted) OR #deleted = :false',
          ExpressionAttributeNames: {
            '#pk': partitionKey,
            '#deleted': 'deleted',
            '#status': 'status',
            '#platformName': 'platformName',
            '#sourceType': 'sourceType',
          },
          ExpressionAttributeValues: { ':false': { BOOL: false } },
          Limit: SCAN_PAGE_ITEMS,
        },
        SCAN_PAGE_REQUEST,
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          onLive?.({
            status: item.status?.S ?? '',
            platformName: item.platformName?.S ?? '',
            sourceType: item.sourceType?.S ?? '',
          });
          const companyId = item[partitionKey]?.S;
          if (companyId !== undefined && companyId !== previous) yield companyId;
          previous = companyId;
        }
      }
    } catch (error) {
      throw storageError(error);
    }
  }
}

import { AttributeType, BillingMode, Table, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/** A table's keys and expiry attribute, as src/ describes them (`CONNECTION_TABLE`, `JOURNAL_TABLE`). */
export interface TableLayout {
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Unix seconds, after which DynamoDB TTL removes the item. */
  readonly expiryAttribute: string;
}

export interface ExpiringTableProps
  extends Pick<TableProps, 'removalPolicy' | 'deletionProtection' | 'stream'> {
  readonly layout: TableLayout;
  /** The partition key is a string; the sort key this. */
  readonly sortKeyType: AttributeType;
}

/**
 * A table as every table of the stack is kept: keyed as `layout` says, billed per request,
 * point-in-time recovery on, and items removed by TTL at their `layout.expiryAttribute`.
 */
export function expiringTable(scope: Construct, id: string, props: ExpiringTableProps): Table {
  const { layout, sortKeyType, ...rest } = props;
  return new Table(scope, id, {
    partitionKey: { name: layout.partitionKey, type: AttributeType.STRING },
    sortKey: { name: layout.sortKey, type: sortKeyType },
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: layout.expiryAttribute,
    ...rest,
  });
}

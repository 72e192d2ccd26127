import type { ChangeRecord } from '../events/stream-record';
import {
  type HistoryItem,
  type HistoryItemOptions,
  type HistorySkipReason,
  historyDecisionOfRecord,
} from './history-item';
import type { HistoryWriter } from './history-store';

/** A DynamoDB stream record as Lambda hands it over, as far as the history reads it. */
export type HistoryStreamRecord = ChangeRecord & {
  eventID?: string;
  dynamodb?: ChangeRecord['dynamodb'] & { SequenceNumber?: string };
};

/** What became of one record, for the handler's logs and metrics. */
export type RecordOutcome =
  | { result: 'recorded'; sequenceNumber: string; item: HistoryItem }
  | { result: 'skipped'; sequenceNumber: string; reason: HistorySkipReason }
  | { result: 'failed'; sequenceNumber: string; error: unknown };

/** The answer of a stream consumer with ReportBatchItemFailures. */
export interface BatchItemFailures {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface RecordHistoryOptions extends HistoryItemOptions {
  store: HistoryWriter;
  /** Called once per record, in stream order, after the batch's writes are done. */
  onRecord?: (outcome: RecordOutcome) => void;
}

/**
 * Writes the history items of one stream batch and says which records failed, for a consumer
 * with ReportBatchItemFailures. Unlike the change-event publisher, it tries every record: the
 * history is ordered by its sort key, not by write order, and a put of the same record again
 * is harmless, so a failure need not hold back the records after it. Lambda retries from the
 * first failed record (re-putting those after it, identically), so nothing valid is dropped.
 *
 * A record that cannot be read fails too, rather than being skipped: a wrong stream view type
 * is to be fixed, and the record reaches the consumer's on-failure destination once retries are
 * spent. A record without a sequence number is reported with an empty identifier, which Lambda
 * takes as the whole batch failing: it cannot be told apart otherwise.
 *
 * Returns every failed record; when that is every record, the handler should throw instead, so
 * that Lambda's BisectBatchOnFunctionError can split the batch (as Powertools does).
 */
export async function recordHistory(
  records: readonly HistoryStreamRecord[],
  options: RecordHistoryOptions,
): Promise<BatchItemFailures> {
  const outcomes: RecordOutcome[] = [];
  const toWrite: { item: HistoryItem; outcome: number }[] = [];
  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    try {
      const decision = historyDecisionOfRecord(record, options);
      if (decision.record) {
        toWrite.push({ item: decision.item, outcome: outcomes.length });
        outcomes.push({ result: 'recorded', sequenceNumber, item: decision.item });
      } else {
        outcomes.push({ result: 'skipped', sequenceNumber, reason: decision.reason });
      }
    } catch (error) {
      outcomes.push({ result: 'failed', sequenceNumber, error });
    }
  }
  const failures = await appendAll(
    options.store,
    toWrite.map(({ item }) => item),
  );
  for (const { index, error } of failures) {
    const at = toWrite[index]?.outcome as number;
    outcomes[at] = { result: 'failed', sequenceNumber: outcomes[at]?.sequenceNumber ?? '', error };
  }
  for (const outcome of outcomes) options.onRecord?.(outcome);
  return {
    batchItemFailures: outcomes
      .filter((outcome) => outcome.result === 'failed')
      .map((outcome) => ({ itemIdentifier: outcome.sequenceNumber })),
  };
}

/** `append`, where a store that throws leaves every item in doubt: all of them are retried. */
async function appendAll(store: HistoryWriter, items: HistoryItem[]) {
  if (items.length === 0) return [];
  try {
    return await store.append(items);
  } catch (error) {
    return items.map((_item, index) => ({ index, error }));
  }
}

import type { PutEventsCommandOutput, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishFailedError } from '../errors';
import type { ConnectionChangeDetail } from './change-event';
import { entrySize, MAX_PUT_EVENTS_BYTES, MAX_PUT_EVENTS_ENTRIES, toEntry } from './event-entry';

/** Where change events go: EventBridge in AWS, a printer in the local run, a list in tests. */
export interface ChangePublisher {
  /** Publishes every change, in order; throws `PublishFailedError` unless every one was accepted. */
  publish(details: readonly ConnectionChangeDetail[]): Promise<void>;
}

/** The one call of the EventBridge client this needs, so a test can hand it a fake. */
export interface PutEventsClient {
  send(command: PutEventsCommand): Promise<Pick<PutEventsCommandOutput, 'FailedEntryCount' | 'Entries'>>;
}

/** Consecutive entries in requests of at most 10 entries and 256 KB, as PutEvents takes them. */
function requests(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const chunks: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let size = 0;
  for (const entry of entries) {
    const bytes = entrySize(entry);
    if (
      current.length === MAX_PUT_EVENTS_ENTRIES ||
      (current.length > 0 && size + bytes > MAX_PUT_EVENTS_BYTES)
    ) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Puts change events on an EventBridge bus. PutEvents answers HTTP 200 even when entries
 * failed (`FailedEntryCount`, and `ErrorCode` on each failed entry): any failed entry throws,
 * naming it, and no later request is sent, so that nothing is dropped and order is kept.
 */
export class EventBridgeChangePublisher implements ChangePublisher {
  constructor(
    private readonly client: PutEventsClient,
    private readonly eventBusName: string,
  ) {}

  async publish(details: readonly ConnectionChangeDetail[]): Promise<void> {
    const entries = details.map((detail) => toEntry(detail, this.eventBusName));
    let offset = 0;
    for (const chunk of requests(entries)) {
      const output = await this.client.send(new PutEventsCommand({ Entries: chunk }));
      const results = output.Entries ?? [];
      const failed = chunk.flatMap((_entry, index) => {
        const result = results[index];
        if (result?.EventId && !result.ErrorCode) return [];
        const detail = details[offset + index];
        return [
          {
            changeId: detail?.changeId ?? '(unknown)',
            errorCode: result?.ErrorCode ?? 'NoResult',
            errorMessage: result?.ErrorMessage ?? 'PutEvents returned no result for the entry',
          },
        ];
      });
      if (failed.length > 0 || (output.FailedEntryCount ?? 0) > 0) throw new PublishFailedError(failed);
      offset += chunk.length;
    }
  }
}

import type { PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishFailedError } from '../errors';
import type { ConnectionChangeDetail } from './change-event';
import { toEntry } from './event-entry';

/** Where change events go: EventBridge in AWS, a printer in the local run, a list in tests. */
export interface ChangePublisher {
  /** Publishes one change; throws `PublishFailedError` unless it was accepted. */
  publish(detail: ConnectionChangeDetail): Promise<void>;
}

/** The one call of the EventBridge client this needs, so a test can hand it a fake. */
export interface PutEventsClient {
  send(command: PutEventsCommand): Promise<Pick<PutEventsCommandOutput, 'FailedEntryCount' | 'Entries'>>;
}

/**
 * Puts change events on an EventBridge bus, one entry a request: the stream handler publishes
 * records one after the other and stops at the first failure, which keeps them in order and
 * makes each failure its record's (PutEvents takes 10 entries, but a refused one among them
 * would leave the later ones published before it). PutEvents answers HTTP 200 even when the
 * entry failed (`FailedEntryCount`, and `ErrorCode` on the entry): that throws, naming it.
 */
export class EventBridgeChangePublisher implements ChangePublisher {
  constructor(
    private readonly client: PutEventsClient,
    private readonly eventBusName: string,
  ) {}

  async publish(detail: ConnectionChangeDetail): Promise<void> {
    const output = await this.client.send(
      new PutEventsCommand({ Entries: [toEntry(detail, this.eventBusName)] }),
    );
    const [result] = output.Entries ?? [];
    if (result?.EventId && !result.ErrorCode && !output.FailedEntryCount) return;
    throw new PublishFailedError([
      {
        changeId: detail.changeId,
        errorCode: result?.ErrorCode ?? 'NoResult',
        errorMessage: result?.ErrorMessage ?? 'PutEvents returned no result for the entry',
      },
    ]);
  }
}

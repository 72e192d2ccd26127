import { EarlierRecordFailedError } from '../errors';
import type { Logger } from '../observability/powertools';
import type { ConnectionChangeDetail } from './change-event';
import type { ChangePublisher } from './publisher';
import type { ChangeRecord } from './stream-record';
import { changeOfRecord } from './stream-record';

export type RecordResult = 'published' | 'skipped';

/**
 * Handles one batch's records one after the other, in stream order. After the first failure
 * every later record of the batch fails too, unattempted: Lambda retries a stream from the
 * first failed record, so publishing later ones now would only put them out before the
 * failed one. Made anew for each batch: it remembers whether the batch has failed.
 */
export function recordPublisher(
  publisher: ChangePublisher,
  logger: Logger,
  onResult: (result: RecordResult, detail?: ConnectionChangeDetail) => void = () => {},
) {
  let failed = false;
  return async (record: ChangeRecord & { eventID?: string }): Promise<RecordResult> => {
    if (failed) throw new EarlierRecordFailedError();
    try {
      const decision = changeOfRecord(record);
      if (!decision.publish) {
        logger.debug('change skipped', { eventID: record.eventID, reason: decision.reason });
        onResult('skipped');
        return 'skipped';
      }
      await publisher.publish(decision.detail);
      const { changeId, companyId, connectionId, change, status, previousStatus } = decision.detail;
      logger.info('change published', { changeId, companyId, connectionId, change, previousStatus, status });
      onResult('published', decision.detail);
      return 'published';
    } catch (error) {
      failed = true;
      logger.error('change not published', { eventID: record.eventID, error });
      throw error;
    }
  };
}

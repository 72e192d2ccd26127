import type { ConnectionChangeDetail } from './change-event';
import { CHANGE_EVENT_DETAIL_TYPE, CHANGE_EVENT_SOURCE } from './names';

/** EventBridge's limit on the entries of one PutEvents request, counted as its documentation says. */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;

/** One PutEvents entry, in the SDK's spelling. */
export interface ChangeEventEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
  EventBusName?: string;
}

/** An entry's size as EventBridge counts it: 14 bytes for Time, and the UTF-8 bytes of the rest. */
export function entrySize(entry: {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: Date;
  Resources?: string[];
}): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

/**
 * The PutEvents entry of a change. Only the connection's errors can be large (a stored item
 * may be 400 KB); when the entry would pass EventBridge's limit they are left out, counted in
 * `dataConnectionErrorsOmitted`, rather than the event being lost or retried forever.
 */
export function toEntry(detail: ConnectionChangeDetail, eventBusName?: string): ChangeEventEntry {
  const entry = (body: ConnectionChangeDetail): ChangeEventEntry => ({
    Source: CHANGE_EVENT_SOURCE,
    DetailType: CHANGE_EVENT_DETAIL_TYPE,
    Detail: JSON.stringify(body),
    Time: new Date(body.storedAt),
    ...(eventBusName ? { EventBusName: eventBusName } : {}),
  });
  const full = entry(detail);
  if (entrySize(full) <= MAX_PUT_EVENTS_BYTES) return full;
  return entry({
    ...detail,
    dataConnectionErrors: [],
    dataConnectionErrorsOmitted: detail.dataConnectionErrors.length,
  });
}

import type { ConnectionChangeDetail } from './change-event';
import { capStrings } from './cut-strings';
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

/**
 * An entry's size as AWS's "Calculating Amazon EventBridge PutEvents event entry size" counts
 * it: 14 bytes for Time, and the UTF-8 bytes of the rest. `EventBusName` does not count.
 */
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
 * The PutEvents entry of a change, built to fit EventBridge's 256 KB whatever the stored item
 * holds (an item may be 400 KB, and the company name appears twice, in `companyName` and in
 * `summary`): an entry that does not fit is refused on every retry and would hold back its
 * shard for hours. When the whole detail does not fit, it is cut in this order, each step only
 * when the one before was not enough, and every field cut is named in `detail.truncated`:
 *
 * 1. `dataConnectionErrors` are left out, counted in `dataConnectionErrorsOmitted`;
 * 2. connection info: the detail carries none (`changedFields` only names `connectionInfo`), so
 *    there is nothing to leave out;
 * 3. long strings (`companyName`, `summary`, tag values, `platformName`, `cause`, …): the
 *    longest first, each cut to the same length, ending in `…`; `changeId`, `change`,
 *    `companyId` and `connectionId` are never cut;
 * 4. `companyTags`, when its keys alone (thousands of tags) pass the limit: left out, counted
 *    in `companyTagsOmitted`.
 */
export function toEntry(detail: ConnectionChangeDetail, eventBusName?: string): ChangeEventEntry {
  const entry = (body: ConnectionChangeDetail): ChangeEventEntry => ({
    Source: CHANGE_EVENT_SOURCE,
    DetailType: CHANGE_EVENT_DETAIL_TYPE,
    Detail: JSON.stringify(body),
    // From the whole detail: a cut `storedAt` would be no date.
    Time: new Date(detail.storedAt),
    ...(eventBusName ? { EventBusName: eventBusName } : {}),
  });
  const fits = (body: ConnectionChangeDetail) => entrySize(entry(body)) <= MAX_PUT_EVENTS_BYTES;
  if (fits(detail)) return entry(detail);
  // Everything of the entry but its detail.
  const overhead = entrySize({ ...entry(detail), Detail: '' });

  const withoutErrors: ConnectionChangeDetail = detail.dataConnectionErrors.length
    ? {
        ...detail,
        dataConnectionErrors: [],
        dataConnectionErrorsOmitted: detail.dataConnectionErrors.length,
        truncated: ['dataConnectionErrors'],
      }
    : detail;
  if (fits(withoutErrors)) return entry(withoutErrors);

  const budget = { overhead, limitBytes: MAX_PUT_EVENTS_BYTES };
  const stringsCut = capStrings(withoutErrors, budget, fits);
  if (stringsCut) return entry(stringsCut);

  const { companyTags, ...withoutTags } = withoutErrors;
  const tagsLeftOut: ConnectionChangeDetail = {
    ...withoutTags,
    companyTagsOmitted: Object.keys(companyTags ?? {}).length,
    truncated: [...(withoutErrors.truncated ?? []), 'companyTags'],
  };
  const tagsAndStringsCut = capStrings(tagsLeftOut, budget, fits);
  if (tagsAndStringsCut) return entry(tagsAndStringsCut);
  // Unreachable for any item DynamoDB stores: what is left is bounded (see WHOLE in cut-strings.ts).
  throw new Error(`the change ${detail.changeId} cannot be made to fit one PutEvents entry`);
}

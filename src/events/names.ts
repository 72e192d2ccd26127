/**
 * The change events' names, plain values shared by the publisher and the stack's rules and
 * patterns, so that the two cannot drift apart.
 */
/** The `source` of every change event: a consumer's pattern names it. */
export const CHANGE_EVENT_SOURCE = 'codat.connections';
/** The `detail-type` of every change event. */
export const CHANGE_EVENT_DETAIL_TYPE = 'Connection Changed';

/**
 * The names of the connection-health metrics (issue 19), published by the sweep and the
 * change-event publisher and charted and alarmed on by lib/health.ts: in one place, plain
 * values, as src/observability/names.ts keeps the others. Namespace, `service` and `stage` are
 * those of every metric of the stack.
 */
export const HEALTH_METRIC = {
  /**
   * Live connections (tombstones left out), one data point per complete walk, by `Status`
   * alone, by `Status` and `Platform`, and by `Status` and `SourceType`.
   */
  connections: 'Connections',
  /**
   * Count of change events that moved a connection to another status (`Status`: the new one,
   * or `Created` or `Deleted`), by `Status` alone and by `Status` and `Platform`.
   */
  transitions: 'ConnectionTransitions',
} as const;

export const HEALTH_DIMENSION = {
  status: 'Status',
  /** The connection's `platformName`, as a dimension value may hold it (see `dimensionValue`). */
  platform: 'Platform',
  sourceType: 'SourceType',
} as const;

/**
 * What a new connection and a deletion count under in `ConnectionTransitions`, no status of
 * the provider's: a connection the reconciler's backfill creates `Deauthorized` did not just
 * become so, and must not count towards the surge alarm.
 */
export const CREATED_STATUS = 'Created';
export const DELETED_STATUS = 'Deleted';

/** The statuses whose surge means authorizations are failing: the alarm's and the dashboard's. */
export const BROKEN_STATUSES = ['Deauthorized', 'Unlinked'] as const;

/**
 * At most this many platforms are named in `Connections`, those with the most connections; the
 * rest are summed under `OTHER_PLATFORMS`. Each platform named is 4 metrics (one per status).
 */
export const MAX_COUNTED_PLATFORMS = 30;
export const OTHER_PLATFORMS = '(other platforms)';

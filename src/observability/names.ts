/**
 * The names the function publishes its metrics under and the stack charts and alarms on, in one
 * place (plain values, no AWS libraries) so that the two cannot drift apart.
 */
export const METRICS_NAMESPACE = 'CodatConnections';

/** The `service` dimension and the logs' `service` key (Powertools' default dimension). */
export const SERVICE_NAME = 'codat-connections';

/** Every metric carries `service` and `stage`; these add one more, from a fixed short list. */
export const METRIC = {
  /** Count, one per delivery, with dimension `Result`. */
  deliveries: 'Deliveries',
  /** Count, one per rejected (4xx) delivery, with dimension `Reason`. */
  rejections: 'Rejections',
  /** Milliseconds from the event's generatedDate to its receipt, connection events only. */
  deliveryLag: 'DeliveryLagMs',
} as const;

/** The reconciler's metrics, one data point each per walk (or per endpoint check). */
export const RECONCILE_METRIC = {
  companies: 'ReconcileCompanies',
  connections: 'ReconcileConnections',
  /** Count, with dimension `Change`: created, updated, tombstoned, newerKept. */
  changes: 'ReconcileChanges',
  apiRequests: 'ReconcileApiRequests',
  apiThrottles: 'ReconcileApiThrottles',
  walkSeconds: 'ReconcileWalkSeconds',
  /** Items the walk could not read or store (each named in the sweep's log line). */
  invalidItems: 'ReconcileInvalidItems',
  /** 1 when a walk ended incomplete (and so deleted nothing), 0 otherwise. */
  incomplete: 'ReconcileIncomplete',
  /** 1 when the provider lists this stack's webhook endpoint as disabled, 0 when enabled. */
  endpointDisabled: 'WebhookEndpointDisabled',
  /** 1 when the provider lists no webhook endpoint with this stack's URL. */
  endpointMissing: 'WebhookEndpointMissing',
  /** 1 when the endpoint check could not ask the provider (no answer within its time, an API error). */
  endpointUnchecked: 'WebhookEndpointUnchecked',
} as const;

export const RECONCILE_CHANGES = ['created', 'updated', 'tombstoned', 'newerKept'] as const;

export const DIMENSION = {
  result: 'Result',
  reason: 'Reason',
  change: 'Change',
  stage: 'stage',
  service: 'service',
} as const;

/** Every value the `Result` dimension takes. */
export const DELIVERY_RESULTS = ['applied', 'duplicate', 'stale', 'ignored', 'rejected', 'failed'] as const;
export type DeliveryResult = (typeof DELIVERY_RESULTS)[number];

/**
 * Why a delivery was refused (`rejected`, 4xx) or could not be handled (`failed`, 5xx), from a
 * short fixed list: the `Reason` dimension, where free text would make a new metric of every
 * message.
 */
export const REJECTION_CODES = [
  'source-ip',
  'missing-header',
  'timestamp',
  'signature',
  'too-large',
  'invalid-json',
  'invalid-payload',
  'unstorable',
] as const;
export const FAILURE_CODES = ['storage', 'storage-rejected', 'timeout', 'secret', 'internal'] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];
export type FailureCode = (typeof FAILURE_CODES)[number];

/** The change-event publisher's metric: Count, one per stream record, with dimension `Result`. */
export const CHANGE_EVENTS_METRIC = 'ChangeEvents';
/** Every value its `Result` dimension takes. */
export const CHANGE_EVENT_RESULTS = ['published', 'skipped', 'failed', 'deferred'] as const;

/** The history writer's metrics, one data point each per stream batch: what became of its records. */
export const HISTORY_METRIC = {
  /** Count of history items written (or written again, identically, on a retry). */
  recorded: 'HistoryRecorded',
  /** Count of records that make no history item (see docs/history.md). */
  skipped: 'HistorySkipped',
  /** Count of records that could not be read or written: retried, then on the failure queue. */
  failed: 'HistoryFailed',
} as const;

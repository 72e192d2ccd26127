import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { CompanyDeletedEvent, ConnectionEvent } from '../connection/schema';
import type { CompanyTombstoneOutcome, WriteOutcome } from '../connection/store';

/** What the log line says of one delivery, filled in by the middlewares as the request goes. */
export interface DeliveryFields {
  webhookId?: string;
  eventType?: string;
  companyId?: string;
  connectionId?: string;
  /** Receipt time minus the event's generatedDate, for connection and company.deleted events. */
  lagMs?: number;
}

/** A verified, parsed and validated body: a connection event, a company's deletion, or another type to acknowledge. */
export type Delivery =
  | { kind: 'connection'; event: ConnectionEvent }
  | { kind: 'company-deleted'; event: CompanyDeletedEvent }
  | { kind: 'other'; eventType: string };

/**
 * The API Gateway event as the handler sees it: `parseDelivery` has added the verified body,
 * parsed and validated, as `delivery` (as `@middy/http-json-body-parser` replaces `body`).
 */
export type WebhookEvent = APIGatewayProxyEventV2 & { delivery?: Delivery };

export type WebhookResult = APIGatewayProxyStructuredResultV2;

/**
 * What the handler made of a delivery, as a value: `deliveryRecord` logs and counts its
 * `result`, and only then answers it, as the JSON body of a 200.
 */
export type DeliveryOutcome =
  | { result: 'ignored' }
  | { result: WriteOutcome }
  | ({ result: 'applied' } & CompanyTombstoneOutcome);

/**
 * `request.response` along the receiver's chain: the handler's outcome, until `deliveryRecord`
 * answers it (or answers the error); the chain's caller only ever gets the `WebhookResult`.
 */
export type DeliveryResponse = DeliveryOutcome | WebhookResult;

/** Per-request state shared by the receiver's middlewares, on middy's `request.internal`. */
export interface DeliveryInternal extends Record<string, unknown> {
  /** `performance.now()` when the delivery record began. */
  startedAt?: number;
  fields?: DeliveryFields;
  /** The body's exact bytes, once its signature has been checked. */
  verifiedBody?: Buffer;
  /** The line's members that the outcome does not change, serialized while the write is in flight. */
  described?: string;
  describing?: NodeJS.Immediate;
}

/** The receiver's middlewares, typed for its chain. */
export type DeliveryMiddleware = import('@middy/core').MiddlewareObj<
  WebhookEvent,
  DeliveryResponse,
  Error,
  Context,
  DeliveryInternal
>;

/** The log fields of the request in flight, created by whichever middleware writes first. */
export function fieldsOf(request: { internal: DeliveryInternal }): DeliveryFields {
  // Every field there from the start (unset ones are left out of the line), so that the
  // object keeps one shape as the middlewares fill it in.
  request.internal.fields ??= {
    webhookId: undefined,
    eventType: undefined,
    companyId: undefined,
    connectionId: undefined,
    lagMs: undefined,
  };
  return request.internal.fields;
}

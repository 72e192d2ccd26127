import * as v from 'valibot';
import { toEpochMs } from '../connection/date-time';
import {
  CompanyDeletedEvent,
  ConnectionEvent,
  EventTypeOnly,
  isConnectionEventType,
  toProblems,
} from '../connection/schema';
import { DEFAULT_SIGNATURE_TOLERANCE_SECONDS } from '../defaults';
import { InvalidPayloadError } from '../errors';
import { type DeliveryMiddleware, fieldsOf } from './delivery';
import { parseJsonBody } from './json-body';

/** Milliseconds from `generatedDate` (any of Codat's forms, read as UTC) to `receivedAt`. */
function lagMs(generatedDate: string, receivedAt: Date): number | undefined {
  const generatedAt = toEpochMs(generatedDate);
  return generatedAt === undefined ? undefined : receivedAt.getTime() - generatedAt;
}

function parse<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
): v.InferOutput<TSchema> {
  const parsed = v.safeParse(schema, input);
  if (!parsed.success) throw new InvalidPayloadError(toProblems(parsed.issues));
  return parsed.output;
}

/**
 * The event type, read directly when it is a non-empty string (nearly every delivery), so that
 * only a body without one goes through EventTypeOnly, which names the problem.
 */
function eventTypeOf(body: unknown): string {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const { eventType } = body as { eventType?: unknown };
    if (typeof eventType === 'string' && eventType !== '') return eventType;
  }
  return parse(EventTypeOnly, body).eventType;
}

/** How far ahead of the receipt time an event may be dated: the signature's own window. */
const FUTURE_TOLERANCE_MS = DEFAULT_SIGNATURE_TOLERANCE_SECONDS * 1000;

/**
 * Events are applied in `generatedDate` order, so one dated far ahead would win every later
 * comparison and wedge its connection at that state. It is refused (400, which the provider
 * retries), and lands once its date is no longer in the future.
 */
function refuseFuture(lag: number | undefined): void {
  if (lag !== undefined && -lag > FUTURE_TOLERANCE_MS) {
    const seconds = Math.round(-lag / 1000);
    throw new InvalidPayloadError([
      {
        path: 'generatedDate',
        message: `is ${seconds} s ahead of the receipt time; at most ${FUTURE_TOLERANCE_MS / 1000} s is accepted`,
      },
    ]);
  }
}

/**
 * Parses the verified body and validates it against the provider's contract, then hands it to
 * the handler as `event.delivery`: a connection event, or `company.deleted`. Any other event type
 * is passed on as such, to be acknowledged.
 */
export function parseDelivery(options: { now: () => Date }): DeliveryMiddleware {
  return {
    before: (request) => {
      const { verifiedBody } = request.internal;
      if (!verifiedBody) throw new Error('parseDelivery must come after signedBody in the chain');
      const fields = fieldsOf(request);
      const body = parseJsonBody(verifiedBody);
      const eventType = eventTypeOf(body);
      fields.eventType = eventType;
      if (eventType === 'company.deleted') {
        const event = parse(CompanyDeletedEvent, body);
        fields.companyId = event.payload.id;
        fields.lagMs = lagMs(event.generatedDate, options.now());
        refuseFuture(fields.lagMs);
        request.event.delivery = { kind: 'company-deleted', event };
        return;
      }
      if (!isConnectionEventType(eventType)) {
        request.event.delivery = { kind: 'other', eventType };
        return;
      }
      const event = parse(ConnectionEvent, body);
      fields.companyId = event.payload.referenceCompany.id;
      fields.connectionId = event.payload.connection.id;
      fields.lagMs = lagMs(event.generatedDate, options.now());
      refuseFuture(fields.lagMs);
      request.event.delivery = { kind: 'connection', event };
    },
  };
}

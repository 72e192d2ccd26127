import * as v from 'valibot';
import { toSortableUtc } from '../connection/date-time';
import {
  CompanyDeletedEvent,
  ConnectionEvent,
  EventTypeOnly,
  isConnectionEventType,
  toProblems,
} from '../connection/schema';
import { InvalidPayloadError } from '../errors';
import { type DeliveryMiddleware, fieldsOf } from './delivery';
import { parseJsonBody } from './json-body';

/** Milliseconds from `generatedDate` (any of Codat's forms, read as UTC) to `receivedAt`. */
function lagMs(generatedDate: string, receivedAt: Date): number | undefined {
  const utc = toSortableUtc(generatedDate);
  if (utc === undefined) return undefined;
  return receivedAt.getTime() - Date.parse(`${utc.slice(0, 23)}Z`);
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
      const { eventType } = parse(EventTypeOnly, body);
      fields.eventType = eventType;
      if (eventType === 'company.deleted') {
        const event = parse(CompanyDeletedEvent, body);
        fields.companyId = event.payload.id;
        fields.lagMs = lagMs(event.generatedDate, options.now());
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
      request.event.delivery = { kind: 'connection', event };
    },
  };
}

import { type ErrorAnswer, json, jsonText, toErrorAnswer } from '../http/answers';
import type { DeliveryCount, DeliveryLog } from '../observability/delivery-log';
import type { DeliveryResult } from '../observability/names';
import { sourceMappedStack } from '../observability/stack-trace';
import {
  type DeliveryFields,
  type DeliveryInternal,
  type DeliveryMiddleware,
  type DeliveryOutcome,
  type DeliveryResponse,
  fieldsOf,
} from './delivery';

/** What one delivery counts: its result; a rejection also by its reason; a connection event's lag. */
function countOf(result: DeliveryResult, fields: DeliveryFields, answer?: ErrorAnswer): DeliveryCount {
  return { result, rejection: answer?.result === 'rejected' ? answer.code : undefined, lagMs: fields.lagMs };
}

/** The handler's outcome, once it has returned one (and nothing has answered it yet). */
function isOutcome(response: DeliveryResponse | null | undefined): response is DeliveryOutcome {
  return typeof response === 'object' && response !== null && 'result' in response;
}

/**
 * Writes one line per delivery, whatever its fate (its log fields and, in Lambda, its metrics),
 * and gives the provider its answer: the handler's outcome as JSON, or every error through
 * `toErrorAnswer`. Never logs the secret, a signature or the body. The outermost middleware.
 */
export function deliveryRecord(log: DeliveryLog): DeliveryMiddleware {
  const durationMs = (startedAt = performance.now()) => Math.round((performance.now() - startedAt) * 10) / 10;
  /** What `describeWhileWriting` serialized, once it has run; it is not run twice. */
  const described = (request: { internal: DeliveryInternal }): string | undefined => {
    clearImmediate(request.internal.describing);
    return request.internal.described;
  };
  return {
    before: (request) => {
      request.internal.startedAt = performance.now();
      const headers = request.event.headers ?? {};
      // Logged even when the signature then fails, so that an operator can find a refused
      // delivery by the id the provider's portal shows; bounded, since it is not yet trusted.
      fieldsOf(request).webhookId = (headers['webhook-id'] ?? headers['svix-id'])?.slice(0, 128);
    },
    after: (request) => {
      const outcome = request.response;
      if (!isOutcome(outcome)) throw new Error("the receiver's handler must return its outcome");
      // Answered here, the edge: what is logged and counted is what the provider is told. A
      // result is one of DELIVERY_RESULTS, a word, so an outcome that is its result alone (every
      // connection event's) is written as text, and so is the line's ending: the serializer is
      // a call out of JavaScript, paid twice a delivery after the write.
      const { result } = outcome;
      request.response =
        'tombstoned' in outcome ? json(200, outcome) : jsonText(200, `{"result":"${result}"}`);
      const fields = fieldsOf(request);
      log.delivery(
        'INFO',
        request.context,
        fields,
        `"result":"${result}","statusCode":200,"durationMs":${durationMs(request.internal.startedAt)}`,
        countOf(result, fields),
        described(request),
      );
    },
    onError: (request) => {
      const answer = toErrorAnswer(request.error);
      request.response = answer.response;
      const fields = fieldsOf(request);
      const ending = {
        result: answer.result,
        reason: answer.reason,
        reasonCode: answer.code,
        statusCode: answer.response.statusCode,
        durationMs: durationMs(request.internal.startedAt),
      };
      const count = countOf(answer.result, fields, answer);
      if (answer.result === 'failed') {
        const failure = { ...ending, error: sourceMappedStack(request.error?.stack) };
        log.delivery('ERROR', request.context, fields, failure, count, described(request));
      } else log.delivery('WARN', request.context, fields, ending, count, described(request));
    },
  };
}

/**
 * Serializes the part of the delivery's line that its outcome does not change while the write is
 * in flight: scheduled for the turn of the event loop after the request has gone out, it runs
 * while the process would otherwise wait for DynamoDB, and the answer waits only for what the
 * outcome adds. The innermost middleware: the fields are complete once `parseDelivery` has run
 * (the handler adds none). A delivery answered before it runs serializes them itself.
 */
export function describeWhileWriting(log: DeliveryLog): DeliveryMiddleware {
  return {
    before: (request) => {
      const { internal, context } = request;
      internal.describing = setImmediate(() => {
        internal.described = log.describe(context, fieldsOf(request));
      });
    },
  };
}

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_PROBLEMS_LISTED } from '../defaults';
import {
  DeliveryTimeoutError,
  InvalidPayloadError,
  PayloadTooLargeError,
  SecretUnavailableError,
  SignatureError,
  SigningSecretError,
  SourceNotAllowedError,
  StorageRejectedError,
  StorageUnavailableError,
  UnstorableChangeError,
} from '../errors';
import type { FailureCode, RejectionCode } from '../observability/names';

/** The answer to one rejected or failed delivery, and how it is logged and counted. */
export type ErrorAnswer = {
  response: APIGatewayProxyStructuredResultV2;
  /** Free text for the log line: what exactly was wrong. */
  reason: string;
} & (
  | { /** The sender's fault: retrying will not help. */ result: 'rejected'; code: RejectionCode }
  | { /** Ours: the sender should retry. */ result: 'failed'; code: FailureCode }
);

export function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return jsonText(statusCode, JSON.stringify(body));
}

/** An answer whose body is JSON text already. */
export function jsonText(statusCode: number, body: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body };
}

/** A refusal of the sender's input (4xx): retrying the same delivery will not help. */
const rejected = (statusCode: number, body: unknown, code: RejectionCode, reason: string): ErrorAnswer => ({
  response: json(statusCode, body),
  result: 'rejected',
  code,
  reason,
});

/** A fault of ours: 503 when a retry can cure it, 500 when it cannot. */
const failed = (statusCode: number, body: unknown, code: FailureCode, reason: string): ErrorAnswer => ({
  response: json(statusCode, body),
  result: 'failed',
  code,
  reason,
});

/**
 * The one place where errors become answers. Every answer that is not 2xx makes the provider
 * retry, so 5xx is kept for faults a retry can cure; nothing about the sender's input is a 5xx.
 */
export function toErrorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof SignatureError) {
    return rejected(401, { error: 'invalid signature', reason: error.message }, error.fault, error.message);
  }
  if (error instanceof SourceNotAllowedError) {
    return rejected(403, { error: 'forbidden' }, 'source-ip', error.message);
  }
  if (error instanceof PayloadTooLargeError) {
    const body = { error: 'payload too large', limitBytes: error.limitBytes };
    return rejected(413, body, 'too-large', error.message);
  }
  // Both list what is wrong by path; only the reason code tells the contract from DynamoDB.
  if (error instanceof InvalidPayloadError || error instanceof UnstorableChangeError) {
    const body = {
      error: 'invalid payload',
      problemCount: error.problems.length,
      problems: error.problems.slice(0, MAX_PROBLEMS_LISTED),
    };
    const code = error instanceof InvalidPayloadError ? error.fault : 'unstorable';
    return rejected(400, body, code, error.message);
  }
  if (error instanceof StorageRejectedError) {
    const reason = error.attribute ? `${error.message} (attribute ${error.attribute})` : error.message;
    return failed(500, { error: 'internal error' }, 'storage-rejected', reason);
  }
  if (error instanceof StorageUnavailableError) {
    return failed(503, { error: 'storage unavailable, retry later' }, 'storage', error.message);
  }
  if (error instanceof DeliveryTimeoutError) {
    return failed(503, { error: 'timed out, retry later' }, 'timeout', error.message);
  }
  if (error instanceof SecretUnavailableError || error instanceof SigningSecretError) {
    return failed(503, { error: 'signing secret unavailable, retry later' }, 'secret', error.message);
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return failed(500, { error: 'internal error' }, 'internal', reason);
}

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
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * The one place where errors become answers. Every answer that is not 2xx makes the provider
 * retry, so 5xx is kept for faults a retry can cure; nothing about the sender's input is a 5xx.
 */
export function toErrorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof SignatureError) {
    return {
      response: json(401, { error: 'invalid signature', reason: error.message }),
      result: 'rejected',
      code: error.fault,
      reason: error.message,
    };
  }
  if (error instanceof SourceNotAllowedError) {
    return {
      response: json(403, { error: 'forbidden' }),
      result: 'rejected',
      code: 'source-ip',
      reason: error.message,
    };
  }
  if (error instanceof PayloadTooLargeError) {
    return {
      response: json(413, { error: 'payload too large', limitBytes: error.limitBytes }),
      result: 'rejected',
      code: 'too-large',
      reason: error.message,
    };
  }
  // Both list what is wrong by path; only the reason code tells the contract from DynamoDB.
  if (error instanceof InvalidPayloadError || error instanceof UnstorableChangeError) {
    return {
      response: json(400, {
        error: 'invalid payload',
        problemCount: error.problems.length,
        problems: error.problems.slice(0, MAX_PROBLEMS_LISTED),
      }),
      result: 'rejected',
      code: error instanceof InvalidPayloadError ? error.fault : 'unstorable',
      reason: error.message,
    };
  }
  if (error instanceof StorageRejectedError) {
    return {
      response: json(500, { error: 'internal error' }),
      result: 'failed',
      code: 'storage-rejected',
      reason: error.attribute ? `${error.message} (attribute ${error.attribute})` : error.message,
    };
  }
  if (error instanceof StorageUnavailableError) {
    return {
      response: json(503, { error: 'storage unavailable, retry later' }),
      result: 'failed',
      code: 'storage',
      reason: error.message,
    };
  }
  if (error instanceof DeliveryTimeoutError) {
    return {
      response: json(503, { error: 'timed out, retry later' }),
      result: 'failed',
      code: 'timeout',
      reason: error.message,
    };
  }
  if (error instanceof SecretUnavailableError || error instanceof SigningSecretError) {
    return {
      response: json(503, { error: 'signing secret unavailable, retry later' }),
      result: 'failed',
      code: 'secret',
      reason: error.message,
    };
  }
  return {
    response: json(500, { error: 'internal error' }),
    result: 'failed',
    code: 'internal',
    reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

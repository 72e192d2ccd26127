/**
 * Every error the domain throws, in one module that knows nothing of HTTP: code throws these,
 * and `src/http/answers.ts` alone decides what each one answers.
 */
import type { Problem } from './connection/schema';

/** Why a signature was refused, in a few words fit for a metric dimension. */
export type SignatureFault = 'missing-header' | 'timestamp' | 'signature';

/** The delivery's signature cannot be trusted. The message names the header and what is wrong. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  constructor(
    message: string,
    readonly fault: SignatureFault = 'signature',
  ) {
    super(message);
  }
}

/** The configured signing secret is missing or malformed: a fault of ours, not the sender's. */
export class SigningSecretError extends Error {
  override readonly name = 'SigningSecretError';
}

/** The signing secret could not be read; the sender is not at fault. */
export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

/** The body is larger than the receiver accepts. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`the body is larger than ${limitBytes} bytes`);
  }
}

/** The body is not JSON, or not a delivery the contract allows. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
  constructor(
    readonly problems: Problem[],
    readonly fault: 'invalid-json' | 'invalid-payload' = 'invalid-payload',
  ) {
    super(problems.map((problem) => `${problem.path}: ${problem.message}`).join('; '));
  }
}

/** The store could not be reached or did not answer in time: the provider should retry. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

/**
 * The invocation was about to reach the function's timeout, and the handler had not finished:
 * answered before Lambda cuts it off, so that the provider retries.
 */
export class DeliveryTimeoutError extends Error {
  override readonly name = 'DeliveryTimeoutError';
  constructor(readonly reservedMs: number) {
    super(`the delivery was not handled within the function's time, less ${reservedMs} ms kept to answer`);
  }
}

/**
 * DynamoDB refused the request itself (a `ValidationException`, a missing table, denied access):
 * a bug or a misconfiguration of ours, which no retry cures. Answered 500, never 503.
 */
export class StorageRejectedError extends Error {
  override readonly name = 'StorageRejectedError';
  constructor(
    message: string,
    /** The item attribute DynamoDB's message points at, where it names one. */
    readonly attribute?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The change is valid by the provider's contract, but DynamoDB cannot store it as it is (an
 * empty map key, nesting past 32 levels, an item over 400 KB, a number out of its range).
 */
export class UnstorableChangeError extends Error {
  override readonly name = 'UnstorableChangeError';
  constructor(readonly problems: Problem[]) {
    super(problems.map((problem) => `${problem.path}: ${problem.message}`).join('; '));
  }
}

/** The request came from an address outside the configured allow-list. */
export class SourceNotAllowedError extends Error {
  override readonly name = 'SourceNotAllowedError';
  constructor(readonly sourceIp: string) {
    super(`source address ${sourceIp || '(unknown)'} is not in the allow-list`);
  }
}

/** EventBridge refused one or more change events (PutEvents answers 200 with per-entry errors). */
export class PublishFailedError extends Error {
  override readonly name = 'PublishFailedError';
  constructor(readonly failures: { changeId: string; errorCode: string; errorMessage: string }[]) {
    super(
      `EventBridge refused ${failures.length} change event(s): ${failures
        .map((failure) => `${failure.changeId} ${failure.errorCode}: ${failure.errorMessage}`)
        .join('; ')}`,
    );
  }
}

/** A stream record left for the retry because an earlier record of its batch failed. */
export class EarlierRecordFailedError extends Error {
  override readonly name = 'EarlierRecordFailedError';
  constructor() {
    super('not attempted: an earlier record of the batch failed, and events are published in order');
  }
}

/** The stream was not set up with NEW_AND_OLD_IMAGES, or the record is not one of ours. */
export class UnreadableStreamRecordError extends Error {
  override readonly name = 'UnreadableStreamRecordError';
}

/**
 * A walk step began with less time than one page needs, so it could read nothing; handing the
 * same page to the next step would loop until the execution's own timeout.
 */
export class WalkStepTooShortError extends Error {
  override readonly name = 'WalkStepTooShortError';
  constructor(readonly page: number) {
    super(
      `the walk step had no time to start page ${page}: it must begin with more than one page's ` +
        `margin left; give the function a longer timeout`,
    );
  }
}

/**
 * A query parameter of a read route is not one the route accepts (a `since` that is no
 * date-time, a `cursor` this route never gave out, a `limit` out of range): the caller's to fix.
 */
export class InvalidQueryParameterError extends Error {
  override readonly name = 'InvalidQueryParameterError';
  constructor(
    /** The parameter at fault, as the caller spelled it in the query string. */
    readonly parameter: string,
    reason: string,
  ) {
    super(`${parameter}: ${reason}`);
  }
}
// The reconciler's errors. Their names are what the state machine retries and catches on, and
// what an execution's failure shows: keep them.

/** An answer the API should not give to a well-formed call: 401, 403, 400, or a body of the wrong shape. */
export class CodatApiError extends Error {
  override readonly name: string = 'CodatApiError';

  constructor(
    readonly url: string,
    readonly status: number,
    readonly detail: string,
    readonly correlationId?: string,
  ) {
    super(
      `GET ${url} answered ${status}: ${detail}${correlationId ? ` (correlationId ${correlationId})` : ''}`,
    );
  }
}

/**
 * 401 or 403: the API key was refused. No retry or later run mends it, so the message says
 * where the key is set rather than blame the API.
 */
export class ApiKeyRefusedError extends CodatApiError {
  override readonly name = 'ApiKeyRefusedError';

  constructor(url: string, status: number, detail: string, correlationId?: string) {
    super(url, status, detail, correlationId);
    this.message =
      `the API key was refused (GET ${url} answered ${status}: ${detail}${correlationId ? `, correlationId ${correlationId}` : ''}): ` +
      'set a key from the Codat portal (Developers > API keys) in CODAT_API_KEY when run locally, or in the API key secret (the CodatApiKeySecretArn output) in AWS';
  }
}

/** A call to the API that kept failing (5xx, 429, timeouts, network errors) until its budget was spent. */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';

  constructor(
    readonly url: string,
    readonly attempts: number,
    /** The last HTTP status, or undefined when the last attempt got no answer. */
    readonly lastStatus: number | undefined,
    readonly lastProblem: string,
    /** The page of a list call, when it was one. */
    readonly page?: number,
  ) {
    super(
      `GET ${url}${page === undefined ? '' : ` (page ${page})`} failed after ${attempts} attempt(s): ${lastProblem}`,
    );
  }
}

/** The API key secret still holds what the stack put there: an operator has not set it yet. */
export class ApiKeyNotSetError extends Error {
  override readonly name = 'ApiKeyNotSetError';
}

/** The walk read less than everything: nothing was deleted. Fails the execution, which alarms. */
export class WalkIncompleteError extends Error {
  override readonly name = 'WalkIncompleteError';
}

/** verify-deploy: the stack is not there (the wrong name, region or account). */
export class StackNotFoundError extends Error {
  override readonly name = 'StackNotFoundError';
}

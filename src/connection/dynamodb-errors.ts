import { StorageRejectedError, StorageUnavailableError } from '../errors';

/** Answers DynamoDB asks to be retried, though it sends them as client faults. */
const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
]);

interface ServiceFault {
  name: string;
  message: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** DynamoDB answered 4xx to a request it will never accept: ours to fix, not the network's. */
function isRefusal(error: unknown): error is ServiceFault {
  const fault = error as Partial<ServiceFault> | undefined;
  if (!(error instanceof Error) || fault?.$fault !== 'client') return false;
  if (THROTTLING.has(error.name) || fault.$retryable) return false;
  const status = fault.$metadata?.httpStatusCode ?? 0;
  return status >= 400 && status < 500;
}

/**
 * The attribute a DynamoDB message points at: its expression placeholders (`#a3`, `:a3`) mapped
 * back through `names`, or a key attribute named in it.
 */
function attributeNamed(message: string, names: Readonly<Record<string, string>>): string | undefined {
  for (const [placeholder] of message.matchAll(/[#:][A-Za-z]\w*/g)) {
    const name = names[`#${placeholder.slice(1)}`];
    if (name) return name;
  }
  return undefined;
}

/**
 * What a failed DynamoDB call means for the caller. Throttling, 5xx, time-outs and broken
 * connections are the database's or the network's: retry later (503). A refusal of the request
 * itself is a bug of ours (500), counted apart so that it never reads as an outage.
 */
export function storageError(
  error: unknown,
  names: Readonly<Record<string, string>> = {},
): StorageUnavailableError | StorageRejectedError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (isRefusal(error)) {
    return new StorageRejectedError(
      `DynamoDB refused the request (${reason})`,
      attributeNamed(error.message, names),
      {
        cause: error,
      },
    );
  }
  return new StorageUnavailableError(`DynamoDB did not complete the request (${reason})`, { cause: error });
}

import { isUtf8 } from 'node:buffer';
import { MAY_BE_UNSAFE, unsafeValueProblems } from '../connection/unsafe-values';
import { MAX_PROBLEMS_LISTED } from '../defaults';
import { InvalidPayloadError } from '../errors';

/**
 * Parses a verified body as JSON, refusing what is not UTF-8 (as JSON must be), what is not
 * JSON, and what no valid delivery holds. Keys are checked as parsed, whatever their spelling.
 */
export function parseJsonBody(body: Buffer): unknown {
  // A lenient decoder would store U+FFFD in place of the bad bytes: not what was signed.
  if (!isUtf8(body)) {
    throw new InvalidPayloadError([{ path: '(body)', message: 'is not valid UTF-8' }], 'invalid-json');
  }
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidPayloadError(
      [{ path: '(body)', message: `is not JSON: ${(error as Error).message}` }],
      'invalid-json',
    );
  }
  if (MAY_BE_UNSAFE.test(text)) {
    const problems = unsafeValueProblems(value, MAX_PROBLEMS_LISTED);
    if (problems.length > 0) throw new InvalidPayloadError(problems);
  }
  return value;
}

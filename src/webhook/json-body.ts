import { isUtf8 } from 'node:buffer';
import type { Problem } from '../connection/schema';
import { MAX_PROBLEMS_LISTED } from '../defaults';
import { InvalidPayloadError } from '../errors';

/** Keys that reach prototypes when a parsed body is merged or spread into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A cheap pre-check on the text, so that ordinary bodies are never walked: a forbidden key
 * spelled plainly, or any `\u` escape, since an escape can spell a forbidden key
 * (`"\u005f_proto__"`) or a lone surrogate (`\uD800`), and only the parsed keys tell.
 */
const MAY_BE_UNSAFE = /__proto__|constructor|prototype|\\u/;

function pathOf(parts: readonly (string | number)[]): string {
  return parts.length === 0 ? '(body)' : parts.join('.');
}

/**
 * Finds what no valid delivery holds and what DynamoDB cannot store: prototype keys, and strings
 * with lone UTF-16 surrogates (not valid UTF-8). Walks without recursion, so depth is no danger.
 */
function findUnsafe(root: unknown): Problem[] {
  const problems: Problem[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS_LISTED) {
    const { value, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof value === 'string') {
      if (!value.isWellFormed())
        problems.push({ path: pathOf(path), message: 'holds a lone UTF-16 surrogate' });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        stack.push({ value: item, path: [...path, index] });
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = [...path, key];
        if (FORBIDDEN_KEYS.has(key))
          problems.push({ path: pathOf(at), message: 'is a key no delivery may use' });
        else if (!key.isWellFormed())
          problems.push({ path: pathOf(at), message: 'is a key with a lone UTF-16 surrogate' });
        else stack.push({ value: item, path: at });
      }
    }
  }
  return problems;
}

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
    const problems = findUnsafe(value);
    if (problems.length > 0) throw new InvalidPayloadError(problems);
  }
  return value;
}

import type { Problem } from '../connection/schema';
import { InvalidPayloadError } from '../errors';

/** Keys that reach prototypes when a parsed body is merged or spread into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Cheap pre-checks on the text, so that ordinary bodies are never walked. */
const MAY_HAVE_FORBIDDEN_KEY = /__proto__|constructor|prototype/;
/** A `\uD800`-`\uDFFF` escape: the only way JSON text can carry a lone surrogate. */
const MAY_HAVE_SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

const MAX_PROBLEMS = 20;

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
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
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

/** Parses a verified body as JSON, refusing what is not JSON and what no valid delivery holds. */
export function parseJsonBody(body: Buffer): unknown {
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
  if (MAY_HAVE_FORBIDDEN_KEY.test(text) || MAY_HAVE_SURROGATE_ESCAPE.test(text)) {
    const problems = findUnsafe(value);
    if (problems.length > 0) throw new InvalidPayloadError(problems);
  }
  return value;
}

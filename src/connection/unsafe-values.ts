import { isUtf8Text } from './dynamodb-limits';
import type { Problem } from './schema';

/**
 * What no valid delivery or API answer holds, and what DynamoDB cannot store, checked on parsed
 * JSON by every writer (the receiver's body, each item the reconciler reads): keys that reach
 * prototypes when a parsed value is merged or spread into another object (valibot's `record`
 * copies a nested `__proto__` into the prototype, so the value would vanish on the way to
 * DynamoDB), and strings or keys with lone UTF-16 surrogates (not valid UTF-8).
 */

/** Keys that reach prototypes when a parsed body is merged or spread into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A cheap pre-check on JSON text, so that ordinary bodies are never walked: a forbidden key
 * spelled plainly, or any `\u` escape, since an escape can spell a forbidden key
 * (`"\u005f_proto__"`) or a lone surrogate (`\uD800`), and only the parsed keys tell.
 */
export const MAY_BE_UNSAFE = /__proto__|constructor|prototype|\\u/;

function pathOf(prefix: string, parts: readonly (string | number)[]): string {
  if (parts.length === 0) return prefix || '(body)';
  return [...(prefix ? [prefix] : []), ...parts].join('.');
}

/**
 * The unsafe keys and strings in `root`, each by its path (`prefix.a.__proto__`), at most
 * `limit` of them. Walks without recursion, so depth is no danger.
 */
export function unsafeValueProblems(root: unknown, limit: number, prefix = ''): Problem[] {
  const problems: Problem[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0 && problems.length < limit) {
    const { value, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof value === 'string') {
      if (!isUtf8Text(value))
        problems.push({ path: pathOf(prefix, path), message: 'holds a lone UTF-16 surrogate' });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        stack.push({ value: item, path: [...path, index] });
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = [...path, key];
        if (FORBIDDEN_KEYS.has(key))
          problems.push({ path: pathOf(prefix, at), message: 'is a key no delivery may use' });
        else if (!isUtf8Text(key))
          problems.push({ path: pathOf(prefix, at), message: 'is a key with a lone UTF-16 surrogate' });
        else stack.push({ value: item, path: at });
      }
    }
  }
  return problems;
}

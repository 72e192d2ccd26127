import { setTimeout as delay } from 'node:timers/promises';
import type { DEFAULT_RETRY_POLICY } from '../defaults';
import { RequestFailedError } from '../errors';

/**
 * One GET with retries, bounded in time: `Retry-After` honoured on 429 (seconds or an HTTP date),
 * exponential backoff with full jitter on 408, 5xx, timeouts and network errors, a timeout on
 * every attempt, and one budget for the whole call, after which it fails with a
 * `RequestFailedError` naming the URL and the last status. Other answers (2xx, 4xx) are returned
 * as they are: what they mean is the caller's business.
 */

/** A call's time limits and waits; DEFAULT_RETRY_POLICY (src/defaults.ts) says what each is. */
export type RetryPolicy = typeof DEFAULT_RETRY_POLICY;

/** What the retry loop needs from the world, injectable so tests do not wait. */
export interface RetryEnvironment {
  fetch: typeof globalThis.fetch;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** In [0, 1): the jitter. */
  random: () => number;
}

export const REAL_ENVIRONMENT: RetryEnvironment = {
  fetch: (input, init) => globalThis.fetch(input, init),
  sleep: (ms) => delay(ms),
  now: () => Date.now(),
  random: Math.random,
};

/** Counters for metrics, shared by every call of one client. */
export interface RequestStats {
  /** HTTP attempts made, retries included. */
  requests: number;
  /** Attempts made again after a retryable failure. */
  retries: number;
  /** 429 answers. */
  throttles: number;
}

export function newRequestStats(): RequestStats {
  return { requests: 0, retries: 0, throttles: 0 };
}

export async function getWithRetry(
  url: string,
  headers: Record<string, string>,
  options: {
    policy: RetryPolicy;
    env: RetryEnvironment;
    stats: RequestStats;
    page?: number;
    /** Epoch ms (on `env.now`) that no attempt or wait may pass: the caller's own time limit. */
    deadline?: number;
  },
): Promise<Response> {
  const { policy, env, stats, page } = options;
  const outer = options.deadline ?? Number.POSITIVE_INFINITY;
  const ownBudgetEnds = env.now() + policy.budgetMs;
  const deadline = Math.min(ownBudgetEnds, outer);
  const limit =
    outer < ownBudgetEnds
      ? `the deadline it was given, ${Math.max(0, outer - env.now())} ms away`
      : `budget ${policy.budgetMs} ms`;
  if (env.now() >= deadline) {
    throw new RequestFailedError(
      url,
      0,
      undefined,
      'no time was left before the deadline it was given',
      page,
    );
  }
  let attempt = 0;
  for (;;) {
    attempt += 1;
    if (attempt > 1) stats.retries += 1;
    stats.requests += 1;
    const timeoutMs = Math.max(1, Math.min(policy.attemptTimeoutMs, deadline - env.now()));
    let status: number | undefined;
    let problem: string;
    let waitMs: number | undefined;
    try {
      const response = await env.fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
      if (!isRetryable(response.status)) return response;
      status = response.status;
      problem = `status ${status}`;
      if (status === 429) {
        stats.throttles += 1;
        waitMs = retryAfterMs(response.headers.get('retry-after'), env.now());
      }
      await response.body?.cancel();
    } catch (error) {
      problem = describe(error, timeoutMs);
    }
    waitMs ??= backoffMs(attempt, policy, env.random);
    if (env.now() + waitMs >= deadline) {
      const why =
        waitMs > 0 && env.now() < deadline ? `${problem}; the next wait would pass the budget` : problem;
      throw new RequestFailedError(url, attempt, status, `${why} (${limit})`, page);
    }
    await env.sleep(waitMs);
  }
}

function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Full jitter: a random wait up to a ceiling that doubles each attempt. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError')
    return `no answer within ${timeoutMs} ms`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `network error (${error.message}${cause})`;
  }
  return `network error (${String(error)})`;
}

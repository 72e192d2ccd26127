/**
 * Faults a test can program into the fake API, and the log of what it was asked. A rule matches
 * a request by path (exact, e.g. `/companies`) and optionally by page; it applies `times` times
 * (forever when left out) and then falls away.
 */

export interface RequestMatch {
  /** The URL path, e.g. `/companies` or `/companies/{id}/connections`. Any path when left out. */
  path?: string;
  /** Only this page of a paged list. */
  page?: number;
}

export interface FaultAnswer {
  status: number;
  headers: Record<string, string>;
  error: string;
}

interface Rule {
  match: RequestMatch;
  remaining: number;
  delayMs?: number;
  answer?: FaultAnswer;
}

export interface IncomingRequest {
  path: string;
  page?: number;
}

export interface FaultDecision {
  delayMs: number;
  answer?: FaultAnswer;
}

export class Faults {
  private rules: Rule[] = [];
  private perMinute: number | undefined;
  private minute = -1;
  private countThisMinute = 0;

  constructor(private readonly now: () => number) {}

  /** 429 with `Retry-After` (seconds, or an HTTP date) for the next `times` matching requests. */
  throttle(options: { times?: number; retryAfter?: number | string; match?: RequestMatch } = {}): this {
    const retryAfter = String(options.retryAfter ?? 1);
    return this.add(options, {
      answer: {
        status: 429,
        headers: { 'retry-after': retryAfter },
        error: 'You have made too many requests in a given amount of time; please retry later.',
      },
    });
  }

  /** A server error (500 by default) for the next `times` matching requests, or forever. */
  fail(options: { status?: number; times?: number; match?: RequestMatch } = {}): this {
    return this.add(options, {
      answer: {
        status: options.status ?? 500,
        headers: {},
        error: 'There is a problem with our server. Please try again later.',
      },
    });
  }

  /** Answers matching requests only after `delayMs`. */
  slow(options: { delayMs: number; times?: number; match?: RequestMatch }): this {
    return this.add(options, { delayMs: options.delayMs });
  }

  /** At most `limit` requests per clock minute, as the provider's per-IP limit; `undefined` lifts it. */
  limitPerMinute(limit: number | undefined): this {
    this.perMinute = limit;
    return this;
  }

  clear(): this {
    this.rules = [];
    this.perMinute = undefined;
    return this;
  }

  /** What to do with one request: consumes the rules it matches. */
  decide(request: IncomingRequest): FaultDecision {
    let delayMs = 0;
    let answer: FaultAnswer | undefined = this.minuteLimit();
    for (const rule of this.rules) {
      if (!matches(rule.match, request)) continue;
      if (rule.delayMs !== undefined) {
        delayMs += rule.delayMs;
        rule.remaining -= 1;
      } else if (!answer && rule.answer) {
        answer = rule.answer;
        rule.remaining -= 1;
      }
    }
    this.rules = this.rules.filter((rule) => rule.remaining > 0);
    return { delayMs, answer };
  }

  private minuteLimit(): FaultAnswer | undefined {
    if (this.perMinute === undefined) return undefined;
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.countThisMinute = 0;
    }
    this.countThisMinute += 1;
    if (this.countThisMinute <= this.perMinute) return undefined;
    const seconds = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000));
    return {
      status: 429,
      headers: { 'retry-after': String(seconds) },
      error: 'You have made too many requests in a given amount of time; please retry later.',
    };
  }

  private add(options: { times?: number; match?: RequestMatch }, rule: Omit<Rule, 'match' | 'remaining'>) {
    this.rules.push({
      match: options.match ?? {},
      remaining: options.times ?? Number.POSITIVE_INFINITY,
      ...rule,
    });
    return this;
  }
}

function matches(match: RequestMatch, request: IncomingRequest): boolean {
  if (match.path !== undefined && match.path !== request.path) return false;
  if (match.page !== undefined && match.page !== (request.page ?? 1)) return false;
  return true;
}

export interface LoggedRequest {
  method: string;
  path: string;
  page?: number;
  pageSize?: number;
  status: number;
  /** How many items a list answer carried. */
  results?: number;
}

/** Every request the fake answered, in order, for tests and benchmarks to count API calls. */
export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  /** Requests to `path` (all requests when left out). */
  count(path?: string): number {
    return path === undefined
      ? this.entries.length
      : this.entries.filter((entry) => entry.path === path).length;
  }

  /** Requests counted by path. */
  byPath(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.entries) counts[entry.path] = (counts[entry.path] ?? 0) + 1;
    return counts;
  }

  clear(): void {
    this.entries.length = 0;
  }
}

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

/** A page answer as the fake is about to send it, and what it was made from. */
export interface PageBody {
  results: unknown[];
  pageNumber: number;
  pageSize: number;
  totalResults: number;
  _links: Record<string, { href: string }>;
}

export interface PageSource {
  /** Every item of the list, in order. */
  items: readonly unknown[];
  /** The page and page size asked for. */
  page: number;
  pageSize: number;
  /** Builds the honest answer for another page of the same list, as a cache or a proxy might serve it. */
  pageOf: (page: number) => PageBody;
}

/** Changes a page answer on its way out: how the misbehaving proxies and APIs below are made. */
export type PageRewrite = (body: PageBody, source: PageSource) => PageBody;

interface Rule {
  match: RequestMatch;
  remaining: number;
  delayMs?: number;
  answer?: FaultAnswer;
  rewrite?: PageRewrite;
}

export interface IncomingRequest {
  path: string;
  page?: number;
}

export interface FaultDecision {
  delayMs: number;
  answer?: FaultAnswer;
  /** Applied in order to a page answer (list routes only). */
  rewrites: PageRewrite[];
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

  /** Rewrites matching page answers with `rewrite`, for a misbehaviour the helpers below do not name. */
  rewritePage(options: { rewrite: PageRewrite; times?: number; match?: RequestMatch }): this {
    return this.add(options, { rewrite: options.rewrite });
  }

  /**
   * Serves the page as if the list had shifted by `by` items when it was read: positive skips
   * items (an earlier company deleted during the walk), negative repeats the previous page's
   * last items (one added). `_links` and `totalResults` stay as they were.
   */
  shiftPages(options: { by: number; times?: number; match?: RequestMatch }): this {
    return this.rewritePage({
      ...options,
      rewrite: (body, { items, page, pageSize }) => {
        const start = Math.max(0, (page - 1) * pageSize + options.by);
        return { ...body, results: items.slice(start, start + pageSize) };
      },
    });
  }

  /**
   * Answers with page `page` whatever page was asked, as a cache that ignores the query string:
   * its `_links.next` then points back at the page asked for, and paging never advances.
   */
  servePage(options: { page: number; times?: number; match?: RequestMatch }): this {
    return this.rewritePage({ ...options, rewrite: (_body, { pageOf }) => pageOf(options.page) });
  }

  /** Reports `totalResults` as `total` while the pages (and their `next` links) go on to the end. */
  understateTotal(options: { total: number; times?: number; match?: RequestMatch }): this {
    return this.rewritePage({ ...options, rewrite: (body) => ({ ...body, totalResults: options.total }) });
  }

  /** Serves `times` the page size asked for, from the page's start, and says so in `pageSize`. */
  oversizePages(options: { factor: number; times?: number; match?: RequestMatch }): this {
    return this.rewritePage({
      ...options,
      rewrite: (body, { items, page, pageSize }) => {
        const start = (page - 1) * pageSize;
        const size = pageSize * options.factor;
        return { ...body, pageSize: size, results: items.slice(start, start + size) };
      },
    });
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
    const rewrites: PageRewrite[] = [];
    for (const rule of this.rules) {
      if (!matches(rule.match, request)) continue;
      if (rule.rewrite) {
        rewrites.push(rule.rewrite);
        rule.remaining -= 1;
      } else if (rule.delayMs !== undefined) {
        delayMs += rule.delayMs;
        rule.remaining -= 1;
      } else if (!answer && rule.answer) {
        answer = rule.answer;
        rule.remaining -= 1;
      }
    }
    this.rules = this.rules.filter((rule) => rule.remaining > 0);
    return { delayMs, answer, rewrites };
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

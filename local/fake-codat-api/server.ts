import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AccountOptions, FakeAccount } from './account';
import { type FaultDecision, Faults, type PageBody, RequestLog } from './faults';

/**
 * A fake of Codat's Platform API, written from its OpenAPI file (Codat-Platform.yaml) and
 * shared/PROVIDER.md: the five read calls the reconciler needs, Basic auth, page/pageSize paging
 * with HAL `_links`, the provider's error body, 404 for deleted things and the rate-limit
 * headers on every answer. Faults and the request log are for tests; it listens on 127.0.0.1.
 */

export interface FakeCodatApiOptions {
  /** The account to serve. @default a generated one with `accountOptions` */
  account?: FakeAccount;
  accountOptions?: AccountOptions;
  /** @default a random key */
  apiKey?: string;
  /** @default 0, a free port */
  port?: number;
  /** The daily quota in `X-Rate-Limit-Limit`. @default 1000 × (1 + companies) */
  dailyQuota?: number;
  /** Serve at most this many items a page, whatever was asked, as a capping service would. */
  pageSizeCap?: number;
  /** The fake's clock, for the per-minute limit and the quota's reset. @default Date.now */
  now?: () => number;
}

export interface FakeCodatApi {
  url: string;
  apiKey: string;
  /** The header value a client must send: `Basic <base64 of the API key>`. */
  authorization: string;
  account: FakeAccount;
  faults: Faults;
  log: RequestLog;
  close(): Promise<void>;
}

const PAGE_SIZE_DEFAULT = 100;
const PAGE_SIZE_MAX = 5000;

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  results?: number;
}

class BadQuery extends Error {}

export async function startFakeCodatApi(options: FakeCodatApiOptions = {}): Promise<FakeCodatApi> {
  const account = options.account ?? new FakeAccount(options.accountOptions);
  const apiKey = options.apiKey ?? randomBytes(20).toString('hex');
  const authorization = `Basic ${Buffer.from(apiKey).toString('base64')}`;
  const now = options.now ?? Date.now;
  const faults = new Faults(now);
  const log = new RequestLog();
  let used = 0;
  let quotaDay = -1;

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const page = numberOrUndefined(url.searchParams.get('page'));
    const pageSize = numberOrUndefined(url.searchParams.get('pageSize'));
    const decision = faults.decide({ path: url.pathname, page });
    if (decision.delayMs > 0) await delayUnlessGone(response, decision.delayMs);
    let answer: Answer;
    if (request.headers.authorization !== authorization) answer = error(401, 'Unauthorized');
    else if (decision.answer) {
      const { status, headers, error: message } = decision.answer;
      answer = { ...error(status, message), headers };
    } else answer = route(request.method ?? 'GET', url, decision);
    log.add({
      method: request.method ?? 'GET',
      path: url.pathname,
      page,
      pageSize,
      status: answer.status,
      results: answer.results,
    });
    if (response.destroyed) return;
    response.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      ...rateLimitHeaders(),
      ...answer.headers,
    });
    response.end(JSON.stringify(answer.body));
  }

  function rateLimitHeaders(): Record<string, string> {
    const today = Math.floor(now() / 86_400_000);
    if (today !== quotaDay) {
      quotaDay = today;
      used = 0;
    }
    used += 1;
    const limit = options.dailyQuota ?? 1000 * (1 + account.companies.length);
    return {
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(Math.max(0, limit - used)),
      'x-rate-limit-reset': new Date((today + 1) * 86_400_000).toISOString(),
    };
  }

  function route(method: string, url: URL, decision: FaultDecision): Answer {
    if (method !== 'GET') return error(405, `${method} is not served by the fake`);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      const [root, companyId, sub, connectionId, ...rest] = parts;
      if (root === 'webhooks' && parts.length === 1) {
        return {
          status: 200,
          body: { results: account.webhookConsumers },
          results: account.webhookConsumers.length,
        };
      }
      if (root !== 'companies' || rest.length > 0) return error(404, `No route for ${url.pathname}`);
      if (companyId === undefined) return paged(url, account.companies, decision, options.pageSizeCap);
      const company = account.company(companyId);
      if (!company) return error(404, `No company was found with ID ${companyId}`, 'ClientsApi');
      if (sub === undefined) return { status: 200, body: company };
      if (sub !== 'connections') return error(404, `No route for ${url.pathname}`);
      if (connectionId === undefined)
        return paged(url, company.dataConnections, decision, options.pageSizeCap);
      const connection = company.dataConnections.find((item) => item.id === connectionId);
      return connection
        ? { status: 200, body: connection }
        : error(404, `Data connection ${connectionId} not found`);
    } catch (problem) {
      if (problem instanceof BadQuery) return error(400, problem.message);
      return error(500, `The fake failed: ${String(problem)}`);
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    authorization,
    account,
    faults,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A page of `items` as the provider pages: from page 1, HAL links with the path it was asked;
 * then the decision's rewrites, for a test's misbehaving API.
 */
function paged(url: URL, items: readonly unknown[], decision: FaultDecision, cap = PAGE_SIZE_MAX): Answer {
  const page = positiveInteger(url.searchParams.get('page'), 1, 'page');
  const asked = positiveInteger(url.searchParams.get('pageSize'), PAGE_SIZE_DEFAULT, 'pageSize');
  if (asked > PAGE_SIZE_MAX) throw new BadQuery(`pageSize must be at most ${PAGE_SIZE_MAX}.`);
  const pageSize = Math.min(asked, cap);
  const pageOf = (n: number): PageBody => {
    const href = (to: number) => ({ href: `${url.pathname}?page=${to}&pageSize=${pageSize}` });
    const links: Record<string, { href: string }> = { self: { href: url.pathname }, current: href(n) };
    if (n * pageSize < items.length) links.next = href(n + 1);
    if (n > 1) links.previous = href(n - 1);
    const results = items.slice((n - 1) * pageSize, n * pageSize);
    return { results, pageNumber: n, pageSize, totalResults: items.length, _links: links };
  };
  const body = decision.rewrites.reduce(
    (current, rewrite) => rewrite(current, { items, page, pageSize, pageOf }),
    pageOf(page),
  );
  return { status: 200, body, results: body.results.length };
}

/** Waits `ms` before answering, or less when the client hangs up first: no one would read the answer. */
async function delayUnlessGone(response: ServerResponse, ms: number): Promise<void> {
  const gone = new AbortController();
  response.once('close', () => gone.abort());
  await sleep(ms, undefined, { signal: gone.signal }).catch((error: unknown) => {
    if (!gone.signal.aborted) throw error;
  });
}

function positiveInteger(raw: string | null, fallback: number, name: string): number {
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new BadQuery(`${name} must be a whole number from 1.`);
  return Number(raw);
}

function numberOrUndefined(raw: string | null): number | undefined {
  return raw !== null && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** The provider's error body (ErrorMessage in the OpenAPI file). */
function error(status: number, message: string, service = 'PublicApi'): Answer {
  return {
    status,
    body: {
      statusCode: status,
      service,
      error: message,
      correlationId: randomBytes(16).toString('hex'),
      validation: null,
      canBeRetried: status === 429 || status >= 500 ? 'True' : 'Unknown',
      detailedErrorCode: 0,
    },
  };
}

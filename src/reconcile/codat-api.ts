/**
 * A client for the few calls of Codat's Platform API that the reconciler needs.
 *
 * Why `fetch` and a retry loop of our own, not the official SDK `@codat/platform` 6.2.1:
 * - The SDK's zod schemas reject `lastSync: null` and `null` in several Company fields, which the
 *   OpenAPI file allows and the API sends: a whole page then fails with `ResponseValidationError`,
 *   so one company with a null would stop the walk. Here each company and connection is checked
 *   on its own with the project's valibot schema (the same one the webhook receiver uses): an
 *   invalid item is reported by path and the page is marked incomplete, the rest is kept.
 * - The SDK retries for up to an hour by default, and its `timeoutMs` is one deadline for a call
 *   and all its retries; a reconciler in a Lambda or a Step Functions task needs a per-attempt
 *   timeout and a per-page budget it chooses, and a typed failure naming the page.
 * - It is CommonJS with zod as a dependency; this project is ESM with valibot. `fetch` is global
 *   in Node 24: no dependency at all.
 *
 * Why not a retry library from npm (`p-retry` 9 is kept, ESM, one dependency): it has no notion
 * of `Retry-After` (the wait must be forced from `onFailedAttempt`), it sleeps on real timers, so
 * tests would need fake timers instead of an injected sleep, and what it would save is some 40
 * lines (`retry.ts`), which are tested here with the fake API.
 *
 * Reads are streamed: `companyPages()` fetches one page at a time as it is iterated and keeps no
 * earlier page.
 */

import * as v from 'valibot';
import { DEFAULT_CODAT_API_URL, DEFAULT_RECONCILE_PAGE_SIZE, DEFAULT_RETRY_POLICY } from '../defaults';
import { CodatApiError } from '../errors';
import { readAnswer } from './api-answer';
import {
  type Company,
  type CompanyPaths,
  checkCompany,
  checkWebhookConsumers,
  type InvalidItem,
  PageEnvelope,
  type WebhookConsumer,
  WebhookConsumers,
} from './api-schema';
import { checkPaging } from './paging';
import {
  getWithRetry,
  newRequestStats,
  REAL_ENVIRONMENT,
  type RequestStats,
  type RetryEnvironment,
  type RetryPolicy,
} from './retry';

export type { Company, CompanyPaths, InvalidItem, WebhookConsumer } from './api-schema';
export type { RequestStats, RetryPolicy } from './retry';

export interface CodatApiOptions {
  /** The API key from the Codat portal; sent as `Authorization: Basic <base64 of the key>`. */
  apiKey: string;
  /** @default https://api.codat.io */
  baseUrl?: string;
  retry?: Partial<RetryPolicy>;
  /**
   * Epoch ms past which no call retries or waits, whatever its budget: a Lambda function's
   * timeout less the time it keeps to finish, so that its metrics and log lines still go out.
   * @default no deadline but each call's budget
   */
  deadline?: number;
  /** Fetch, sleep, clock and jitter, for tests. @default the real ones */
  environment?: Partial<RetryEnvironment>;
}

/** One page of companies, checked item by item. */
export interface CompanyPage {
  pageNumber: number;
  pageSize: number;
  /** As the API counted when it served this page: it can change during a walk. */
  totalResults: number;
  companies: Company[];
  /** Parallel to `companies`: where each company and its connections sit in the answer. */
  paths: CompanyPaths[];
  /** Items left out of `companies` (or connections left out of a company), by path. */
  invalid: InvalidItem[];
  /** Whether the listing goes on after this page: a `next` link, or fewer items read than `totalResults`. */
  more: boolean;
}

/** A company looked up by id: its connections that passed validation, and those that did not. */
export type CompanyLookup =
  | { found: true; value: Company; invalid: InvalidItem[]; paths?: CompanyPaths }
  | { found: false };

export class CodatApi {
  /** Requests, retries and throttles so far, for metrics. */
  readonly stats: RequestStats = newRequestStats();
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly policy: RetryPolicy;
  private readonly env: RetryEnvironment;
  private readonly deadline: number | undefined;

  constructor(options: CodatApiOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_CODAT_API_URL).replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(options.apiKey).toString('base64')}`;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.env = { ...REAL_ENVIRONMENT, ...options.environment };
    this.deadline = options.deadline;
  }

  /**
   * Every company, a page at a time, from `firstPage` on (default 1), `pageSize` companies a
   * page (default DEFAULT_RECONCILE_PAGE_SIZE); throws `RequestFailedError` for a page that
   * keeps failing.
   */
  async *companyPages(options: { firstPage?: number; pageSize?: number } = {}): AsyncGenerator<CompanyPage> {
    const { firstPage = 1, pageSize = DEFAULT_RECONCILE_PAGE_SIZE } = options;
    for (let page = firstPage; ; page += 1) {
      const answer = await this.page(`/companies?page=${page}&pageSize=${pageSize}`, page);
      const more = checkPaging(answer, { page, pageSize }, '/companies');
      const companies: Company[] = [];
      const paths: CompanyPaths[] = [];
      const invalid: InvalidItem[] = [];
      answer.results.forEach((raw, index) => {
        const checked = checkCompany(raw, `results[${index}]`);
        if (checked.company && checked.paths) {
          companies.push(checked.company);
          paths.push(checked.paths);
        }
        invalid.push(...checked.invalid);
      });
      const { pageNumber, totalResults } = answer;
      yield {
        pageNumber,
        pageSize: answer.pageSize,
        totalResults,
        companies,
        paths,
        invalid,
        more,
      };
      if (!more) return;
    }
  }

  /** One company with its connections; `found: false` when it does not exist or was deleted. */
  async getCompany(companyId: string): Promise<CompanyLookup> {
    const body = await this.getOrNotFound(`/companies/${encodeURIComponent(companyId)}`);
    if (body === undefined) return { found: false };
    const { company, paths, invalid } = checkCompany(body, '(company)');
    if (!company) throw new CodatApiError(`/companies/${companyId}`, 200, describeInvalid(invalid));
    return { found: true, value: company, invalid, paths };
  }

  /** The webhook endpoints registered with the provider, `disabled` read as false when null. */
  async listWebhookConsumers(): Promise<{ consumers: WebhookConsumer[]; invalid: InvalidItem[] }> {
    const response = await this.get('/webhooks');
    const body = await readAnswer(response, '/webhooks', WebhookConsumers);
    return checkWebhookConsumers(body.results);
  }

  private async page(path: string, page: number): Promise<v.InferOutput<typeof PageEnvelope>> {
    return readAnswer(await this.get(path, page), path, PageEnvelope);
  }

  private async getOrNotFound(path: string): Promise<unknown> {
    const response = await this.get(path);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    return readAnswer(response, path, v.unknown());
  }

  private get(path: string, page?: number): Promise<Response> {
    return getWithRetry(
      `${this.baseUrl}${path}`,
      { authorization: this.authorization, accept: 'application/json' },
      { policy: this.policy, env: this.env, stats: this.stats, page, deadline: this.deadline },
    );
  }
}

function describeInvalid(invalid: InvalidItem[]): string {
  return invalid
    .flatMap((item) => item.problems.map((problem) => `${problem.path}: ${problem.message}`))
    .join('; ');
}

import * as v from 'valibot';
import { Connection, type Problem, ReferenceCompany, toProblems } from '../connection/schema';
import { unsafeValueProblems } from '../connection/unsafe-values';
import { MAX_PROBLEMS_LISTED } from '../defaults';

/**
 * Schemas of what the provider's REST API answers (Codat-Platform.yaml), checked item by item:
 * one invalid connection is reported by its path and the rest of the page is kept, but the page
 * is marked incomplete so that nothing is deleted on the strength of it.
 */

/** The company fields the reconciler keeps, as the webhook's `referenceCompany` carries them. */
export const CompanyDetails = v.object({
  id: ReferenceCompany.entries.id,
  name: v.string(),
  description: v.nullish(v.string()),
  tags: v.nullish(v.record(v.string(), v.string())),
});

/** Checked before the connections, which are then checked one by one. */
const CompanyEnvelope = v.object({
  ...CompanyDetails.entries,
  dataConnections: v.nullish(v.array(v.unknown())),
});

export type Company = v.InferOutput<typeof CompanyDetails> & { dataConnections: Connection[] };

/** The paging envelope (PagingInfo in the OpenAPI file); `results` are checked one by one. */
export const PageEnvelope = v.object({
  results: v.array(v.unknown()),
  pageNumber: v.number(),
  pageSize: v.number(),
  totalResults: v.number(),
  _links: v.optional(
    v.object({
      next: v.nullish(v.object({ href: v.string() })),
    }),
  ),
});

export const WebhookConsumer = v.object({
  id: v.string(),
  url: v.nullish(v.string()),
  /** Nullable in the OpenAPI file, default false. */
  disabled: v.pipe(
    v.nullish(v.boolean()),
    v.transform((disabled) => disabled ?? false),
  ),
  eventTypes: v.pipe(
    v.nullish(v.array(v.string())),
    v.transform((types) => types ?? []),
  ),
  companyTags: v.nullish(v.array(v.string())),
});

export type WebhookConsumer = v.InferOutput<typeof WebhookConsumer>;

export const WebhookConsumers = v.object({ results: v.array(v.unknown()) });

/** One item of an answer that failed validation, by where it sits in the answer. */
export interface InvalidItem {
  /** e.g. `results[3].dataConnections[1]` */
  path: string;
  /** The company it belongs to, when its id could be read. */
  companyId?: string;
  /** Its own id, when it could be read. */
  id?: string;
  problems: Problem[];
}

/** Where a company and each of its kept connections sit in the answer, to name what goes wrong later. */
export interface CompanyPaths {
  path: string;
  /** Parallel to the company's `dataConnections`: `results[3].dataConnections[1]`. */
  connections: string[];
}

/**
 * Checks a company and each of its connections, as the receiver checks a delivery: the same
 * schema, and the same refusal of prototype keys and lone surrogates at any depth. Invalid
 * connections are left out and reported.
 */
export function checkCompany(
  raw: unknown,
  path: string,
): { company?: Company; paths?: CompanyPaths; invalid: InvalidItem[] } {
  const envelope = v.safeParse(CompanyEnvelope, raw);
  const { dataConnections: _connections, ...fields } = isObject(raw) ? raw : {};
  const unsafe = unsafeValueProblems(fields, MAX_PROBLEMS_LISTED, path);
  if (!envelope.success || unsafe.length > 0) {
    const problems = envelope.success ? unsafe : [...prefixed(toProblems(envelope.issues), path), ...unsafe];
    return { invalid: [{ path, id: idOf(raw), problems }] };
  }
  const { dataConnections, ...details } = envelope.output;
  const connections = checkConnections(dataConnections ?? [], `${path}.dataConnections`, details.id);
  return {
    company: { ...details, dataConnections: connections.valid },
    paths: { path, connections: connections.validPaths },
    invalid: connections.invalid,
  };
}

function isObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

function checkConnections(
  items: readonly unknown[],
  path: string,
  companyId: string | undefined,
): { valid: Connection[]; validPaths: string[]; invalid: InvalidItem[] } {
  const valid: Connection[] = [];
  const validPaths: string[] = [];
  const invalid: InvalidItem[] = [];
  items.forEach((item, index) => {
    const at = `${path}[${index}]`;
    const unsafe = unsafeValueProblems(item, MAX_PROBLEMS_LISTED, at);
    const result = v.safeParse(Connection, item);
    if (result.success && unsafe.length === 0) {
      valid.push(result.output);
      validPaths.push(at);
    } else {
      const problems = result.success ? [] : prefixed(toProblems(result.issues), at);
      invalid.push({ path: at, companyId, id: idOf(item), problems: [...problems, ...unsafe] });
    }
  });
  return { valid, validPaths, invalid };
}

export function checkWebhookConsumers(items: readonly unknown[]): {
  consumers: WebhookConsumer[];
  invalid: InvalidItem[];
} {
  const consumers: WebhookConsumer[] = [];
  const invalid: InvalidItem[] = [];
  items.forEach((item, index) => {
    const result = v.safeParse(WebhookConsumer, item);
    if (result.success) consumers.push(result.output);
    else {
      const at = `results[${index}]`;
      invalid.push({ path: at, id: idOf(item), problems: prefixed(toProblems(result.issues), at) });
    }
  });
  return { consumers, invalid };
}

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

function prefixed(problems: Problem[], path: string): Problem[] {
  return problems.map((problem) => ({
    path: problem.path === '(body)' ? path : `${path}.${problem.path}`,
    message: problem.message,
  }));
}

import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as v from 'valibot';
import type { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { json } from '../src/http/answers';
import type { Logger } from '../src/observability/powertools';
import { CodatApi } from '../src/reconcile/codat-api';
import { InMemoryWalkJournal } from '../src/reconcile/journal';
import type { WalkProgress } from '../src/reconcile/progress';
import { runWalk, type WalkOutcome } from '../src/reconcile/run-walk';
import { type ChangeNote, createWalkContext } from '../src/reconcile/walk-context';
import type { Route } from './lambda-http';
import { walkSummary } from './reconcile-summary';

/** Where `npm run reconcile` asks a running `npm start` to walk, through the server's own store. */
export const LOCAL_RECONCILE_PATH = '/reconcile';

/** A dry run lists at most this many of the changes it would make. */
const NOTES_KEPT = 50;

const whole = v.pipe(v.number(), v.integer(), v.minValue(1));

/** What `npm run reconcile` walks with: its environment and options, checked there. */
export const LocalWalkSettings = v.object({
  apiKey: v.pipe(v.string(), v.nonEmpty()),
  apiUrl: v.pipe(v.string(), v.url()),
  pageSize: whole,
  lagMinutes: whole,
  pageBudgetSeconds: whole,
  timeBudgetMinutes: whole,
  concurrency: whole,
  tombstoneTtlDays: whole,
  dryRun: v.boolean(),
});
export type LocalWalkSettings = v.InferOutput<typeof LocalWalkSettings>;

/** What a walk leaves for `npm run reconcile` to print. */
export interface LocalWalkResult {
  complete: boolean;
  summary: string;
  /** In a dry run, the first changes it would make. */
  notes: ChangeNote[];
}

/** One whole walk of the Codat API into `store`, as `npm run reconcile` runs it. */
export async function localWalk(
  store: DynamoDbConnectionStore,
  settings: LocalWalkSettings,
  onPage?: (progress: WalkProgress) => void,
): Promise<{ outcome: WalkOutcome; result: LocalWalkResult }> {
  const api = new CodatApi({
    apiKey: settings.apiKey,
    baseUrl: settings.apiUrl,
    retry: { budgetMs: settings.pageBudgetSeconds * 1000 },
  });
  const notes: ChangeNote[] = [];
  const outcome = await runWalk(
    createWalkContext({
      api,
      store,
      journal: new InMemoryWalkJournal(),
      walkId: `cli-${new Date().toISOString()}-${randomUUID().slice(0, 8)}`,
      lagAllowanceMs: settings.lagMinutes * 60_000,
      tombstoneTtlDays: settings.tombstoneTtlDays,
      concurrency: settings.concurrency,
      dryRun: settings.dryRun,
      onChange: (note) => {
        if (settings.dryRun && notes.length < NOTES_KEPT) notes.push(note);
      },
    }),
    {
      pageSize: settings.pageSize,
      walkBudgetMs: settings.timeBudgetMinutes * 60_000,
      ...(onPage ? { onPage } : {}),
    },
  );
  const summary = walkSummary(outcome, settings.dryRun);
  return { outcome, result: { complete: outcome.complete, summary, notes } };
}

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');

/**
 * `POST /reconcile` with `LocalWalkSettings` as JSON: a walk through the server's own store,
 * so that its writes reach the local stream (change events, history) as the receiver's do.
 * Only from this machine: the body carries an API key, and the walk calls the URL it names.
 */
export function reconcileRoute(store: DynamoDbConnectionStore, logger: Logger): Route {
  return {
    method: 'POST',
    path: LOCAL_RECONCILE_PATH,
    handler: async (event: APIGatewayProxyEventV2) => {
      if (!isLoopback(event.requestContext.http.sourceIp)) {
        return json(403, { error: 'forbidden', reason: 'walks are started from this machine only' });
      }
      const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString();
      let input: unknown;
      try {
        input = JSON.parse(body);
      } catch {
        return json(400, { error: 'invalid request', reason: 'the body is not JSON' });
      }
      const parsed = v.safeParse(LocalWalkSettings, input);
      if (!parsed.success) {
        const reason = parsed.issues.map((issue) => `${v.getDotPath(issue) ?? ''}: ${issue.message}`);
        return json(400, { error: 'invalid request', reason: reason.join('; ') });
      }
      const { result } = await localWalk(store, parsed.output, ({ totals }) =>
        logger.info('reconcile page', { ...totals }),
      );
      return json(200, result);
    },
  };
}

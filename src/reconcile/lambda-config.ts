import * as v from 'valibot';
import {
  DEFAULT_CODAT_API_URL,
  DEFAULT_LAG_ALLOWANCE_MS,
  DEFAULT_RECONCILE_PAGE_SIZE,
  DEFAULT_TOMBSTONE_TTL_DAYS,
  DEFAULT_WALK_BUDGET_MS,
} from '../defaults';
import { LogLevelSetting, readEnvironment, requiredText, StageSetting, wholeNumber } from '../environment';

/**
 * The reconciler functions' environments, one schema each, checked once at cold start: what a
 * function needs is required there (a missing table is a wiring fault, found before any
 * invocation), what it does not use is not read.
 */

/** What every reconciler function reads the provider's API with, and logs and counts with. */
const ApiEnvironment = {
  CODAT_API_KEY_SECRET_ARN: requiredText('CODAT_API_KEY_SECRET_ARN'),
  CODAT_API_URL: v.optional(v.pipe(v.string(), v.url('CODAT_API_URL must be a URL')), DEFAULT_CODAT_API_URL),
  LOG_LEVEL: LogLevelSetting,
  STAGE: StageSetting,
};

/** What the two walking functions read and write. */
const TablesEnvironment = {
  TABLE_NAME: requiredText('TABLE_NAME'),
  JOURNAL_TABLE_NAME: requiredText('JOURNAL_TABLE_NAME'),
  LAG_ALLOWANCE_SECONDS: wholeNumber('LAG_ALLOWANCE_SECONDS', DEFAULT_LAG_ALLOWANCE_MS / 1000),
};

const CheckEndpointEnvironment = v.object({
  ...ApiEnvironment,
  WEBHOOK_URL: requiredText('WEBHOOK_URL'),
});

const WalkPagesEnvironment = v.object({
  ...ApiEnvironment,
  ...TablesEnvironment,
  PAGE_SIZE: wholeNumber('PAGE_SIZE', DEFAULT_RECONCILE_PAGE_SIZE),
  WALK_BUDGET_MINUTES: wholeNumber('WALK_BUDGET_MINUTES', DEFAULT_WALK_BUDGET_MS / 60_000),
});

const SweepEnvironment = v.object({
  ...ApiEnvironment,
  ...TablesEnvironment,
  TOMBSTONE_TTL_DAYS: wholeNumber('TOMBSTONE_TTL_DAYS', DEFAULT_TOMBSTONE_TTL_DAYS),
});

type ApiSettings = v.InferOutput<v.ObjectSchema<typeof ApiEnvironment, undefined>>;
type TablesSettings = v.InferOutput<v.ObjectSchema<typeof TablesEnvironment, undefined>>;

function apiConfig(env: ApiSettings) {
  return {
    apiKeySecretArn: env.CODAT_API_KEY_SECRET_ARN,
    codatApiUrl: env.CODAT_API_URL,
    logLevel: env.LOG_LEVEL,
    stage: env.STAGE,
  };
}

function tablesConfig(env: TablesSettings) {
  return {
    tableName: env.TABLE_NAME,
    journalTableName: env.JOURNAL_TABLE_NAME,
    lagAllowanceMs: env.LAG_ALLOWANCE_SECONDS * 1000,
  };
}

/** What every reconciler function is configured with. */
export type ApiConfig = ReturnType<typeof apiConfig>;
/** What the walking functions are configured with. */
export type WalkTablesConfig = ReturnType<typeof tablesConfig> & { tombstoneTtlDays?: number };

/** `check-webhook-endpoint`'s environment; throws one message that lists every problem. */
export function readCheckEndpointConfig(env: NodeJS.ProcessEnv) {
  const checked = readEnvironment(CheckEndpointEnvironment, env);
  return { ...apiConfig(checked), webhookUrl: checked.WEBHOOK_URL };
}

/** `reconcile-pages`'s environment; throws one message that lists every problem. */
export function readWalkPagesConfig(env: NodeJS.ProcessEnv) {
  const checked = readEnvironment(WalkPagesEnvironment, env);
  return {
    ...apiConfig(checked),
    ...tablesConfig(checked),
    pageSize: checked.PAGE_SIZE,
    walkBudgetMs: checked.WALK_BUDGET_MINUTES * 60_000,
  };
}

/** `reconcile-sweep`'s environment; throws one message that lists every problem. */
export function readSweepConfig(env: NodeJS.ProcessEnv) {
  const checked = readEnvironment(SweepEnvironment, env);
  return { ...apiConfig(checked), ...tablesConfig(checked), tombstoneTtlDays: checked.TOMBSTONE_TTL_DAYS };
}

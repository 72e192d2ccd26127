import * as v from 'valibot';
import {
  DEFAULT_CODAT_API_URL,
  DEFAULT_LAG_ALLOWANCE_MS,
  DEFAULT_RECONCILE_PAGE_SIZE,
  DEFAULT_TOMBSTONE_TTL_DAYS,
  DEFAULT_WALK_BUDGET_MS,
} from '../defaults';
import { LogLevelSetting, readEnvironment, requiredText, StageSetting, wholeNumber } from '../environment';
import { ApiKeyNotSetError } from '../errors';

/** The reconciler functions' environment, checked once at cold start. */
const ReconcileEnvironment = v.object({
  CODAT_API_KEY_SECRET_ARN: requiredText('CODAT_API_KEY_SECRET_ARN'),
  CODAT_API_URL: v.optional(v.pipe(v.string(), v.url('CODAT_API_URL must be a URL')), DEFAULT_CODAT_API_URL),
  TABLE_NAME: v.optional(v.string()),
  JOURNAL_TABLE_NAME: v.optional(v.string()),
  WEBHOOK_URL: v.optional(v.string()),
  TOMBSTONE_TTL_DAYS: wholeNumber('TOMBSTONE_TTL_DAYS', DEFAULT_TOMBSTONE_TTL_DAYS),
  PAGE_SIZE: wholeNumber('PAGE_SIZE', DEFAULT_RECONCILE_PAGE_SIZE),
  LAG_ALLOWANCE_SECONDS: wholeNumber('LAG_ALLOWANCE_SECONDS', DEFAULT_LAG_ALLOWANCE_MS / 1000),
  WALK_BUDGET_MINUTES: wholeNumber('WALK_BUDGET_MINUTES', DEFAULT_WALK_BUDGET_MS / 60_000),
  LOG_LEVEL: LogLevelSetting,
  STAGE: StageSetting,
});

export type ReconcileConfig = v.InferOutput<typeof ReconcileEnvironment>;

/** Reads and checks the environment; throws one message that lists every problem. */
export function readReconcileConfig(env: NodeJS.ProcessEnv): ReconcileConfig {
  return readEnvironment(ReconcileEnvironment, env);
}

/** A required name the function was not given: a stack wiring fault. */
export function requireSetting(value: string | undefined, name: string): string {
  if (!value) throw new Error(`Invalid configuration: ${name} is required by this function`);
  return value;
}

/**
 * The API key from its secret's value. The stack creates the secret with a JSON placeholder,
 * which no API key looks like; a run before the key is set fails with this message instead of
 * a 401 from the provider.
 */
export function apiKeyFrom(secretValue: string, secretId: string): string {
  const value = secretValue.trim();
  if (value === '' || value.startsWith('{')) {
    throw new ApiKeyNotSetError(
      `the Codat API key secret ${secretId} still holds its placeholder; set it with: ` +
        `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string <API key>`,
    );
  }
  return value;
}

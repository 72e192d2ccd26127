import { isIP } from 'node:net';
import * as v from 'valibot';
import { DEFAULT_SECRET_CACHE_SECONDS, DEFAULT_TOMBSTONE_TTL_DAYS, LOG_LEVELS } from './defaults';

const positiveInteger = (name: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${name} must be a whole number`),
    v.transform(Number),
    v.minValue(1, `${name} must be at least 1`),
  );

/** The Lambda function's environment, checked once at cold start. Required values have no default. */
const LambdaEnvironment = v.object({
  TABLE_NAME: v.pipe(v.string('TABLE_NAME is required'), v.nonEmpty('TABLE_NAME is required')),
  SIGNING_SECRET_ARN: v.pipe(
    v.string('SIGNING_SECRET_ARN is required'),
    v.nonEmpty('SIGNING_SECRET_ARN is required'),
  ),
  TOMBSTONE_TTL_DAYS: v.optional(positiveInteger('TOMBSTONE_TTL_DAYS'), String(DEFAULT_TOMBSTONE_TTL_DAYS)),
  SECRET_CACHE_SECONDS: v.optional(
    positiveInteger('SECRET_CACHE_SECONDS'),
    String(DEFAULT_SECRET_CACHE_SECONDS),
  ),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
  /** The `stage` dimension of every metric; the stack always sets it. */
  STAGE: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,19}$/, 'STAGE must be a short lower-case name')),
    'local',
  ),
  /** Comma-separated caller addresses to serve; any address when unset. */
  ALLOWED_SOURCE_IPS: v.optional(
    v.pipe(
      v.string(),
      v.transform((text) =>
        text
          .split(',')
          .map((address) => address.trim())
          .filter(Boolean),
      ),
      v.check(
        (addresses) => addresses.every((address) => isIP(address) !== 0),
        'ALLOWED_SOURCE_IPS must be IP addresses separated by commas',
      ),
    ),
  ),
});

export type LambdaConfig = ReturnType<typeof readLambdaConfig>;

/** Reads and checks the environment; throws one message that lists every problem. */
export function readLambdaConfig(env: NodeJS.ProcessEnv) {
  const parsed = v.safeParse(LambdaEnvironment, env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.issues.map((issue) => issue.message).join('; ')}`);
  }
  const config = parsed.output;
  return {
    tableName: config.TABLE_NAME,
    signingSecretArn: config.SIGNING_SECRET_ARN,
    tombstoneTtlDays: config.TOMBSTONE_TTL_DAYS,
    secretCacheSeconds: config.SECRET_CACHE_SECONDS,
    logLevel: config.LOG_LEVEL,
    stage: config.STAGE,
    allowedSourceIps: config.ALLOWED_SOURCE_IPS ?? [],
  };
}

/**
 * Replaces `process.env` with a plain copy of itself, for a process whose environment is set
 * once at start and never changes (a Lambda container). Every read of the real `process.env`
 * crosses into C++, and Powertools Logger reads variables on every line it writes (TZ,
 * AWS_LAMBDA_MAX_CONCURRENCY, several times a line): about a tenth of the handler's own work.
 */
export function snapshotEnvironment(): void {
  process.env = { ...process.env };
}

import { isIP } from 'node:net';
import * as v from 'valibot';
import { DEFAULT_SECRET_CACHE_SECONDS, DEFAULT_TOMBSTONE_TTL_DAYS } from './defaults';
import { COMMON_SETTINGS, readEnvironment, requiredText, wholeNumber } from './environment';

/** The Lambda function's environment, checked once at cold start. Required values have no default. */
const LambdaEnvironment = v.object({
  TABLE_NAME: requiredText('TABLE_NAME'),
  SIGNING_SECRET_ARN: requiredText('SIGNING_SECRET_ARN'),
  TOMBSTONE_TTL_DAYS: wholeNumber('TOMBSTONE_TTL_DAYS', DEFAULT_TOMBSTONE_TTL_DAYS),
  SECRET_CACHE_SECONDS: wholeNumber('SECRET_CACHE_SECONDS', DEFAULT_SECRET_CACHE_SECONDS),
  ...COMMON_SETTINGS,
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
  const config = readEnvironment(LambdaEnvironment, env);
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

import * as v from 'valibot';
import { LOG_LEVELS } from './defaults';

/**
 * The pieces every function's environment is checked with, once at cold start: required values
 * have no default, and every message names its variable.
 */

/** A variable that must be set and not empty. */
export const requiredText = (name: string) =>
  v.pipe(v.string(`${name} is required`), v.nonEmpty(`${name} is required`));

/** A whole number from 1, given as text; `fallback` when the variable is not set. */
export const wholeNumber = (name: string, fallback: number) =>
  v.optional(
    v.pipe(v.string(), v.regex(/^[1-9]\d*$/, `${name} must be a whole number from 1`), v.transform(Number)),
    String(fallback),
  );

/** `LOG_LEVEL`: info when not set. */
export const LogLevelSetting = v.optional(
  v.picklist(LOG_LEVELS, `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`),
  'info',
);

/** `STAGE`, the `stage` dimension of every metric: the stack always sets it. */
export const StageSetting = v.optional(
  v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,19}$/, 'STAGE must be a short lower-case name')),
  'local',
);

/** `LOG_LEVEL` and `STAGE`, which every function reads: spread into its schema. */
export const COMMON_SETTINGS = { LOG_LEVEL: LogLevelSetting, STAGE: StageSetting };

/**
 * The environment of a function that names one resource (the read function's table, the
 * publisher's bus) besides the common settings, checked once at cold start.
 */
export function readResourceEnvironment(env: NodeJS.ProcessEnv, name: string) {
  const schema = v.object({ resource: requiredText(name), ...COMMON_SETTINGS });
  const config = readEnvironment(schema, { resource: env[name], LOG_LEVEL: env.LOG_LEVEL, STAGE: env.STAGE });
  return { resource: config.resource, logLevel: config.LOG_LEVEL, stage: config.STAGE };
}

/** Reads `env` with `schema`; throws one message that lists every problem. */
export function readEnvironment<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  env: NodeJS.ProcessEnv,
): v.InferOutput<TSchema> {
  const parsed = v.safeParse(schema, env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.issues.map((issue) => issue.message).join('; ')}`);
  }
  return parsed.output;
}

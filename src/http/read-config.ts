import * as v from 'valibot';
import { LOG_LEVELS } from '../defaults';

/** The read function's environment, checked once at cold start. */
const ReadEnvironment = v.object({
  TABLE_NAME: v.pipe(v.string('TABLE_NAME is required'), v.nonEmpty('TABLE_NAME is required')),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
  STAGE: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,19}$/, 'STAGE must be a short lower-case name')),
    'local',
  ),
});

/** Reads and checks the environment; throws one message that lists every problem. */
export function readReadConfig(env: NodeJS.ProcessEnv) {
  const parsed = v.safeParse(ReadEnvironment, env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.issues.map((issue) => issue.message).join('; ')}`);
  }
  return {
    tableName: parsed.output.TABLE_NAME,
    logLevel: parsed.output.LOG_LEVEL,
    stage: parsed.output.STAGE,
  };
}

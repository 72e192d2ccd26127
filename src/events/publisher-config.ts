import * as v from 'valibot';
import { LOG_LEVELS } from '../defaults';

/** The publisher function's environment, checked once at cold start. */
const PublisherEnvironment = v.object({
  EVENT_BUS_NAME: v.pipe(v.string('EVENT_BUS_NAME is required'), v.nonEmpty('EVENT_BUS_NAME is required')),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS, `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
  STAGE: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z][a-z0-9-]{0,19}$/, 'STAGE must be a short lower-case name')),
    'local',
  ),
});

/** Reads and checks the environment; throws one message that lists every problem. */
export function readPublisherConfig(env: NodeJS.ProcessEnv) {
  const parsed = v.safeParse(PublisherEnvironment, env);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.issues.map((issue) => issue.message).join('; ')}`);
  }
  return {
    eventBusName: parsed.output.EVENT_BUS_NAME,
    logLevel: parsed.output.LOG_LEVEL,
    stage: parsed.output.STAGE,
  };
}

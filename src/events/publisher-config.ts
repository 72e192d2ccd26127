import * as v from 'valibot';
import { LogLevelSetting, readEnvironment, requiredText, StageSetting } from '../environment';

/** The publisher function's environment, checked once at cold start. */
const PublisherEnvironment = v.object({
  EVENT_BUS_NAME: requiredText('EVENT_BUS_NAME'),
  LOG_LEVEL: LogLevelSetting,
  STAGE: StageSetting,
});

/** Reads and checks the environment; throws one message that lists every problem. */
export function readPublisherConfig(env: NodeJS.ProcessEnv) {
  const config = readEnvironment(PublisherEnvironment, env);
  return { eventBusName: config.EVENT_BUS_NAME, logLevel: config.LOG_LEVEL, stage: config.STAGE };
}

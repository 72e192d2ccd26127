import * as v from 'valibot';
import { LogLevelSetting, readEnvironment, requiredText, StageSetting } from '../environment';

/** The read function's environment, checked once at cold start. */
const ReadEnvironment = v.object({
  TABLE_NAME: requiredText('TABLE_NAME'),
  LOG_LEVEL: LogLevelSetting,
  STAGE: StageSetting,
});

/** Reads and checks the environment; throws one message that lists every problem. */
export function readReadConfig(env: NodeJS.ProcessEnv) {
  const config = readEnvironment(ReadEnvironment, env);
  return { tableName: config.TABLE_NAME, logLevel: config.LOG_LEVEL, stage: config.STAGE };
}

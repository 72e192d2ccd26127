import * as v from 'valibot';
import { COMMON_SETTINGS, readEnvironment, requiredText } from '../environment';

const ReadEnvironment = v.object({
  TABLE_NAME: requiredText('TABLE_NAME'),
  HISTORY_TABLE_NAME: requiredText('HISTORY_TABLE_NAME'),
  ...COMMON_SETTINGS,
});

/** The read function's environment, checked once at cold start; throws one message that lists every problem. */
export function readReadConfig(env: NodeJS.ProcessEnv) {
  const config = readEnvironment(ReadEnvironment, {
    TABLE_NAME: env.TABLE_NAME,
    HISTORY_TABLE_NAME: env.HISTORY_TABLE_NAME,
    LOG_LEVEL: env.LOG_LEVEL,
    STAGE: env.STAGE,
  });
  return {
    tableName: config.TABLE_NAME,
    historyTableName: config.HISTORY_TABLE_NAME,
    logLevel: config.LOG_LEVEL,
    stage: config.STAGE,
  };
}

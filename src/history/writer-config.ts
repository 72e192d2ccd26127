import * as v from 'valibot';
import { DEFAULT_HISTORY_DAYS } from '../defaults';
import { COMMON_SETTINGS, readEnvironment, requiredText, wholeNumber } from '../environment';

const WriterEnvironment = v.object({
  HISTORY_TABLE_NAME: requiredText('HISTORY_TABLE_NAME'),
  HISTORY_DAYS: wholeNumber('HISTORY_DAYS', DEFAULT_HISTORY_DAYS),
  ...COMMON_SETTINGS,
});

/** The history writer's environment, checked once at cold start; throws one message that lists every problem. */
export function readHistoryWriterConfig(env: NodeJS.ProcessEnv) {
  const config = readEnvironment(WriterEnvironment, {
    HISTORY_TABLE_NAME: env.HISTORY_TABLE_NAME,
    HISTORY_DAYS: env.HISTORY_DAYS,
    LOG_LEVEL: env.LOG_LEVEL,
    STAGE: env.STAGE,
  });
  return {
    historyTableName: config.HISTORY_TABLE_NAME,
    historyDays: config.HISTORY_DAYS,
    logLevel: config.LOG_LEVEL,
    stage: config.STAGE,
  };
}

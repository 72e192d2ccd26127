import { readResourceEnvironment } from '../environment';

/** The read function's environment, checked once at cold start; throws one message that lists every problem. */
export function readReadConfig(env: NodeJS.ProcessEnv) {
  const { resource, ...common } = readResourceEnvironment(env, 'TABLE_NAME');
  const { resource: historyTableName } = readResourceEnvironment(env, 'HISTORY_TABLE_NAME');
  return { tableName: resource, historyTableName, ...common };
}

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Engine } from './embedded-table';

export { type EmbeddedTable, type Engine, startTable } from './embedded-table';

/** Whether `java` is an executable file in a folder of PATH. */
function javaOnPath(): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((folder) => {
    try {
      accessSync(join(folder, 'java'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** DynamoDB Local needs Java; without it, its runs are skipped (and in CI, refused). */
export const DYNAMODB_LOCAL_AVAILABLE = javaOnPath();

/**
 * The engines every storage-touching suite runs against: `describe.each(ENGINES)('… on %s', …)`.
 * dynalite always; AWS's DynamoDB Local when Java is on the PATH, since its answers are AWS's.
 */
export const ENGINES: readonly Engine[] = DYNAMODB_LOCAL_AVAILABLE
  ? ['dynalite', 'dynamodb-local']
  : ['dynalite'];

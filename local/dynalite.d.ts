declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB folder; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}

/** dynalite's internals, which local/embedded-dynamodb.ts extends. */
declare module 'dynalite/db/index.js' {
  type DynaliteError = Error & { body: Record<string, unknown> };
  const db: {
    checkConditional: ((
      data: Record<string, unknown>,
      existingItem: unknown,
    ) => DynaliteError | undefined) & {
      returnsOldItem?: boolean;
    };
  };
  export default db;
}

declare module 'dynalite/validations/*.js' {
  const validation: { types: Record<string, unknown> };
  export default validation;
}

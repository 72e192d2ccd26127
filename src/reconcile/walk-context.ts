import type { CompanyLister, ConnectionReader, ConnectionWriter } from '../connection/store';
import {
  DEFAULT_LAG_ALLOWANCE_MS,
  DEFAULT_RECONCILE_CONCURRENCY,
  DEFAULT_TOMBSTONE_TTL_DAYS,
} from '../defaults';
import type { CodatApi } from './codat-api';
import type { WalkJournal } from './journal';
import type { SnapshotClock } from './snapshot';

/** One change a walk made (or, in a dry run, would make), for a report. */
export interface ChangeNote {
  kind: 'created' | 'updated' | 'tombstoned';
  companyId: string;
  connectionId: string;
}

/** What a walk works with: the API, the table, the journal, and its settings. */
export interface WalkContext {
  api: Pick<CodatApi, 'companyPages' | 'getCompany' | 'stats'>;
  reader: Pick<ConnectionReader, 'listByCompany' | 'get'>;
  writer: Pick<ConnectionWriter, 'write'>;
  journal: WalkJournal;
  companies: CompanyLister;
  clock: SnapshotClock;
  tombstoneTtlDays: number;
  /** Companies reconciled at once: one Query each, then their writes. */
  concurrency: number;
  now: () => Date;
  onChange?: (note: ChangeNote) => void;
}

export interface WalkContextOptions {
  api: WalkContext['api'];
  /** The Connection table: read, written, and listed by company. */
  store: WalkContext['reader'] & WalkContext['writer'] & CompanyLister;
  journal: WalkJournal;
  walkId: string;
  /** @default DEFAULT_LAG_ALLOWANCE_MS */
  lagAllowanceMs?: number;
  /** @default DEFAULT_TOMBSTONE_TTL_DAYS */
  tombstoneTtlDays?: number;
  /** @default DEFAULT_RECONCILE_CONCURRENCY */
  concurrency?: number;
  /** @default () => new Date() */
  now?: () => Date;
  /** Read everything and write nothing: every write is reported as applied, and nothing is stored. */
  dryRun?: boolean;
  onChange?: (note: ChangeNote) => void;
}

/** A walk's context, the same for the Lambda functions, `npm run reconcile` and the tests. */
export function createWalkContext(options: WalkContextOptions): WalkContext {
  const { store } = options;
  return {
    api: options.api,
    reader: store,
    writer: options.dryRun ? { write: async () => 'applied' } : store,
    journal: options.journal,
    companies: store,
    clock: { walkId: options.walkId, lagAllowanceMs: options.lagAllowanceMs ?? DEFAULT_LAG_ALLOWANCE_MS },
    tombstoneTtlDays: options.tombstoneTtlDays ?? DEFAULT_TOMBSTONE_TTL_DAYS,
    concurrency: options.concurrency ?? DEFAULT_RECONCILE_CONCURRENCY,
    now: options.now ?? (() => new Date()),
    ...(options.onChange ? { onChange: options.onChange } : {}),
  };
}

import type { ConnectionChange } from '../connection/store';
import { type PackedCompanyIds, packCompanyIds, unpackCompanyIds } from './company-ids';
import type { InvalidNote } from './progress';

/**
 * What a walk must remember from one page until its sweep: which companies the page listed,
 * and which stored connections those companies no longer list. Kept page by page behind this
 * interface: in memory for the CLI (one process holds the walk; 16 bytes a company listed), in
 * a DynamoDB table for the stack, where each page may be read by another Lambda invocation.
 */
export interface PageRecord {
  page: number;
  companyIds: string[];
  /** Live stored connections missing from their company's list: tombstones if the walk completes. */
  absent: AbsentConnection[];
  /** Items of the page that could not be read or stored: the page is then incomplete. */
  invalid: number;
  /** The first few of them, named (see `MAX_INVALID_NAMED`). */
  invalidItems?: InvalidNote[];
  /** Why the page could not be read at all, after its retries. */
  failure?: string;
}

export interface AbsentConnection {
  /**
   * Keys only, not the stored item: a page's journal record stays small (far below DynamoDB's
   * 400 KB, however many connections vanish at once), and the sweep reads the item as it is then.
   */
  companyId: string;
  connectionId: string;
  /** The `reconcile.absent` event of the read that found it missing. */
  event: ConnectionChange['event'];
}

/** A page is complete when it was read and every item on it was valid. */
export function isComplete(record: PageRecord): boolean {
  return record.failure === undefined && record.invalid === 0;
}

export interface WalkJournal {
  /** Records a page; recording the same page again replaces it (a retried invocation). */
  record(walkId: string, page: PageRecord): Promise<void>;
  /** Every page recorded for the walk, in page order. */
  pages(walkId: string): AsyncIterable<PageRecord>;
}

type KeptPage = Omit<PageRecord, 'companyIds'> & { companyIds: PackedCompanyIds };

/**
 * The journal of a walk that runs in one process, as `npm run reconcile` does. It holds every
 * page's company ids until the sweep, so they are kept packed (company-ids.ts): 16 bytes a
 * company rather than about 60, the one part of the walk's memory that grows with the account.
 */
export class InMemoryWalkJournal implements WalkJournal {
  private readonly walks = new Map<string, Map<number, KeptPage>>();

  async record(walkId: string, page: PageRecord): Promise<void> {
    const pages = this.walks.get(walkId) ?? new Map<number, KeptPage>();
    pages.set(page.page, { ...page, companyIds: packCompanyIds(page.companyIds) });
    this.walks.set(walkId, pages);
  }

  async *pages(walkId: string): AsyncIterable<PageRecord> {
    const pages = this.walks.get(walkId) ?? new Map<number, KeptPage>();
    for (const kept of [...pages.values()].sort((a, b) => a.page - b.page)) {
      yield { ...kept, companyIds: unpackCompanyIds(kept.companyIds) };
    }
  }
}

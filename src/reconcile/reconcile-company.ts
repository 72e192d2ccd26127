import { changeLimitProblems } from '../connection/item-limits';
import { UnstorableChangeError } from '../errors';
import type { Company, CompanyPaths } from './api-schema';
import type { AbsentConnection } from './journal';
import { type InvalidNote, reasonOf, type WalkTotals } from './progress';
import { observedChange, sameState, snapshotEvent } from './snapshot';
import type { WalkContext } from './walk-context';

/** Where a company was read: the page (none for a lookup) and its paths in that answer. */
export interface ReadAt {
  page?: number;
  paths?: CompanyPaths;
}

/**
 * Brings one company's stored connections to what the API showed at `readAt`: one Query for
 * what is stored, then a conditional write for each connection that differs. Equal items are
 * not written, so an unchanged account costs reads only. Stored live connections the company
 * no longer lists are returned, to be tombstoned only if the whole walk completes. A connection
 * DynamoDB cannot store (the same limits the receiver checks, item-limits.ts) is not written
 * and is returned, named, as invalid: the walk goes on, and is then incomplete.
 */
export async function reconcileCompany(
  company: Company,
  readAt: Date,
  ctx: WalkContext,
  where: ReadAt = {},
): Promise<{ counts: Partial<WalkTotals>; absent: AbsentConnection[]; invalid: InvalidNote[] }> {
  // Eventually consistent: half the read units of the walk's one read per company (0.5 unit
  // for a company's items under 4 KB), and safe because nothing this read leads to is decided
  // by it alone. Every write it leads to is conditional on the stored order key (buildUpdate),
  // so a read that missed the last second's writes costs at most a write that the condition
  // refuses (stale), or one that stores what the API shows anyway; and a connection it shows
  // live that is not is only journaled absent, which the sweep reads again, consistently
  // (`reader.get`), before a conditional tombstone. A connection it missed is left for the next
  // walk, as one stored just after a consistent read would be.
  const stored = new Map(
    (await ctx.reader.listByCompany(company.id, { consistentRead: false })).map((item) => [
      item.connection.id,
      item,
    ]),
  );
  const observed = snapshotEvent(ctx.clock, readAt, 'reconcile.observed');
  const counts = { connections: 0, created: 0, updated: 0, unchanged: 0, newerKept: 0, invalid: 0 };
  const invalid: InvalidNote[] = [];
  for (const [index, connection] of company.dataConnections.entries()) {
    counts.connections += 1;
    const existing = stored.get(connection.id);
    stored.delete(connection.id);
    if (existing && sameState(existing, company, connection)) counts.unchanged += 1;
    // A newer event is stored: the API has not caught up with it. No write could win.
    else if (existing && existing.lastEvent.order >= observed.order) counts.newerKept += 1;
    else {
      const change = observedChange(company, connection, observed, ctx.now());
      const path = where.paths?.connections[index] ?? `(company).dataConnections[${index}]`;
      const note = (problems: readonly { path: string; message: string }[]): InvalidNote => ({
        ...(where.page === undefined ? {} : { page: where.page }),
        path,
        companyId: company.id,
        connectionId: connection.id,
        reason: reasonOf(
          problems.map((problem) => ({ ...problem, path: inAnswer(problem.path, path, where) })),
        ),
      });
      const problems = changeLimitProblems(change);
      if (problems.length > 0) {
        invalid.push(note(problems));
        continue;
      }
      let outcome: Awaited<ReturnType<WalkContext['writer']['write']>>;
      try {
        outcome = await ctx.writer.write(change);
      } catch (error) {
        if (!(error instanceof UnstorableChangeError)) throw error;
        invalid.push(note(error.problems));
        continue;
      }
      if (outcome === 'stale') counts.newerKept += 1;
      else if (outcome === 'duplicate') counts.unchanged += 1;
      else {
        const kind = existing ? 'updated' : 'created';
        counts[kind] += 1;
        ctx.onChange?.({ kind, companyId: company.id, connectionId: connection.id });
      }
    }
  }
  const absent = snapshotEvent(ctx.clock, readAt, 'reconcile.absent');
  const missing = [...stored.values()].filter((item) => !item.deleted && item.lastEvent.order < absent.order);
  counts.invalid = invalid.length;
  return {
    counts,
    invalid,
    absent: missing.map((item) => ({
      companyId: item.companyId,
      connectionId: item.connection.id,
      event: absent,
    })),
  };
}

/** An item-limits path (`payload.connection.connectionInfo.a`) as a path in the API's answer. */
function inAnswer(path: string, connectionPath: string, where: ReadAt): string {
  if (path.startsWith('payload.connection.'))
    return `${connectionPath}.${path.slice('payload.connection.'.length)}`;
  if (path.startsWith('payload.referenceCompany.'))
    return `${where.paths?.path ?? '(company)'}.${path.slice('payload.referenceCompany.'.length)}`;
  return `${connectionPath} (${path})`;
}

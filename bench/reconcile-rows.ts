/**
 * The reconciler's rows of the bench's table: a large unchanged account beside one a tenth of
 * its size, each walked once by `npm run reconcile` (bench/reconcile.ts).
 */
import { READ_OPERATIONS, sumOf } from './dynamodb-proxy';
import type { ReconcileFigures } from './reconcile';
import type { Row } from './report';

const count = (value: number) => value.toLocaleString('en');
const reported = { ratio: undefined, goal: 'reported', met: undefined };

/** Read units of the walk per company: its Queries, and the sweep's Scan and GetItems. */
export function readUnitsPerCompany(figures: ReconcileFigures): number {
  return sumOf(figures.dynamoDb.units, READ_OPERATIONS) / figures.companies;
}

const perCompany = (figures: ReconcileFigures, operation: string) =>
  ((figures.dynamoDb.units[operation] ?? 0) / figures.companies).toFixed(3);

export function reconcileRows(large: ReconcileFigures, small: ReconcileFigures): Row[] {
  const account = (figures: ReconcileFigures) =>
    `${count(figures.companies)} companies, ${count(figures.connections)} connections`;
  const sizes = `${count(large.companies)} / ${count(small.companies)} companies`;
  const calls = (figures: ReconcileFigures) =>
    Object.entries(figures.dynamoDb.calls)
      .filter(([operation]) => operation !== 'CreateTable')
      .map(([operation, calls]) => `${operation} ${count(calls)}`)
      .join(', ');
  // A walk that failed left no figures (NaN, null in JSON): its goal rows are not met.
  const walked = !large.failure && !small.failure;
  const judged = (ratio: number, met: boolean) =>
    walked ? { ratio, met } : { ratio: undefined, met: false };
  const units = readUnitsPerCompany(large);
  const rss = (pick: (figures: ReconcileFigures) => number, phase: string): Row => {
    const ratio = pick(large) / pick(small);
    return {
      figure: `reconcile: peak RSS of the ${phase}, sampled while it runs (${sizes})`,
      measured: `${pick(large)} MiB / ${pick(small)} MiB`,
      goal: '≤ 1.20',
      ...judged(ratio, ratio <= 1.2),
    };
  };
  const wallRatio = large.seconds / small.seconds;
  const failures = [large, small]
    .filter((figures) => figures.failure)
    .map((figures) => ({
      figure: `reconcile (${count(figures.companies)} companies): the measured walk`,
      measured: `failed: ${figures.failure}`,
      ratio: undefined,
      goal: 'completes',
      met: false,
    }));
  return [
    ...failures,
    ...[large, small].map((figures) => ({
      figure: `reconcile (${account(figures)}, unchanged): API requests`,
      measured: `${figures.apiRequests} / fewest paging allows ${figures.minimumApiRequests}`,
      ratio: figures.apiRequests / figures.minimumApiRequests,
      goal: '= the fewest',
      met: !figures.failure && figures.apiRequests === figures.minimumApiRequests,
    })),
    ...[large, small].map((figures) => ({
      figure: `reconcile (${count(figures.companies)} companies): DynamoDB item writes`,
      measured: `${figures.writes} (calls: ${calls(figures)})`,
      ratio: undefined,
      goal: '0',
      met: !figures.failure && figures.writes === 0,
    })),
    {
      figure: `reconcile (${count(large.companies)} companies): read units per company (ReturnConsumedCapacity)`,
      measured: `Query ${perCompany(large, 'Query')} + Scan ${perCompany(large, 'Scan')} + GetItem ${perCompany(large, 'GetItem')}; ${count(small.companies)} companies: ${readUnitsPerCompany(small).toFixed(3)}`,
      goal: '≤ 1',
      ...judged(units, units <= 1),
    },
    {
      figure: `reconcile: wall time of npm run reconcile, start to exit (${sizes})`,
      measured: `${large.seconds} s (pages ${large.walkSeconds} s, sweep ${large.sweepSeconds} s) / ${small.seconds} s (pages ${small.walkSeconds} s, sweep ${small.sweepSeconds} s)`,
      goal: '≤ 11',
      ...judged(wallRatio, wallRatio <= 11),
    },
    rss((figures) => figures.walkPeakRssMiB, 'walk of the pages'),
    rss((figures) => figures.sweepPeakRssMiB, 'sweep'),
    {
      figure: `reconcile: peak RSS at exit (VmHWM); peaks of V8's heap (total, used) and outside it (external); heap still held after a full collection (${sizes})`,
      measured: `RSS ${large.exitPeakRssMiB} / ${small.exitPeakRssMiB} MiB; heap ${large.heapTotalPeakMiB}, ${large.heapUsedPeakMiB} / ${small.heapTotalPeakMiB}, ${small.heapUsedPeakMiB} MiB; external ${large.externalPeakMiB} / ${small.externalPeakMiB} MiB; held ${large.liveHeapMiB} / ${small.liveHeapMiB} MiB`,
      ...reported,
      ratio: large.liveHeapMiB / small.liveHeapMiB,
    },
    {
      figure: 'reconcile: table filled before the measured walk',
      measured: `${large.seeding.method}: ${count(large.seeding.connections)} in ${large.seeding.seconds} s, ${count(small.seeding.connections)} in ${small.seeding.seconds} s`,
      ...reported,
    },
  ];
}

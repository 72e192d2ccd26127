/**
 * The bench's one table, its goals, and bench/results/bench.json with the same figures.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { BreakdownFigures } from './breakdown';
import type { CallsFigures } from './calls';
import type { BundleFigures } from './cold-start';
import { LATENCY_PAIRS, LATENCY_WARMUP_PAIRS, type LatencyFigures } from './latency';
import type { ReconcileFigures } from './reconcile';
import { reconcileRows } from './reconcile-rows';
import { coldStartRows, costRows, handlerRows, latencyRows, type Row, throughputRows } from './rows';
import { RESULTS, round } from './support';
import { THROUGHPUT_REQUESTS, type ThroughputFigures } from './throughput';

export type { Row } from './rows';

/** Every figure of one run (those measured: `--only` leaves some out), and when it started. */
export interface BenchFigures {
  startedAt: Date;
  /** `performance.now()` when the run started, for its wall time. */
  wallStart: number;
  /** os.loadavg() when the run started: 1, 5 and 15 minutes. */
  loadAverage: string;
  bundles?: BundleFigures;
  /** What a delivery costs on DynamoDB Local, and company.deleted's time to answer. */
  calls?: CallsFigures;
  /** Per delivery against a bare UpdateItem: over loopback to DynamoDB Local, and in process. */
  latency?: { network?: LatencyFigures; inProcess?: LatencyFigures };
  breakdown?: BreakdownFigures;
  throughput?: ThroughputFigures;
  /** The reconciler over a large and a small unchanged account. */
  reconcile?: { large: ReconcileFigures; small: ReconcileFigures };
}

function rowsOf({ latency, throughput, bundles, calls, breakdown, reconcile }: BenchFigures): Row[] {
  return [
    ...(bundles ? coldStartRows(bundles) : []),
    ...(latency?.network ? latencyRows(latency.network) : []),
    ...(latency?.inProcess ? latencyRows(latency.inProcess) : []),
    ...(breakdown ? handlerRows(breakdown) : []),
    ...(throughput ? throughputRows(throughput) : []),
    ...(calls ? costRows(calls) : []),
    ...(reconcile ? reconcileRows(reconcile.large, reconcile.small) : []),
  ];
}

/** os.loadavg(): 1, 5 and 15 minutes. */
export function loadAverageNow(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
}

/** A row's goal and whether it was met, in one cell, as docs/performance.md writes it. */
export function goalCell(row: Pick<Row, 'goal' | 'met'>): string {
  if (row.met === undefined) return row.goal;
  return `${row.goal}, ${row.met ? 'met' : 'not met'}`;
}

/** Prints the table (in docs/performance.md's format) to stdout and writes bench/results/bench.json. */
export function report(figures: BenchFigures): void {
  const rows = rowsOf(figures);
  const wallSeconds = (performance.now() - figures.wallStart) / 1000;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverageAtStart: figures.loadAverage,
    loadAverageAtEnd: loadAverageNow(),
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  const loadAtEnd = machine.loadAverageAtEnd;
  const started = figures.startedAt.toISOString().slice(0, 16).replace('T', ' ');
  const header = [
    `Benchmark of the Codat webhook receiver, ${figures.startedAt.toISOString()}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, node ${machine.node} (${machine.platform})`,
    `latency: ${LATENCY_PAIRS} interleaved rounds of handler, bare verifying receiver, bare UpdateItem and store.write (order rotated) after ${LATENCY_WARMUP_PAIRS} warm-up, on DynamoDB Local over loopback and on dynalite in process; throughput: ${THROUGHPUT_REQUESTS} requests per side on dynalite; costs and the reconciler on DynamoDB Local`,
    `load average at start ${figures.loadAverage}, at end ${loadAtEnd}`,
    '',
    // The table as docs/performance.md gives it, to be pasted under this sentence.
    `Measured with \`npm run bench\` on this project's ${machine.cores}-core ${machine.cpu} machine, Node ${machine.node.replace(/^v/, '')}, ${started} UTC (load average ${figures.loadAverage} at the start of the run, ${loadAtEnd} at its end):`,
    '',
  ];
  const cells = rows.map((row) => [
    row.figure,
    row.measured,
    row.ratio === undefined ? '' : row.ratio.toFixed(3),
    goalCell(row),
  ]);
  const titles = ['figure', 'measured', 'ratio', 'goal'];
  const widths = titles.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length)),
  );
  const line = (cell: string[]) =>
    `| ${cell.map((text, column) => text.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  console.log(header.join('\n'));
  console.log(line(titles));
  console.log(`| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`);
  for (const cell of cells) console.log(line(cell));
  console.log(`bench ran in ${wallSeconds.toFixed(1)} s`);

  const { startedAt, latency, throughput, bundles, calls, breakdown, reconcile } = figures;
  const json = {
    date: startedAt.toISOString(),
    machine,
    wallSeconds: round(wallSeconds, 1),
    rows: rows.map((row) => ({ ...row, ratio: row.ratio === undefined ? undefined : round(row.ratio) })),
    latency,
    throughput,
    bundles,
    calls,
    breakdownP50Ms: breakdown,
    reconcile,
  };
  writeFileSync(join(RESULTS, 'bench.json'), `${JSON.stringify(json, null, 2)}\n`);
}

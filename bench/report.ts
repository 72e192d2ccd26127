/**
 * The bench's one table, its goals, and bench/results/bench.json with the same figures.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { AS_IN_LAMBDA, type BreakdownFigures } from './breakdown';
import type { CallsFigures } from './calls';
import { type BundleFigures, COLD_START_ROUNDS } from './cold-start';
import { LATENCY_PAIRS, LATENCY_WARMUP_PAIRS, type LatencyFigures } from './latency';
import { type ReconcileFigures, reconcileRows } from './reconcile';
import { RESULTS, round } from './support';
import { THROUGHPUT_CONCURRENCY, THROUGHPUT_REQUESTS, type ThroughputFigures } from './throughput';

/** Every figure of one run, and when it started. */
export interface BenchFigures {
  startedAt: Date;
  /** `performance.now()` when the run started, for its wall time. */
  wallStart: number;
  bundles: BundleFigures;
  calls: CallsFigures;
  latency: LatencyFigures;
  breakdown: BreakdownFigures;
  throughput: ThroughputFigures;
  /** os.loadavg() when the run started: 1, 5 and 15 minutes. */
  loadAverage: string;
  /** The reconciler over a large and a small unchanged account; absent with --skip-reconcile. */
  reconcile?: { large: ReconcileFigures; small: ReconcileFigures };
}

/** One row of the table: a ratio to the bare client where there is one, and its goal. */
interface Row {
  figure: string;
  measured: string;
  ratio: number | undefined;
  goal: string;
  met: boolean | undefined;
}

const ms = (value: number) => `${value.toFixed(3)} ms`;
/** Kinds that are written once (conditionally); refused and ignored ones are never written. */
const callsGoal = (kind: string) => (kind === 'applied' || kind === 'duplicate' || kind === 'stale' ? 1 : 0);
const reported = { ratio: undefined, goal: 'reported', met: undefined };

const MiB = (kib: number) => `${kib.toFixed(1)} MiB`;

function rowsOf({ latency, throughput, bundles, calls, breakdown, reconcile }: BenchFigures): Row[] {
  const p50Ratio = latency.handlerP50Ms / latency.bareP50Ms;
  const throughputRatio = throughput.receiverPerSecond / throughput.barePerSecond;
  const { receiver, bare } = bundles;
  const handlerWithPowertools = breakdown[AS_IN_LAMBDA] ?? Number.NaN;
  const cold = `median of ${COLD_START_ROUNDS} paired ratios`;
  return [
    {
      figure: `cold start as deployed, process start to first delivery answered (${cold})`,
      measured: `receiver ${ms(receiver.answeredMs)} / bare ${ms(bare.answeredMs)}`,
      ratio: bundles.coldRatio,
      goal: '≤ 1.05',
      met: bundles.coldRatio <= 1.05,
    },
    {
      figure: `cold start, the receiver against the bare function that also reads a secret from Secrets Manager (${cold})`,
      measured: `receiver ${ms(receiver.answeredMs)} / bare with the secret read ${ms(bundles.bareSecret.answeredMs)}`,
      ...reported,
      ratio: bundles.ownCodeRatio,
    },
    {
      figure: `cold start, what reading the secret costs the bare function (${cold})`,
      measured: `bare with the secret read ${ms(bundles.bareSecret.answeredMs)} / bare ${ms(bare.answeredMs)}`,
      ...reported,
      ratio: bundles.secretRatio,
    },
    {
      figure: `cold start, import + first delivery only (${cold})`,
      measured: `import ${ms(receiver.importMs)} + first ${ms(receiver.firstDeliveryMs)} / import ${ms(bare.importMs)} + first ${ms(bare.firstDeliveryMs)}`,
      ...reported,
      ratio: bundles.codeRatio,
    },
    {
      figure: 'cold start, Node start before the import (both)',
      measured: `receiver ${ms(receiver.bootMs)} / bare ${ms(bare.bootMs)}`,
      ...reported,
      ratio: receiver.bootMs / bare.bootMs,
    },
    {
      figure: `cold start, peak memory (maxRSS, ${cold})`,
      measured: `receiver ${MiB(receiver.maxRssMiB)} / bare ${MiB(bare.maxRssMiB)}`,
      ...reported,
      ratio: bundles.rssRatio,
    },
    {
      figure: 'handler own work with Powertools, no database, p50',
      measured: ms(handlerWithPowertools),
      ratio: undefined,
      goal: '≤ 0.150 ms',
      met: handlerWithPowertools <= 0.15,
    },
    {
      figure: 'per-delivery cost in process, p50 (as in Lambda: Logger + metrics)',
      measured: `handler ${ms(latency.handlerP50Ms)} / bare UpdateItem ${ms(latency.bareP50Ms)}`,
      ratio: p50Ratio,
      goal: '≤ 1.10',
      met: p50Ratio <= 1.1,
    },
    {
      figure: 'per-delivery cost in process, median of paired ratios',
      measured: `${latency.pairs} rounds, handler / bare UpdateItem timed back to back`,
      ...reported,
      ratio: latency.pairedRatio,
    },
    {
      figure: 'per-delivery cost in process, p99',
      measured: `handler ${ms(latency.handlerP99Ms)} / bare UpdateItem ${ms(latency.bareP99Ms)}`,
      ...reported,
      ratio: latency.handlerP99Ms / latency.bareP99Ms,
    },
    {
      figure: 'handler own work between database calls, p50 (its time less its store.write, same rounds)',
      measured: ms(latency.ownWorkP50Ms),
      ...reported,
    },
    {
      figure: 'per-delivery cost in process, store.write alone (attribution)',
      measured: `store.write p50 ${ms(latency.storeWriteP50Ms)}, p99 ${ms(latency.storeWriteP99Ms)}; ratio is its p50 / bare p50`,
      ...reported,
      ratio: latency.storeWriteP50Ms / latency.bareP50Ms,
    },
    {
      figure: `throughput through the same local HTTP server, concurrency ${THROUGHPUT_CONCURRENCY}`,
      measured: `receiver ${throughput.receiverPerSecond.toFixed(0)}/s / bare UpdateItem ${throughput.barePerSecond.toFixed(0)}/s`,
      ratio: throughputRatio,
      goal: '≥ 0.80',
      met: throughputRatio >= 0.8,
    },
    {
      figure: 'shipped bundle (minified CommonJS, as synthesized)',
      measured: `receiver ${bundles.receiverBytes} B (map ${bundles.receiverMapBytes} B) / bare ${bundles.bareBytes} B (map ${bundles.bareMapBytes} B); bare with the secret read ${bundles.bareSecretBytes} B`,
      ...reported,
      ratio: bundles.receiverBytes / bundles.bareBytes,
    },
    ...bundles.addedBytes.map(([name, bytes]) => ({
      figure: `bundle: added beyond the bare client by ${name}`,
      measured: `${bytes} B`,
      ...reported,
    })),
    ...Object.entries(calls).map(([kind, entry]) => ({
      figure: `DynamoDB calls per delivery, ${kind}`,
      measured: `${entry.calls} calls / ${entry.deliveries} deliveries${entry.unexpected ? ` (${entry.unexpected} unexpected answers!)` : ''}`,
      ratio: entry.callsPerDelivery,
      goal: `${callsGoal(kind)}`,
      met: entry.callsPerDelivery === callsGoal(kind) && entry.unexpected === 0,
    })),
    {
      figure: 'peak memory (RSS) during throughput run',
      measured: `${(throughput.peakRssBytes / 2 ** 20).toFixed(1)} MiB`,
      ...reported,
    },
    ...Object.entries(breakdown).map(([step, p50]) => ({
      figure: `breakdown p50: ${step}`,
      measured: ms(p50),
      ...reported,
    })),
    ...(reconcile ? reconcileRows(reconcile.large, reconcile.small) : []),
  ];
}

/** Prints the table to stdout and writes bench/results/bench.json. */
export function report(figures: BenchFigures): void {
  const rows = rowsOf(figures);
  const wallSeconds = (performance.now() - figures.wallStart) / 1000;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverageAtStart: figures.loadAverage,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  const header = [
    `Benchmark of the Codat webhook receiver, ${figures.startedAt.toISOString()}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, node ${machine.node} (${machine.platform})`,
    `latency: ${LATENCY_PAIRS} interleaved rounds of handler, bare UpdateItem and store.write (order rotated) after ${LATENCY_WARMUP_PAIRS} warm-up; throughput: ${THROUGHPUT_REQUESTS} requests per side; embedded DynamoDB (dynalite) in memory; load average at start ${figures.loadAverage}`,
  ];
  const cells = rows.map((row) => [
    row.figure,
    row.measured,
    row.ratio === undefined ? '' : row.ratio.toFixed(3),
    row.goal,
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
  ]);
  const titles = ['figure', 'measured', 'ratio', 'goal', 'met'];
  const widths = titles.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => (cell[column] ?? '').length)),
  );
  const line = (cell: string[]) =>
    `| ${cell.map((text, column) => text.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  console.log(header.join('\n'));
  console.log(line(titles));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const cell of cells) console.log(line(cell));
  console.log(`bench ran in ${wallSeconds.toFixed(1)} s`);

  const { startedAt, latency, throughput, bundles, calls, breakdown } = figures;
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
  };
  writeFileSync(join(RESULTS, 'bench.json'), `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * The bench's one table, its goals, and bench/results/bench.json with the same figures.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { BreakdownFigures } from './breakdown';
import type { CallsFigures } from './calls';
import { type BundleFigures, COLD_START_RUNS } from './cold-start';
import { LATENCY_PAIRS, LATENCY_WARMUP_PAIRS, type LatencyFigures } from './latency';
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

function rowsOf({ latency, throughput, bundles, calls, breakdown }: BenchFigures): Row[] {
  const p50Ratio = latency.handlerP50Ms / latency.bareP50Ms;
  const throughputRatio = throughput.serverPerSecond / throughput.barePerSecond;
  const bundleRatio = bundles.receiverBytes / bundles.bareBytes;
  const coldRatio = bundles.receiver.importMs / bundles.bare.importMs;
  return [
    {
      figure: 'per-delivery cost in process, p50',
      measured: `handler ${ms(latency.handlerP50Ms)} / bare UpdateItem ${ms(latency.bareP50Ms)}`,
      ratio: p50Ratio,
      goal: '≤ 1.10',
      met: p50Ratio <= 1.1,
    },
    {
      figure: 'per-delivery cost in process, p99',
      measured: `handler ${ms(latency.handlerP99Ms)} / bare UpdateItem ${ms(latency.bareP99Ms)}`,
      ...reported,
      ratio: latency.handlerP99Ms / latency.bareP99Ms,
    },
    {
      figure: 'per-delivery cost in process, store.write alone (attribution)',
      measured: `store.write p50 ${ms(latency.storeWriteP50Ms)}, p99 ${ms(latency.storeWriteP99Ms)}; ratio is its p50 / bare p50`,
      ...reported,
      ratio: latency.storeWriteP50Ms / latency.bareP50Ms,
    },
    {
      figure: `throughput, concurrency ${THROUGHPUT_CONCURRENCY}`,
      measured: `HTTP server ${throughput.serverPerSecond.toFixed(0)}/s / bare UpdateItem ${throughput.barePerSecond.toFixed(0)}/s`,
      ratio: throughputRatio,
      goal: '≥ 0.80',
      met: throughputRatio >= 0.8,
    },
    {
      figure: 'shipped bundle (minified ESM)',
      measured: `receive-webhook ${bundles.receiverBytes} B / bare client ${bundles.bareBytes} B`,
      ratio: bundleRatio,
      goal: '≤ 1.15',
      met: bundleRatio <= 1.15,
    },
    {
      figure: `cold start, import + build handler (median of ${COLD_START_RUNS})`,
      measured: `receive-webhook ${ms(bundles.receiver.importMs)} / bare ${ms(bundles.bare.importMs)}`,
      ratio: coldRatio,
      goal: '≤ 1.15',
      met: coldRatio <= 1.15,
    },
    {
      figure: `cold start, whole process spawn to exit (median of ${COLD_START_RUNS})`,
      measured: `receive-webhook ${ms(bundles.receiver.processMs)} / bare ${ms(bundles.bare.processMs)}`,
      ...reported,
      ratio: bundles.receiver.processMs / bundles.bare.processMs,
    },
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
  ];
}

/** Prints the table to stdout and writes bench/results/bench.json. */
export function report(figures: BenchFigures): void {
  const rows = rowsOf(figures);
  const wallSeconds = (performance.now() - figures.wallStart) / 1000;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
  };
  const header = [
    `Benchmark of the Codat webhook receiver, ${figures.startedAt.toISOString()}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, node ${machine.node} (${machine.platform})`,
    `latency: ${LATENCY_PAIRS} interleaved rounds of handler, bare UpdateItem and store.write (order rotated) after ${LATENCY_WARMUP_PAIRS} warm-up; throughput: ${THROUGHPUT_REQUESTS} requests per side; embedded DynamoDB (dynalite) in memory`,
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

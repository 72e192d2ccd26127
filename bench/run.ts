/**
 * `npm run bench`: what the receiver costs compared with a bare DynamoDB UpdateItem, on this
 * machine. Prints one table and writes the same figures to bench/results/bench.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseCommandLine, usageError } from '../local/command-line';
import type { BreakdownFigures } from './breakdown';
import type { CallsFigures } from './calls';
import type { BundleFigures } from './cold-start';
import type { FigureName } from './figure';
import type { LatencyFigures } from './latency';
import type { ReconcileFigures } from './reconcile';
import { report } from './report';
import { RESULTS, ROOT } from './support';
import type { ThroughputFigures } from './throughput';

const USAGE = `Usage: npm run bench [-- -h | --help]

Measures the webhook receiver against a bare DynamoDB UpdateItem on this machine, over an
embedded DynamoDB on 127.0.0.1: the synthesized stack's bundle and its cold start as Lambda
runs it (fresh process, the template's environment), DynamoDB calls per kind of answer,
per-delivery latency, the handler's own steps, and throughput behind one local HTTP server.
Takes a few minutes; prints one table and writes the figures to bench/results/bench.json.

Then the reconciler: npm run reconcile over an unchanged account on the fake Codat API, a large
one and a quarter of it, counting API requests and DynamoDB calls (several more minutes).

  --reconcile-companies <n>  companies in the large account (default 10000, 2 connections each)
  --skip-reconcile           leave the reconciler out
  -h, --help                 print this help`;

const { values } = parseCommandLine(USAGE, {
  'reconcile-companies': { type: 'string', default: '10000' },
  'skip-reconcile': { type: 'boolean', default: false },
});
const reconcileCompanies = Number(values['reconcile-companies']);
if (!Number.isSafeInteger(reconcileCompanies) || reconcileCompanies < 4) {
  usageError(USAGE, '--reconcile-companies must be a whole number, at least 4');
}

const startedAt = new Date();
const loadAverage = os
  .loadavg()
  .map((load) => load.toFixed(2))
  .join(', ');
const wallStart = performance.now();
mkdirSync(RESULTS, { recursive: true });

/** Measures one figure in a fresh process (bench/figure.ts), so that none runs on another's garbage. */
function measure<T>(figure: FigureName, argument?: string): T {
  const out = join(RESULTS, `.${figure}-${process.pid}.json`);
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const run = spawnSync(
    tsx,
    [join(ROOT, 'bench', 'figure.ts'), figure, out, ...(argument ? [argument] : [])],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (run.status !== 0) throw new Error(`bench: the ${figure} figure failed (exit ${run.status})`);
  try {
    return JSON.parse(readFileSync(out, 'utf8')) as T;
  } finally {
    rmSync(out, { force: true });
  }
}

process.stderr.write('bench: synth, bundles and cold starts…\n');
const bundles = measure<BundleFigures>('bundles');
process.stderr.write('bench: DynamoDB calls per delivery…\n');
const calls = measure<CallsFigures>('calls');
process.stderr.write('bench: latency, interleaved…\n');
const latency = measure<LatencyFigures>('latency');
process.stderr.write('bench: handler breakdown…\n');
const breakdown = measure<BreakdownFigures>('breakdown');
process.stderr.write('bench: throughput…\n');
const throughput = measure<ThroughputFigures>('throughput');
let reconcile: { large: ReconcileFigures; small: ReconcileFigures } | undefined;
if (!values['skip-reconcile']) {
  process.stderr.write(
    `bench: reconcile, ${Math.floor(reconcileCompanies / 4)} then ${reconcileCompanies} companies…\n`,
  );
  const small = measure<ReconcileFigures>('reconcile', String(Math.floor(reconcileCompanies / 4)));
  reconcile = { small, large: measure<ReconcileFigures>('reconcile', String(reconcileCompanies)) };
}
report({ startedAt, wallStart, loadAverage, bundles, calls, latency, breakdown, throughput, reconcile });

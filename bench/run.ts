/**
 * `npm run bench`: what the receiver and the reconciler cost against their floors, on this
 * machine. Prints one table and writes the same figures to bench/results/bench.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine, usageError } from '../local/command-line';
import type { BreakdownFigures } from './breakdown';
import type { CallsFigures } from './calls';
import type { BundleFigures } from './cold-start';
import type { FigureName } from './figure';
import type { LatencyFigures } from './latency';
import type { ReconcileFigures } from './reconcile';
import { type BenchFigures, loadAverageNow, report } from './report';
import { RESULTS, ROOT } from './support';
import type { ThroughputFigures } from './throughput';

/** The parts of the bench, in the order they run; `--only` picks some. */
const PARTS = ['cold-start', 'latency', 'breakdown', 'throughput', 'costs', 'reconcile'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `Usage: npm run bench [-- options]

Measures the webhook receiver against its floors on this machine: the synthesized stack's
bundle and its cold start as Lambda runs it (fresh process, the template's environment) against
a bare function that reads the same secret; per-delivery latency against a bare UpdateItem of
the same item on AWS's DynamoDB Local over loopback HTTP, and in process on dynalite; the
handler's own steps; throughput behind one local HTTP server; what a delivery costs (DynamoDB
calls, capacity units, log bytes) and company.deleted of a company with 200 connections.

Then the reconciler: npm run reconcile over an unchanged account on the fake Codat API and
DynamoDB Local, a large one and a tenth of it, counting API requests, DynamoDB calls and
capacity, and sampling its memory. Prints one table and writes bench/results/bench.json.
The whole takes about half an hour on 2 busy cores, most of it the 100,000 companies.

  --reconcile-companies <n>  companies in the large account (default 100000, 2 connections
                             each); the small one has a tenth
  --only <parts>             run only these, comma-separated: ${PARTS.join(', ')}
  --skip-reconcile           leave the reconciler out
  -h, --help                 print this help`;

const { values } = parseCommandLine(USAGE, {
  'reconcile-companies': { type: 'string', default: '100000' },
  only: { type: 'string', default: PARTS.join(',') },
  'skip-reconcile': { type: 'boolean', default: false },
});
const reconcileCompanies = Number(values['reconcile-companies']);
if (!Number.isSafeInteger(reconcileCompanies) || reconcileCompanies < 40) {
  usageError(USAGE, '--reconcile-companies must be a whole number, at least 40');
}
const parts = new Set(values.only.split(',').map((part) => part.trim()));
for (const part of parts) {
  if (!(PARTS as readonly string[]).includes(part)) usageError(USAGE, `--only: no part ${part}`);
}
if (values['skip-reconcile']) parts.delete('reconcile');
const runs = (part: Part) => parts.has(part);

const startedAt = new Date();
const loadAverage = loadAverageNow();
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

const figures: BenchFigures = { startedAt, wallStart, loadAverage };
process.stderr.write(`bench: load average at start ${loadAverage}\n`);
if (runs('cold-start')) {
  process.stderr.write('bench: synth, bundles and cold starts…\n');
  figures.bundles = measure<BundleFigures>('bundles');
}
if (runs('latency')) {
  process.stderr.write('bench: latency on DynamoDB Local over loopback, interleaved…\n');
  const network = measure<LatencyFigures>('latency', 'dynamodb-local');
  process.stderr.write('bench: latency in process (dynalite), interleaved…\n');
  figures.latency = { network, inProcess: measure<LatencyFigures>('latency', 'dynalite') };
}
if (runs('breakdown')) {
  process.stderr.write('bench: handler breakdown…\n');
  figures.breakdown = measure<BreakdownFigures>('breakdown');
}
if (runs('throughput')) {
  process.stderr.write('bench: throughput…\n');
  figures.throughput = measure<ThroughputFigures>('throughput');
}
if (runs('costs')) {
  process.stderr.write('bench: costs per delivery and company.deleted, on DynamoDB Local…\n');
  figures.calls = measure<CallsFigures>('calls');
}
if (runs('reconcile')) {
  const smallCompanies = Math.floor(reconcileCompanies / 10);
  process.stderr.write(`bench: reconcile, ${smallCompanies} then ${reconcileCompanies} companies…\n`);
  const small = measure<ReconcileFigures>('reconcile', String(smallCompanies));
  figures.reconcile = { small, large: measure<ReconcileFigures>('reconcile', String(reconcileCompanies)) };
}
report(figures);

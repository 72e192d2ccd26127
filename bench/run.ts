/**
 * `npm run bench`: what the receiver costs compared with a bare DynamoDB UpdateItem, on this
 * machine. Prints one table and writes the same figures to bench/results/bench.json.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseCommandLine, usageError } from '../local/command-line';
import { measureBreakdown } from './breakdown';
import { measureCalls } from './calls';
import { measureBundles } from './cold-start';
import { measureLatency } from './latency';
import { measureReconcile, type ReconcileFigures } from './reconcile';
import { report } from './report';
import { RESULTS } from './support';
import { measureThroughput } from './throughput';

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
process.stderr.write('bench: synth, bundles and cold starts…\n');
const bundles = await measureBundles();
process.stderr.write('bench: DynamoDB calls per delivery…\n');
const calls = await measureCalls();
process.stderr.write('bench: latency, interleaved…\n');
const latency = await measureLatency();
process.stderr.write('bench: handler breakdown…\n');
const breakdown = await measureBreakdown();
process.stderr.write('bench: throughput…\n');
const throughput = await measureThroughput();
let reconcile: { large: ReconcileFigures; small: ReconcileFigures } | undefined;
if (!values['skip-reconcile']) {
  process.stderr.write(
    `bench: reconcile, ${Math.floor(reconcileCompanies / 4)} then ${reconcileCompanies} companies…\n`,
  );
  const small = await measureReconcile(Math.floor(reconcileCompanies / 4));
  reconcile = { small, large: await measureReconcile(reconcileCompanies) };
}
report({ startedAt, wallStart, loadAverage, bundles, calls, latency, breakdown, throughput, reconcile });

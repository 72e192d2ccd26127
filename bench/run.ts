/**
 * `npm run bench`: what the receiver costs compared with a bare DynamoDB UpdateItem, on this
 * machine. Prints one table and writes the same figures to bench/results/bench.json.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseCommandLine } from '../local/command-line';
import { measureBreakdown } from './breakdown';
import { measureCalls } from './calls';
import { measureBundles } from './cold-start';
import { measureLatency } from './latency';
import { report } from './report';
import { RESULTS } from './support';
import { measureThroughput } from './throughput';

const USAGE = `Usage: npm run bench [-- -h | --help]

Measures the webhook receiver against a bare DynamoDB UpdateItem on this machine, over an
embedded DynamoDB on 127.0.0.1: the synthesized stack's bundle and its cold start as Lambda
runs it (fresh process, the template's environment), DynamoDB calls per kind of answer,
per-delivery latency, the handler's own steps, and throughput behind one local HTTP server.
Takes a few minutes; prints one table and writes the figures to bench/results/bench.json.

  -h, --help   print this help`;

parseCommandLine(USAGE, {});

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
report({ startedAt, wallStart, loadAverage, bundles, calls, latency, breakdown, throughput });

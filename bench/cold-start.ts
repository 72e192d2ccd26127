/**
 * The shipped bundle and its cold start, against a bare-client Lambda bundled the same way.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_MAIN_FIELDS, BUNDLE_TARGET, ESM_REQUIRE_BANNER } from '../lib/bundling';
import { median, RESULTS, ROOT } from './support';

/** Cold starts of each bundle, after one of each to fill the disk cache. */
export const COLD_START_RUNS = 9;

/** One cold start: the import and handler build inside the process, and the whole process. */
interface ColdStart {
  importMs: number;
  readyMs: number;
  processMs: number;
}

/** Bundle sizes in bytes, and the median cold start of each bundle. */
export interface BundleFigures {
  receiverBytes: number;
  bareBytes: number;
  runs: number;
  receiver: ColdStart;
  bare: ColdStart;
}

async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(RESULTS, 'build', name, 'index.mjs');
  // The options lib/node-function.ts gives NodejsFunction, as aws-lambda-nodejs passes them to esbuild.
  await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: BUNDLE_TARGET,
    format: 'esm',
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: BUNDLE_MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    external: [], // bundleAwsSDK: true
    logLevel: 'warning',
  });
  return outfile;
}

const COLD_START_SCRIPT = `
const start = performance.now();
const module = await import(process.argv[1]);
if (typeof module.handler !== 'function') throw new Error('no handler');
process.stdout.write(JSON.stringify({ importMs: performance.now() - start, readyMs: performance.now() }));
`;

function coldStart(file: string): ColdStart {
  const start = performance.now();
  const output = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', COLD_START_SCRIPT, pathToFileURL(file).href],
    {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: '--enable-source-maps', // as the stack sets it
        TABLE_NAME: 'bench-table',
        SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
      },
      encoding: 'utf8',
    },
  );
  const processMs = performance.now() - start;
  return { ...(JSON.parse(output) as Omit<ColdStart, 'processMs'>), processMs };
}

/** Bundles the receiver and bench/bare-handler.ts, then starts each in a new process, alternately. */
export async function measureBundles(): Promise<BundleFigures> {
  const receiver = await bundle('functions/receive-webhook.ts', 'receive-webhook');
  const bare = await bundle('bench/bare-handler.ts', 'bare-handler');
  coldStart(receiver);
  coldStart(bare);
  const runs = { receiver: [] as ColdStart[], bare: [] as ColdStart[] };
  for (let index = 0; index < COLD_START_RUNS; index++) {
    runs.receiver.push(coldStart(receiver));
    runs.bare.push(coldStart(bare));
  }
  const summary = (samples: ColdStart[]) => ({
    importMs: median(samples.map((s) => s.importMs)),
    readyMs: median(samples.map((s) => s.readyMs)),
    processMs: median(samples.map((s) => s.processMs)),
  });
  return {
    receiverBytes: statSync(receiver).size,
    bareBytes: statSync(bare).size,
    runs: COLD_START_RUNS,
    receiver: summary(runs.receiver),
    bare: summary(runs.bare),
  };
}

/**
 * Cold start as Lambda runs it: the stack synthesized, the receiver's asset taken from the
 * cloud assembly, and a fresh Node.js process (started with Lambda's arguments and the
 * template's environment, NODE_OPTIONS included) loading it and serving its first delivery,
 * against the same for a bare-client function (bench/bare-handler.ts) bundled by the same
 * NodeFunction construct, and for the bare function that also reads a secret from Secrets Manager
 * as the receiver does (bench/bare-secret-handler.ts), and for that function serving the bare
 * verifying receiver (bench/bare-verifying-handler.ts: signature, JSON, schema, the same write).
 * All read and write a local dynalite; the secrets come from a Secrets Manager stand-in on loopback.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiGatewayEvent } from '../local/api-gateway-event';
import { localDynamoDbClient } from '../local/dynamodb-client';
import { ensureConnectionTable, startEmbeddedDynamoDb } from '../local/embedded-dynamodb';
import { addedBy, bundleContent } from './bundle-content';
import {
  type DeployedFunction,
  type Invocations,
  invokeDeployedFunction,
  startSecretsManagerStandIn,
} from './deployed-bundle';
import { synthesizeFunctions } from './functions-to-start';
import { BENCH_SECRET, median, newDelivery, ROOT } from './support';

/** Cold starts of each function, in rounds whose order rotates, after one of each. */
export const COLD_START_ROUNDS = 100;

/** The medians of one function's cold starts. */
export interface ColdStartSummary {
  /** Node's own start, before the handler file is imported. */
  bootMs: number;
  importMs: number;
  firstDeliveryMs: number;
  /** Import and first delivery: what the function's own code costs a cold start. */
  coldMs: number;
  /** From the process's start to the first delivery answered: the cold start Lambda sees. */
  answeredMs: number;
  processMs: number;
  maxRssMiB: number;
}

/** The functions' cold starts, their bundles, and the medians of the paired ratios. */
export interface BundleFigures {
  /** Rounds of one cold start of each function. */
  rounds: number;
  receiver: ColdStartSummary;
  bare: ColdStartSummary;
  /** The bare function that also reads a secret from Secrets Manager, as the receiver does. */
  bareSecret: ColdStartSummary;
  /** That function serving the bare verifying receiver: signature, JSON, schema, the same write. */
  bareVerifying: ColdStartSummary;
  /** Median over the rounds of receiver / bare, process start to first delivery answered. */
  coldRatio: number;
  /** The same for receiver / bare with the secret read. */
  ownCodeRatio: number;
  /** The same for receiver / bare verifying receiver with the secret read: what its own design costs. */
  verifyingRatio: number;
  /** The same for bare verifying receiver / bare with the secret read: what verifying costs. */
  verifyingCostRatio: number;
  /** The same for bare with the secret read / bare: what reading the secret costs. */
  secretRatio: number;
  /** The same for import + first delivery only. */
  codeRatio: number;
  /** The same for peak memory. */
  rssRatio: number;
  receiverBytes: number;
  receiverMapBytes: number;
  bareBytes: number;
  bareSecretBytes: number;
  bareVerifyingBytes: number;
  bareMapBytes: number;
  /** What the receiver ships beyond the bare client, per package (esbuild metafile). */
  addedBytes: [string, number][];
}

const answered = (run: Invocations) => run.invocations[0]?.endMs ?? Number.NaN;
const code = (run: Invocations) => run.importMs + (run.invocations[0]?.ms ?? Number.NaN);

function summary(runs: Invocations[]): ColdStartSummary {
  const of = (pick: (run: Invocations) => number) => median(runs.map(pick));
  const first = (run: Invocations) => run.invocations[0]?.ms ?? Number.NaN;
  return {
    bootMs: of((run) => run.bootMs),
    importMs: of((run) => run.importMs),
    firstDeliveryMs: of(first),
    coldMs: of((run) => run.importMs + first(run)),
    answeredMs: of(answered),
    processMs: of((run) => run.processMs),
    maxRssMiB: of((run) => run.maxRssKiB / 1024),
  };
}

/** Synthesizes the functions, then starts each cold {@link COLD_START_ROUNDS} times, interleaved. */
export async function measureBundles(): Promise<BundleFigures> {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-assembly-'));
  try {
    return await measureIn(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function measureIn(outdir: string): Promise<BundleFigures> {
  const functions = synthesizeFunctions(outdir);
  const database = await startEmbeddedDynamoDb();
  const client = localDynamoDbClient(database.endpoint);
  const tableName = 'bench-cold-start';
  await ensureConnectionTable(client, tableName);
  const secrets = await startSecretsManagerStandIn(BENCH_SECRET);
  const endpoints = { dynamoDb: database.endpoint, secretsManager: secrets.endpoint };
  const resolve = {
    TABLE_NAME: tableName,
    SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stand-in',
  };

  /** One cold start of `name`, answering a new delivery (signed for those that verify it). */
  const once = (name: keyof typeof functions, signed: boolean) => async () => {
    const { headers, body } = newDelivery();
    const run = await invokeDeployedFunction({
      fn: functions[name],
      resolve,
      endpoints,
      events: [apiGatewayEvent(signed ? { headers, body } : { body })],
    });
    expectAnswer(run, name, '{"result":"applied"}');
    return run;
  };
  const starts = {
    receiver: once('receiver', true),
    bare: once('bare', false),
    bareSecret: once('bareSecret', false),
    bareVerifying: once('bareVerifying', true),
  };
  const names = Object.keys(starts) as (keyof typeof starts)[];

  // One of each first, so that all find the bundle and Node in the disk cache.
  for (const name of names) await starts[name]();
  const runs = {
    receiver: [] as Invocations[],
    bare: [] as Invocations[],
    bareSecret: [] as Invocations[],
    bareVerifying: [] as Invocations[],
  };
  const ratios = {
    cold: [] as number[],
    code: [] as number[],
    rss: [] as number[],
    own: [] as number[],
    secret: [] as number[],
    verifying: [] as number[],
    verifyingCost: [] as number[],
  };
  for (let index = 0; index < COLD_START_ROUNDS; index++) {
    // Rotate the order, so that none always follows the same one.
    const round: Partial<Record<keyof typeof starts, Invocations>> = {};
    for (let step = 0; step < names.length; step++) {
      const name = names[(index + step) % names.length] as keyof typeof starts;
      round[name] = await starts[name]();
    }
    const { receiver, bare, bareSecret, bareVerifying } = round as Record<keyof typeof starts, Invocations>;
    runs.receiver.push(receiver);
    runs.bare.push(bare);
    runs.bareSecret.push(bareSecret);
    runs.bareVerifying.push(bareVerifying);
    ratios.verifying.push(answered(receiver) / answered(bareVerifying));
    ratios.verifyingCost.push(answered(bareVerifying) / answered(bareSecret));
    ratios.cold.push(answered(receiver) / answered(bare));
    ratios.code.push(code(receiver) / code(bare));
    ratios.rss.push(receiver.maxRssKiB / bare.maxRssKiB);
    ratios.own.push(answered(receiver) / answered(bareSecret));
    ratios.secret.push(answered(bareSecret) / answered(bare));
  }

  await secrets.close();
  client.destroy();
  await database.close();
  const size = (fn: DeployedFunction, suffix = '') => statSync(`${fn.entryFile}${suffix}`).size;
  const [receiverContent, bareContent] = await Promise.all([
    bundleContent(join(ROOT, 'functions', 'receive-webhook.ts'), functions.receiver),
    bundleContent(join(ROOT, 'bench', 'bare-handler.ts'), functions.bare),
  ]);
  return {
    rounds: COLD_START_ROUNDS,
    receiver: summary(runs.receiver),
    bare: summary(runs.bare),
    bareSecret: summary(runs.bareSecret),
    bareVerifying: summary(runs.bareVerifying),
    coldRatio: median(ratios.cold),
    ownCodeRatio: median(ratios.own),
    verifyingRatio: median(ratios.verifying),
    verifyingCostRatio: median(ratios.verifyingCost),
    secretRatio: median(ratios.secret),
    codeRatio: median(ratios.code),
    rssRatio: median(ratios.rss),
    receiverBytes: size(functions.receiver),
    receiverMapBytes: size(functions.receiver, '.map'),
    bareBytes: size(functions.bare),
    bareSecretBytes: size(functions.bareSecret),
    bareVerifyingBytes: size(functions.bareVerifying),
    bareMapBytes: size(functions.bare, '.map'),
    addedBytes: addedBy(receiverContent, bareContent),
  };
}

function expectAnswer(run: Invocations, name: string, body: string): void {
  const answer = run.invocations[0]?.response;
  if (answer?.statusCode !== 200 || answer.body !== body) {
    throw new Error(
      `${name} answered ${JSON.stringify(answer ?? run.invocations[0]?.error)}; its stderr: ${run.stderr}`,
    );
  }
}

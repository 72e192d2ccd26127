import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { ConnectionsStack, type ConnectionsStackProps } from '../../lib/connections-stack';
import { captureOutput } from './logs';

const run = promisify(execFile);
/** The Node.js 24 of the dev dependency: the Lambda runtime's version, whatever runs jest. */
const NODE_24 = resolve('node_modules/.bin/node');

interface FunctionResource {
  Type: string;
  Properties: { Environment?: { Variables: Record<string, unknown> } };
  Metadata?: { 'aws:asset:path'?: string };
}

export interface DeployedFunction {
  /** The bundle's entry, as `cdk synth` wrote it into the cloud assembly. */
  bundle: string;
  /** The template's environment variables; a `Ref` or `Fn::GetAtt` is left for the caller to resolve. */
  environment: Record<string, unknown>;
}

export interface SynthesizedStack {
  /** The function whose logical id starts with `idPrefix` (e.g. `ReceiveWebhook`). */
  fn(idPrefix: string): DeployedFunction;
  close(): void;
}

/** The stack as `cdk synth` builds it, bundles included, into a folder of its own. */
export function synthesizeStack(props: ConnectionsStackProps = {}): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'codat-synth-'));
  const output = captureOutput();
  let assembly: ReturnType<App['synth']>;
  try {
    // The asset path metadata the cdk CLI asks for, so that a bundle can be found by function.
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    new ConnectionsStack(app, 'CodatConnections-dev', props);
    assembly = app.synth();
  } finally {
    output.restore();
  }
  const resources = (
    assembly.getStackByName('CodatConnections-dev').template as {
      Resources: Record<string, FunctionResource>;
    }
  ).Resources;
  return {
    fn: (idPrefix) => {
      const found = Object.entries(resources).find(
        ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith(idPrefix),
      )?.[1];
      const path = found?.Metadata?.['aws:asset:path'];
      if (!found || !path) throw new Error(`no bundled function ${idPrefix}* in the synthesized stack`);
      return {
        bundle: join(outdir, path, 'index.mjs'),
        environment: found.Properties.Environment?.Variables ?? {},
      };
    },
    close: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * Runs `bundle`'s handler once, as Lambda would: a fresh Node 24 process with `environment`
 * only (plus PATH), the event and a Lambda-like context. Gives back what the handler returned
 * and what the process wrote to stderr.
 */
export async function invokeBundle(
  bundle: string,
  environment: Record<string, string>,
  event: unknown,
): Promise<{ result: unknown; stderr: string }> {
  const script = `
    const { handler } = await import(${JSON.stringify(`file://${bundle}`)});
    const deadline = Date.now() + 10000;
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: 'bundle-test',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bundle-test', memoryLimitInMB: '256',
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    const result = await handler(JSON.parse(process.env.TEST_EVENT), context);
    process.stdout.write('RESULT ' + JSON.stringify(result) + '\\n');`;
  const { stdout, stderr } = await run(NODE_24, ['--input-type=module', '--eval', script], {
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_LAMBDA_FUNCTION_NAME: 'bundle-test',
      ...environment,
      TEST_EVENT: JSON.stringify(event),
    },
  });
  const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
  if (!line) throw new Error(`the bundle returned nothing:\n${stdout}\n${stderr}`);
  return { result: JSON.parse(line.slice('RESULT '.length)), stderr };
}

/** Only the template's plain string values; the caller adds what a `Ref` would resolve to. */
export function plainValues(environment: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

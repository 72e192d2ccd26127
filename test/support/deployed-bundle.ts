import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { deployedFunction, synthesize } from '../../bench/deployed-bundle';
import { ConnectionsStack } from '../../lib/connections-stack';
import type { StackTemplate } from './iam';
import { captureOutput } from './logs';

export interface SynthesizedStack {
  /** The function of construct path `constructId` (e.g. `ReceiveWebhook`, `ChangeEvents/PublishChanges`). */
  fn(constructId: string): ReturnType<typeof deployedFunction>;
  /** The logical id of every Lambda function in the template. */
  functionLogicalIds(): string[];
  /** The stack's synthesized template, as CloudFormation is handed it. */
  template(): StackTemplate;
  close(): void;
}

/**
 * The stack as `cdk synth` builds it, bundles included, into a folder of its own, quiet; the
 * functions are run with bench/deployed-bundle.ts's `invokeDeployedFunction`, as Lambda runs them.
 */
export function synthesizeStack(): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'codat-synth-'));
  const output = captureOutput();
  let assembly: CloudAssembly;
  try {
    assembly = synthesize(outdir, (app) => new ConnectionsStack(app, 'CodatConnections-dev'));
  } finally {
    output.restore();
  }
  return {
    fn: (constructId) => deployedFunction(assembly, 'CodatConnections-dev', constructId),
    template: () => assembly.getStackByName('CodatConnections-dev').template as StackTemplate,
    functionLogicalIds: () => {
      const { Resources } = assembly.getStackByName('CodatConnections-dev').template as {
        Resources: Record<string, { Type: string }>;
      };
      return Object.keys(Resources).filter((id) => Resources[id]?.Type === 'AWS::Lambda::Function');
    },
    close: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

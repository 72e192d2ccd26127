import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { deployedFunction, synthesize } from '../../bench/deployed-bundle';
import { ConnectionsStack } from '../../lib/connections-stack';
import { captureOutput } from './logs';

/**
 * Every function of the stack, by construct path. The bundle tests hold it to the template, so
 * that a function added later is checked by every suite that walks this list.
 */
export const STACK_FUNCTIONS = [
  'ReceiveWebhook',
  'ReadApi/ReadConnections',
  'ChangeEvents/PublishChanges',
  'History/RecordHistory',
  'Reconciler/ReconcilePages',
  'Reconciler/ReconcileSweep',
  'Reconciler/CheckWebhookEndpoint',
] as const;

/** A CloudFormation template, as the cloud assembly holds it. */
export interface StackTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export interface SynthesizedStack {
  /** The stack's name, which CloudFormation's names and ARNs of its resources start with. */
  stackName: string;
  /** The synthesized template, intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`) left as they are. */
  template(): StackTemplate;
  /** The function of construct path `constructId` (e.g. `ReceiveWebhook`, `ChangeEvents/PublishChanges`). */
  fn(constructId: string): ReturnType<typeof deployedFunction>;
  /** The logical id of every Lambda function in the template. */
  functionLogicalIds(): string[];
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
  const template = () => assembly.getStackByName('CodatConnections-dev').template as StackTemplate;
  return {
    stackName: 'CodatConnections-dev',
    template,
    fn: (constructId) => deployedFunction(assembly, 'CodatConnections-dev', constructId),
    functionLogicalIds: () => {
      const { Resources } = template();
      return Object.keys(Resources).filter((id) => Resources[id]?.Type === 'AWS::Lambda::Function');
    },
    close: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * The functions the cold-start figure starts, synthesized as `cdk synth` builds them: the
 * receiver from the stack of `bin/app.ts` (stage dev), and the floors from a stack of their own,
 * each bundled by the same NodeFunction construct (bench/cold-start.ts).
 */
import { Stack } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConnectionsStack } from '../lib/connections-stack';
import { NodeFunction } from '../lib/node-function';
import { CONNECTION_TABLE } from '../src/connection/table';
import { type DeployedFunction, deployedFunction, synthesize } from './deployed-bundle';

const RECEIVER_STACK = 'CodatConnections-dev';
const BARE_STACK = 'BenchBare';

/** Synthesizes the stack of `bin/app.ts` (stage dev) and a stack holding only the bare functions. */
export function synthesizeFunctions(outdir: string): {
  receiver: DeployedFunction;
  bare: DeployedFunction;
  bareSecret: DeployedFunction;
  bareVerifying: DeployedFunction;
} {
  const assembly = synthesize(outdir, (app) => {
    new ConnectionsStack(app, RECEIVER_STACK, { stage: 'dev' });
    const stack = new Stack(app, BARE_STACK);
    const table = new Table(stack, 'Table', {
      partitionKey: { name: CONNECTION_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: CONNECTION_TABLE.sortKey, type: AttributeType.STRING },
    });
    // The floors: the same bundling, and no --enable-source-maps (which the receiver goes without too).
    new NodeFunction(stack, 'Bare', {
      entry: new URL('./bare-handler.ts', import.meta.url).pathname,
      sourceMapsAtStart: false,
    }).useTable(table, 'TABLE_NAME', ['dynamodb:UpdateItem']);
    new NodeFunction(stack, 'BareSecret', {
      entry: new URL('./bare-secret-handler.ts', import.meta.url).pathname,
      sourceMapsAtStart: false,
    })
      .useTable(table, 'TABLE_NAME', ['dynamodb:UpdateItem'])
      .useSecret(new Secret(stack, 'Secret'), 'SIGNING_SECRET_ARN');
    new NodeFunction(stack, 'BareVerifying', {
      entry: new URL('./bare-verifying-handler.ts', import.meta.url).pathname,
      sourceMapsAtStart: false,
    })
      .useTable(table, 'TABLE_NAME', ['dynamodb:UpdateItem'])
      .useSecret(new Secret(stack, 'VerifyingSecret'), 'SIGNING_SECRET_ARN');
  });
  return {
    receiver: deployedFunction(assembly, RECEIVER_STACK, 'ReceiveWebhook'),
    bare: deployedFunction(assembly, BARE_STACK, 'Bare'),
    bareSecret: deployedFunction(assembly, BARE_STACK, 'BareSecret'),
    bareVerifying: deployedFunction(assembly, BARE_STACK, 'BareVerifying'),
  };
}

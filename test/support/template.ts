import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { ConnectionsStack, type ConnectionsStackProps } from '../../lib/connections-stack';
import { stackNameOf } from '../../lib/stage';
import { captureOutput } from './logs';

/** A template resource, as much of it as these tests read. */
export type Resource = {
  Type?: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

export interface SynthesisOptions {
  /**
   * Bundle the functions' code with esbuild, as `cdk synth` does. Without it no code is bundled:
   * enough for tests that read resources and policies, and much faster.
   * @default false
   */
  readonly bundle?: boolean;
}

/** The stack as bin/app.ts builds it, named after its stage, quiet; not synthesized yet. */
export function buildStack(
  props: ConnectionsStackProps = {},
  options: SynthesisOptions = {},
): ConnectionsStack {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  // Bundling runs as the functions are built, and says so on stdout.
  const output = captureOutput();
  try {
    return new ConnectionsStack(app, stackNameOf(props.stage ?? 'dev'), props);
  } finally {
    output.restore();
  }
}

/** The stack and its template as `cdk synth` builds it: the stack to find a construct's resource by. */
export function synthesize(props: ConnectionsStackProps = {}, options: SynthesisOptions = {}) {
  const stack = buildStack(props, options);
  return { stack, template: Template.fromStack(stack) };
}

/** The stack's template as `cdk synth` builds it. */
export function synthesizeTemplate(props: ConnectionsStackProps = {}, options: SynthesisOptions = {}) {
  return synthesize(props, options).template;
}

/**
 * The logical id of `construct`'s CloudFormation resource (its default child's, for a construct
 * that wraps one), as its stack allocates it: no hash written down, and no other resource of
 * the same type mistaken for it.
 */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource of its own`);
  }
  return Stack.of(element).resolve(element.logicalId) as string;
}

/** The resource `template` holds for `construct`, found by its logical id. */
export function resourceOf(template: Template, construct: IConstruct): Resource {
  const id = logicalIdOf(construct);
  const resource = template.toJSON().Resources[id] as Resource | undefined;
  if (!resource) throw new Error(`the template has no resource ${id} (${construct.node.path})`);
  return resource;
}

/** The logical id of the one resource of `type` whose id starts with `prefix`; no hashes written down. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** The statements of the policy on a function's role, without the one that writes its own logs. */
export function grantsOf(template: Template, functionPrefix: string) {
  const fn = template.toJSON().Resources[
    logicalId(template, 'AWS::Lambda::Function', functionPrefix)
  ] as Resource;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const policies = (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]).filter(
    (policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
  );
  expect(policies).toHaveLength(1);
  const document = policies[0]?.Properties.PolicyDocument as {
    Statement: { Action: unknown; Resource: unknown }[];
  };
  return document.Statement.filter((statement) => !JSON.stringify(statement.Action).includes('logs:'));
}

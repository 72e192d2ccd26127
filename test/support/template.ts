import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConnectionsStack, type ConnectionsStackProps } from '../../lib/connections-stack';
import { captureOutput } from './logs';

/** A template resource, as much of it as these tests read. */
export type Resource = { Properties: Record<string, unknown> };

/**
 * The stack's template as `cdk synth` builds it, quiet. Without `bundle` no code is bundled:
 * enough for tests that read resources and policies, and much faster.
 */
export function synthesizeTemplate(props: ConnectionsStackProps = {}, options: { bundle?: boolean } = {}) {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const output = captureOutput();
  try {
    return Template.fromStack(new ConnectionsStack(app, `CodatConnections-${props.stage ?? 'dev'}`, props));
  } finally {
    output.restore();
  }
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

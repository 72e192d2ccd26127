import { describe, expect, it } from '@jest/globals';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ConnectionsStackProps } from '../lib/connections-stack';
import type { Stage } from '../lib/stage';
import { buildStack } from './support/template';

/**
 * cdk-nag's AWS Solutions pack over the real stack. In cdk-nag 3 a finding is a violation in a
 * policy-validation report (not an Annotation), and an accepted one is acknowledged in the stack
 * with `Validations.of(construct).acknowledge({ id, reason })`; what is left here is unaccepted.
 */
function unacknowledgedFindings(stage: Stage, props: ConnectionsStackProps = {}): string[] {
  const stack = buildStack({ stage, ...props });
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) =>
        `${violation.ruleName} (${violation.severity}) at ${resource.constructPath ?? resource.resourceLogicalId}`,
    ),
  );
}

describe('the AWS Solutions checks', () => {
  it.each(['dev', 'prod'] as const)('find nothing unacknowledged in the %s stack', (stage) => {
    expect(unacknowledgedFindings(stage)).toEqual([]);
  });

  it('find nothing unacknowledged with every optional alarm and subscription on', () => {
    expect(
      unacknowledgedFindings('prod', {
        alarmEmail: 'oncall@example.com',
        noDeliveriesAlarmMinutes: 60,
        changeEvents: { notifyEmail: 'team@example.com' },
      }),
    ).toEqual([]);
  });

  it('would report a finding that is not acknowledged, so the checks above can fail', () => {
    const stack = buildStack({ stage: 'dev' });
    // A second secret, without rotation and without the acknowledgment the signing secret has.
    new Secret(stack, 'Unrotated');

    const report = new AwsSolutionsChecks().validateScope(stack);

    expect(report.violations.map((violation) => violation.ruleName)).toContain('AwsSolutions-SMG4');
  });
});

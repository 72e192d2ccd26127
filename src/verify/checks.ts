import { checkAlarmNotification } from './alarm-check';
import { type CheckLine, describe, fail, ok, type VerifyInput } from './check-line';
import { checkConsumer } from './consumer-check';
import { checkTestDelivery } from './delivery-checks';
import type { StackOutputs } from './deployed-stack';
import { checkApiKey, checkSigningSecret } from './secret-checks';

/**
 * Checks a deployed stack end to end, as AWS and the provider see it: the two secrets hold real
 * values, a signed test delivery is stored and reads back through the IAM-authorized read API
 * (and is then tombstoned), the provider delivers to this endpoint, and an alarm's notification
 * reaches the alarm topic. Returns one line per check; none throws.
 */
export async function verifyDeployment(input: VerifyInput): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const report = (line: CheckLine) => {
    lines.push(line);
    input.onLine?.(line);
    return line;
  };
  let outputs: StackOutputs;
  try {
    outputs = await input.stack.outputs(input.stackName);
    const region = await input.stack.region();
    report(ok('stack', `${input.stackName} in ${region}: ${Object.keys(outputs).length} outputs`));
  } catch (error) {
    report(
      fail(
        'stack',
        `could not read the outputs of ${input.stackName}: ${describe(error)}. Check the stage (-c stage=…), ` +
          'AWS_REGION and AWS_PROFILE, and that your credentials may call cloudformation:DescribeStacks',
      ),
    );
    return lines;
  }

  const secret = await checkSigningSecret(input, outputs, report);
  const apiKey = await checkApiKey(input, outputs, report);
  await checkTestDelivery(input, outputs, secret, report);
  await checkConsumer(input, outputs, apiKey, report);
  await checkAlarmNotification(input, outputs, report);
  return lines;
}

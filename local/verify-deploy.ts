import { DEFAULT_CODAT_API_URL } from '../src/defaults';
import { isStage, STAGES, stackNameOf } from '../src/stages';
import { awsDeployedStack } from '../src/verify/aws-deployed-stack';
import type { CheckLine } from '../src/verify/check-line';
import { verifyDeployment } from '../src/verify/checks';
import { REQUIRED_EVENT_TYPES } from '../src/verify/consumer-check';
import { TEST_COMPANY_ID } from '../src/verify/test-events';
import { parseCommandLine, usageError } from './command-line';

const USAGE = `Usage: npm run verify-deploy -- [-c stage=dev|prod] [--stack <name>]

Run once after npm run deploy, with the AWS credentials you deployed with. Reads the stack's
outputs and checks, one line each, ok or FAIL with what to do; exits 1 when any fails:

  signing secret      SigningSecretArn holds whsec_ values, not the stack's placeholder
  Codat API key       CodatApiKeySecretArn holds a key, not the placeholder
  test delivery       a signed connection.connected for the test company ${TEST_COMPANY_ID}
                      to WebhookUrl answers 200
  read back           it reads back through ReadApiUrl, signed with SigV4 (execute-api)
  tombstone           a signed company.deleted for the test company tombstones it (TTL
                      removes it later), and the read API shows that
  webhook consumer    Codat's GET /webhooks lists a consumer for WebhookUrl, enabled and
                      subscribed to ${REQUIRED_EVENT_TYPES.join(', ')}
  alarm notification  one of the stack's alarms in OK is set to ALARM, its history must show
                      the notification published to AlarmTopicArn, and it is set back: the
                      topic's subscribers get one test notification (and its OK)

Options:
  -c, --context <key=value>  the stage, as for npm run deploy (default stage=dev); other keys
                             (alarmEmail=…, …) are accepted and ignored
  --stack <name>             the stack's name (default CodatConnections-<stage>)
  -h, --help                 print this help

Environment: AWS_REGION and AWS_PROFILE (or any credentials of the SDK's default chain);
CODAT_API_URL, the provider's API (default ${DEFAULT_CODAT_API_URL}).`;

function stackName(values: { context?: string[]; stack?: string }): string {
  let stage: string | undefined;
  for (const pair of values.context ?? []) {
    const [key, ...rest] = pair.split('=');
    if (rest.length === 0) usageError(USAGE, `-c takes key=value, as cdk does, not ${JSON.stringify(pair)}.`);
    if (key === 'stage') stage = rest.join('=');
  }
  if (values.stack !== undefined) return values.stack;
  const chosen = stage ?? 'dev';
  if (!isStage(chosen)) {
    return usageError(USAGE, `stage must be one of ${STAGES.join(', ')}, but is ${JSON.stringify(chosen)}.`);
  }
  return stackNameOf(chosen);
}

function print(line: CheckLine): void {
  process.stdout.write(`${line.ok ? 'ok  ' : 'FAIL'}  ${line.check}: ${line.say}\n`);
}

async function main(): Promise<number> {
  const { values } = parseCommandLine(USAGE, {
    context: { type: 'string', short: 'c', multiple: true },
    stack: { type: 'string' },
  });
  const name = stackName(values);
  const stack = awsDeployedStack();
  try {
    const lines = await verifyDeployment({
      stack,
      stackName: name,
      codatApiUrl: process.env.CODAT_API_URL || undefined,
      onLine: print,
    });
    const failed = lines.filter((line) => !line.ok).length;
    process.stdout.write(
      failed === 0
        ? `All ${lines.length} checks passed: ${name} works as deployed.\n`
        : `${failed} of ${lines.length} checks failed.\n`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    stack.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `npm run verify-deploy failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);

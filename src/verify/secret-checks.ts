import { ApiKeyNotSetError } from '../errors';
import { apiKeyFrom } from '../reconcile/api-key';
import { parseSigningSecrets } from '../webhook/signature';
import {
  type CheckLine,
  describe,
  fail,
  missingOutput,
  ok,
  type Report,
  type VerifyInput,
} from './check-line';
import type { StackOutputs } from './deployed-stack';

/** What a secret holds, judged: the report's line, and the value the later checks use when it is good. */
type Verdict = { line: CheckLine; value?: string };

/**
 * The check of the secret whose ARN is the stack's output `key`: a missing output or a secret
 * that cannot be read is its line; otherwise `judge` says what the value is worth.
 */
function secretCheck(
  check: string,
  key: string,
  judge: (arn: string, value: string, check: string) => Verdict,
) {
  return async (input: VerifyInput, outputs: StackOutputs, report: Report): Promise<string | undefined> => {
    const arn = outputs[key];
    if (!arn) return void report(missingOutput(check, key, input.stackName));
    let value: string;
    try {
      value = await input.stack.secretString(arn);
    } catch (error) {
      const advice = 'Your credentials need secretsmanager:GetSecretValue on it';
      return void report(fail(check, `could not read ${arn}: ${describe(error)}. ${advice}`));
    }
    const verdict = judge(arn, value, check);
    report(verdict.line);
    return verdict.value;
  };
}

/** 1. The signing secret holds `whsec_` values, not the placeholder the stack created. */
export const checkSigningSecret = secretCheck('signing secret', 'SigningSecretArn', (arn, value, check) => {
  const put =
    "copy the endpoint's signing secret (whsec_…) from the Codat portal (Settings > Webhooks, the endpoint " +
    `of WebhookUrl) and store it: aws secretsmanager put-secret-value --secret-id ${arn} --secret-string 'whsec_…'`;
  if (value.trim().startsWith('{')) {
    return { line: fail(check, `${arn} still holds the placeholder the stack created: ${put}`) };
  }
  try {
    const secrets = parseSigningSecrets(value);
    const count = `${secrets.length} whsec_ value${secrets.length === 1 ? '' : 's'}`;
    return { line: ok(check, `${arn} holds ${count}`), value };
  } catch (error) {
    return { line: fail(check, `${arn}: ${describe(error)}; ${put}`) };
  }
});

/** 2. The Codat API key is set, not the placeholder. */
export const checkApiKey = secretCheck('Codat API key', 'CodatApiKeySecretArn', (arn, value, check) => {
  try {
    const key = apiKeyFrom(value, arn);
    return { line: ok(check, `${arn} holds a value that is not the placeholder`), value: key };
  } catch (error) {
    if (!(error instanceof ApiKeyNotSetError)) throw error;
    const where = '(the key is in the Codat portal under Developers > API keys)';
    return { line: fail(check, `${error.message} ${where}`) };
  }
});

import { CONNECTION_EVENT_TYPES } from '../connection/schema';
import { DEFAULT_CODAT_API_URL } from '../defaults';
import { CodatApiError } from '../errors';
import { CodatApi, type WebhookConsumer } from '../reconcile/codat-api';
import { consumersOf } from '../reconcile/endpoint-health';
import type { CheckLine, Report, VerifyInput } from './check-line';
import { describe, fail, missingOutput, ok } from './check-line';
import type { StackOutputs } from './deployed-stack';

/** The events the endpoint's consumer must be subscribed to: every one the receiver stores. */
export const REQUIRED_EVENT_TYPES: readonly string[] = [...CONNECTION_EVENT_TYPES, 'company.deleted'];

/** 4. The provider lists an enabled consumer for WebhookUrl, subscribed to every event the receiver stores. */
export async function checkConsumer(
  input: VerifyInput,
  outputs: StackOutputs,
  apiKey: string | undefined,
  report: Report,
): Promise<void> {
  const check = 'webhook consumer';
  const webhookUrl = outputs.WebhookUrl;
  if (!webhookUrl) return void report(missingOutput(check, 'WebhookUrl', input.stackName));
  if (apiKey === undefined) {
    return void report(fail(check, 'not asked: GET /webhooks needs the Codat API key (see above)'));
  }
  const baseUrl = input.codatApiUrl ?? DEFAULT_CODAT_API_URL;
  const api = new CodatApi({ apiKey, baseUrl, retry: { budgetMs: 30_000 } });
  let consumers: WebhookConsumer[];
  try {
    consumers = (await api.listWebhookConsumers()).consumers;
  } catch (error) {
    const refused = error instanceof CodatApiError && (error.status === 401 || error.status === 403);
    return void report(
      fail(
        check,
        refused
          ? `${baseUrl} refused the API key (${(error as CodatApiError).status}): store a current key from ` +
              'the Codat portal (Developers > API keys) in CodatApiKeySecretArn'
          : `GET ${baseUrl}/webhooks failed: ${describe(error)}`,
      ),
    );
  }
  report(consumerLine(consumersOf(consumers, webhookUrl), consumers.length, webhookUrl));
}

function consumerLine(ours: WebhookConsumer[], total: number, webhookUrl: string): CheckLine {
  const check = 'webhook consumer';
  const events = REQUIRED_EVENT_TYPES.join(', ');
  if (ours.length === 0) {
    return fail(
      check,
      `the provider lists no consumer for ${webhookUrl} (${total} for other URLs): in the Codat portal ` +
        `(Settings > Webhooks) add an endpoint with this URL, subscribed to ${events}, and store its signing secret`,
    );
  }
  const enabled = ours.filter((consumer) => !consumer.disabled);
  if (enabled.length === 0) {
    return fail(
      check,
      `the consumer for ${webhookUrl} (${ours.map((consumer) => consumer.id).join(', ')}) is disabled: the ` +
        'provider disables an endpoint after 5 days of failed deliveries. Enable it in the Codat portal ' +
        '(Settings > Webhooks), then recover what it missed (see the runbook) or start a reconciliation',
    );
  }
  const missing = (consumer: WebhookConsumer) =>
    REQUIRED_EVENT_TYPES.filter((type) => !(consumer.eventTypes ?? []).includes(type));
  const best = [...enabled].sort((a, b) => missing(a).length - missing(b).length)[0] as WebhookConsumer;
  const lacking = missing(best);
  if (lacking.length > 0) {
    return fail(
      check,
      `the consumer ${best.id} for ${webhookUrl} is not subscribed to ${lacking.join(', ')}: add them to the ` +
        'endpoint in the Codat portal (Settings > Webhooks); through the API a consumer cannot be changed, ' +
        'only deleted and created again, with a new signing secret',
    );
  }
  const tags = best.companyTags?.length ? ` (only companies tagged ${best.companyTags.join(', ')})` : '';
  return ok(check, `the consumer ${best.id} for ${webhookUrl} is enabled and subscribed to ${events}${tags}`);
}

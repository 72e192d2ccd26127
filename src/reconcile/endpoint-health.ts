import type { WebhookConsumer } from './api-schema';

export type EndpointHealth = 'enabled' | 'disabled' | 'missing';

/**
 * How the provider sees this stack's webhook endpoint, matched by URL (trailing slashes and
 * case of the host aside). A disabled endpoint gets no deliveries and says nothing: the
 * provider disables an endpoint after 5 days of failures.
 */
export function endpointHealth(consumers: readonly WebhookConsumer[], webhookUrl: string): EndpointHealth {
  const ours = consumersOf(consumers, webhookUrl);
  if (ours.length === 0) return 'missing';
  return ours.some((consumer) => !consumer.disabled) ? 'enabled' : 'disabled';
}

/** The consumers registered for `webhookUrl` (trailing slashes and case of the host aside). */
export function consumersOf(consumers: readonly WebhookConsumer[], webhookUrl: string): WebhookConsumer[] {
  const wanted = normalize(webhookUrl);
  return consumers.filter((consumer) => consumer.url && normalize(consumer.url) === wanted);
}

function normalize(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.trim();
  }
}

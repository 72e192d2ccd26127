import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { companyDeletedEvent, toConnectionChange, tombstoneExpiry } from '../connection/connection-change';
import type { ConnectionWriter } from '../connection/store';
import { DEFAULT_MAX_BODY_BYTES } from '../defaults';
import { DeliveryTimeoutError } from '../errors';
import type { DeliveryLog } from '../observability/delivery-log';
import type {
  DeliveryInternal,
  DeliveryOutcome,
  DeliveryResponse,
  WebhookEvent,
  WebhookResult,
} from './delivery';
import { deliveryRecord, describeWhileWriting } from './delivery-record';
import { parseDelivery } from './parse-delivery';
import type { SigningSecrets } from './secret-source';
import { signedBody } from './signed-body';
import { sourceAllowList } from './source-allow-list';

/** Time kept back from the function's timeout to answer 503 rather than be cut off. */
const TIMEOUT_EARLY_MS = 500;

export interface ReceiverOptions {
  writer: ConnectionWriter;
  /** The signing secrets (several during a rotation); the caller caches them. */
  signingSecrets: SigningSecrets;
  /** How long a deleted connection's tombstone is kept. */
  tombstoneTtlDays: number;
  /** One line per delivery: its log fields and, in Lambda, its metrics. */
  log: DeliveryLog;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default DEFAULT_MAX_BODY_BYTES (256 KiB) */
  maxBodyBytes?: number;
  /** Only these caller addresses are served (403 otherwise). @default - any address */
  allowedSourceIps?: readonly string[];
}

/** The receiver as Lambda, the local server and the tests call it. */
export type WebhookHandler = (event: WebhookEvent, context: Context) => Promise<WebhookResult>;

/**
 * The webhook receiver: verify, validate, then one conditional write. The same handler serves
 * Lambda, the local server and the tests; only the writer and the secrets differ.
 */
export function createReceiver(options: ReceiverOptions): WebhookHandler {
  const { writer, tombstoneTtlDays, log, now = () => new Date() } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const chain = middy<WebhookEvent, DeliveryResponse, Error, Context, DeliveryInternal>({
    timeoutEarlyInMillis: TIMEOUT_EARLY_MS,
    timeoutEarlyResponse: () => {
      throw new DeliveryTimeoutError(TIMEOUT_EARLY_MS);
    },
  })
    // Outermost: logs and counts once per delivery, on success and on error alike. Never logs
    // the event: it holds the signature and the body.
    .use(deliveryRecord(log));
  if (options.allowedSourceIps?.length) chain.use(sourceAllowList(options.allowedSourceIps));
  return (
    chain
      .use(signedBody({ signingSecrets: options.signingSecrets, now, maxBodyBytes }))
      .use(parseDelivery({ now }))
      .use(describeWhileWriting(log))
      // `signal` aborts when the early timeout answers: the writes still to come are not started.
      // The handler returns its outcome; `deliveryRecord` answers it, so the chain answers WebhookResult.
      .handler<WebhookEvent, WebhookResult>(async (event, _context, { signal }): Promise<DeliveryOutcome> => {
        const { delivery } = event;
        if (!delivery) throw new Error('parseDelivery must run before the handler');
        // Other event types are acknowledged, not refused: a consumer that keeps failing some
        // of its subscribed events is disabled by the provider.
        if (delivery.kind === 'other') return { result: 'ignored' };
        const receivedAt = now();
        if (delivery.kind === 'company-deleted') {
          // The provider does not promise a connection.deleted per connection: every stored
          // connection of the company becomes a tombstone with this event's order.
          const outcome = await writer.tombstoneCompany(
            {
              companyId: delivery.event.payload.id,
              event: companyDeletedEvent(delivery.event),
              expiresAt: tombstoneExpiry(receivedAt, tombstoneTtlDays),
              receivedAt: receivedAt.toISOString(),
            },
            { signal },
          );
          return { result: 'applied', ...outcome };
        }
        const change = toConnectionChange(delivery.event, { receivedAt, tombstoneTtlDays });
        return { result: await writer.write(change) };
      })
  );
}

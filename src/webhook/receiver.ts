import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as v from 'valibot';
import { toConnectionChange } from '../connection/connection-change';
import { toSortableUtc } from '../connection/date-time';
import { ConnectionEvent, EventTypeOnly, isConnectionEventType, toProblems } from '../connection/schema';
import type { ConnectionStore } from '../connection/store';
import type { Logger } from '../log';
import { type DeliveryResult, DIMENSION, METRIC } from '../observability/names';
import { parseJsonBody } from './json-body';
import {
  type ErrorAnswer,
  InvalidPayloadError,
  json,
  PayloadTooLargeError,
  toErrorAnswer,
} from './responses';
import { verifySignature } from './signature';

/** Codat's payloads are a few kilobytes; anything this large is not a connection event. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export interface ReceiverOptions {
  store: ConnectionStore;
  /** The signing secrets (several during a rotation); the caller caches them. */
  signingSecrets: () => Promise<readonly Buffer[]>;
  /** How long a deleted connection's tombstone is kept. */
  tombstoneTtlDays: number;
  /**
   * Where the one line per delivery goes. A Powertools Logger (in Lambda) is also given the
   * Lambda context through its middleware, so every line says `cold_start` and the request id.
   */
  logger: Logger | PowertoolsLogger;
  /**
   * Powertools Metrics, published as CloudWatch embedded metric format on stdout once per
   * delivery: no API call. No metrics when left out (the local server).
   */
  metrics?: Metrics;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default 262144 (256 KiB) */
  maxBodyBytes?: number;
}

/** What the delivery log line says of one delivery; filled in as the request goes. */
interface DeliveryFields {
  webhookId?: string;
  eventType?: string;
  companyId?: string;
  connectionId?: string;
  result?: DeliveryResult;
  /** Receipt time minus the event's generatedDate, for connection events. */
  lagMs?: number;
}

/** One delivery in flight: its log fields, and its body once the signature is checked. */
interface Delivery {
  startedAt: number;
  fields: DeliveryFields;
  verifiedBody?: Buffer;
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** Deliveries in flight, by their Lambda context: the handler's only link to its middlewares. */
const deliveries = new WeakMap<Context, Delivery>();

function deliveryOf(context: Context): Delivery {
  let delivery = deliveries.get(context);
  if (!delivery) {
    delivery = { startedAt: performance.now(), fields: {} };
    deliveries.set(context, delivery);
  }
  return delivery;
}

function rawBody(event: Event): Buffer {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Counts one delivery by its result; a rejection also by its reason; a connection event's lag. */
function countDelivery(metrics: Metrics, fields: DeliveryFields, answer?: ErrorAnswer): void {
  metrics.addDimension(DIMENSION.result, fields.result ?? 'failed');
  metrics.addMetric(METRIC.deliveries, MetricUnit.Count, 1);
  // Single metrics, each on its own line, so that they do not take on the Result dimension.
  if (answer?.result === 'rejected') {
    const rejection = metrics.singleMetric();
    rejection.addDimension(DIMENSION.reason, answer.code);
    rejection.addMetric(METRIC.rejections, MetricUnit.Count, 1);
  }
  if (fields.lagMs !== undefined) {
    metrics.singleMetric().addMetric(METRIC.deliveryLag, MetricUnit.Milliseconds, fields.lagMs);
  }
}

/**
 * Answers every error through `toErrorAnswer`, and logs one line and counts once per delivery,
 * whatever its fate. Never logs the secret, a signature or the body.
 */
function deliveryRecord(logger: ReceiverOptions['logger'], metrics?: Metrics): MiddlewareObj<Event, Result> {
  const finish = (context: Context, fields: Record<string, unknown>, answer?: ErrorAnswer) => {
    const delivery = deliveryOf(context);
    deliveries.delete(context);
    const durationMs = Math.round((performance.now() - delivery.startedAt) * 10) / 10;
    if (answer) delivery.fields.result = answer.result;
    if (metrics) countDelivery(metrics, delivery.fields, answer);
    return { ...delivery.fields, ...fields, durationMs };
  };
  return {
    before: (request) => {
      deliveries.set(request.context, { startedAt: performance.now(), fields: {} });
    },
    after: (request) => {
      logger.info('delivery', finish(request.context, { statusCode: request.response?.statusCode }));
    },
    onError: (request) => {
      const answer = toErrorAnswer(request.error);
      request.response = answer.response;
      const fields = finish(
        request.context,
        { reason: answer.reason, reasonCode: answer.code, statusCode: answer.response.statusCode },
        answer,
      );
      if (answer.result === 'failed') logger.error('delivery', { ...fields, error: request.error?.stack });
      else logger.warn('delivery', fields);
    },
  };
}

/** Refuses oversized bodies, then checks the signature on the exact bytes received. */
function signedBody(
  options: Required<Pick<ReceiverOptions, 'signingSecrets' | 'now' | 'maxBodyBytes'>>,
): MiddlewareObj<Event, Result> {
  return {
    before: async (request) => {
      const headers = request.event.headers ?? {};
      const delivery = deliveryOf(request.context);
      // Logged even when the signature then fails, so that an operator can find a refused
      // delivery by the id the provider's portal shows; bounded, since it is not yet trusted.
      delivery.fields.webhookId = (headers['webhook-id'] ?? headers['svix-id'])?.slice(0, 128);
      const body = rawBody(request.event);
      if (body.length > options.maxBodyBytes) throw new PayloadTooLargeError(options.maxBodyBytes);
      verifySignature({
        headers,
        body,
        secrets: await options.signingSecrets(),
        nowSeconds: Math.floor(options.now().getTime() / 1000),
      });
      delivery.verifiedBody = body;
    },
  };
}

/** Milliseconds from `generatedDate` (any of Codat's forms, read as UTC) to `receivedAt`. */
function lagMs(generatedDate: string, receivedAt: Date): number | undefined {
  const utc = toSortableUtc(generatedDate);
  if (utc === undefined) return undefined;
  return receivedAt.getTime() - Date.parse(`${utc.slice(0, 23)}Z`);
}

function parse<const TSchema extends v.GenericSchema>(
  schema: TSchema,
  input: unknown,
): v.InferOutput<TSchema> {
  const parsed = v.safeParse(schema, input);
  if (!parsed.success) throw new InvalidPayloadError(toProblems(parsed.issues));
  return parsed.output;
}

/**
 * The webhook receiver: verify, validate, then one conditional write. The same handler serves
 * Lambda, the local server and the tests; only the store and the secrets differ.
 */
export function createReceiver(options: ReceiverOptions) {
  const { store, tombstoneTtlDays, logger, metrics, now = () => new Date() } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const chain = middy<Event, Result>({ timeoutEarlyInMillis: 500 });
  // Outermost, so that the context is on every line and the metrics are published after the
  // delivery record has counted, on success and on error alike. Never logs the event: it holds
  // the signature and the body.
  if (logger instanceof PowertoolsLogger) chain.use(injectLambdaContext(logger, { logEvent: false }));
  if (metrics) chain.use(logMetrics(metrics, { captureColdStartMetric: true }));
  return chain
    .use(deliveryRecord(logger, metrics))
    .use(signedBody({ signingSecrets: options.signingSecrets, now, maxBodyBytes }))
    .handler(async (_event, context) => {
      const delivery = deliveryOf(context);
      if (!delivery.verifiedBody) throw new Error('the signature middleware did not run before the handler');
      const body = parseJsonBody(delivery.verifiedBody);
      const { eventType } = parse(EventTypeOnly, body);
      delivery.fields.eventType = eventType;
      // Other event types are acknowledged, not refused: a consumer that keeps failing some
      // of its subscribed events is disabled by the provider.
      if (!isConnectionEventType(eventType)) {
        delivery.fields.result = 'ignored';
        return json(200, { result: 'ignored' });
      }

      const event = parse(ConnectionEvent, body);
      delivery.fields.companyId = event.payload.referenceCompany.id;
      delivery.fields.connectionId = event.payload.connection.id;
      const receivedAt = now();
      delivery.fields.lagMs = lagMs(event.generatedDate, receivedAt);
      const change = toConnectionChange(event, { receivedAt, tombstoneTtlDays });
      const result = await store.write(change);
      delivery.fields.result = result;
      return json(200, { result });
    });
}

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { LogLevel } from '../defaults';
import { METRICS_NAMESPACE, SERVICE_NAME } from './names';

export type { Logger } from '@aws-lambda-powertools/logger';
export type { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one logger of every part (Lambda, the local run, the tools, the tests): Powertools Logger,
 * one JSON line per call with `level`, `message`, `timestamp`, `service` and `stage`, and, once
 * its middleware has run, the Lambda context. Info and below go to stdout, warnings and errors to
 * stderr. With no `logLevel`, Powertools reads `POWERTOOLS_LOG_LEVEL` (the tests set `SILENT`).
 */
export function createLogger(options: { stage: string; logLevel?: LogLevel }): Logger {
  return new Logger({
    serviceName: SERVICE_NAME,
    ...(options.logLevel ? { logLevel: options.logLevel.toUpperCase() as Uppercase<LogLevel> } : {}),
    persistentKeys: { stage: options.stage },
  });
}

/**
 * Metrics for the reconciler, the publisher and the endpoint check, as CloudWatch embedded metric
 * format on stdout: no API call. Every metric carries `service` and `stage`. The receiver, on the
 * hot path of every delivery, writes one line per delivery that is both its log line and its EMF (`DeliveryLog`, delivery-log.ts).
 */
export function createMetrics(options: { stage: string }): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { stage: options.stage },
  });
}

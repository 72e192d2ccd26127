import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '../defaults';
import { DeliveryMetrics } from './metrics';
import { SERVICE_NAME } from './names';

export type { Logger } from '@aws-lambda-powertools/logger';
export type { DeliveryMetrics as Metrics } from './metrics';

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
 * The function's metrics, as CloudWatch embedded metric format on stdout (see DeliveryMetrics):
 * every metric carries `service` and `stage`. The local run has none.
 */
export function createMetrics(options: { stage: string }): DeliveryMetrics {
  return new DeliveryMetrics({ stage: options.stage });
}

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { LogLevel } from '../log';
import { METRICS_NAMESPACE, SERVICE_NAME } from './names';

/**
 * The Powertools Logger and Metrics the function uses: JSON lines and CloudWatch embedded metric
 * format, both on stdout, so neither makes an API call. Every metric carries `service` and
 * `stage`, every log line `service` and, once the middleware has run, the Lambda context.
 */
export function createPowertools(options: { stage: string; logLevel: LogLevel }): {
  logger: Logger;
  metrics: Metrics;
} {
  return {
    logger: new Logger({
      serviceName: SERVICE_NAME,
      logLevel: options.logLevel.toUpperCase() as Uppercase<LogLevel>,
      persistentKeys: { stage: options.stage },
    }),
    metrics: new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
      defaultDimensions: { stage: options.stage },
    }),
  };
}

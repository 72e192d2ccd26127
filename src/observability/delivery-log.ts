import type { Context } from 'aws-lambda';
import type { LogLevel } from '../defaults';
import { type DeliveryResult, DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './names';

/**
 * The receiver's one line per delivery: its log line and, in Lambda, its metrics, as a single
 * JSON document in CloudWatch embedded metric format (EMF). CloudWatch reads the metrics from
 * `_aws` and the members it names; every other member stays a log field that Logs Insights
 * searches, so one line serves both. The log keys are the ones Powertools Logger writes (the
 * other functions' logger): `level`, `message`, `timestamp`, `service`, `stage`, `cold_start`,
 * `function_name`, `function_arn`, `function_memory_size`, `function_request_id`, and
 * `xray_trace_id` when there is a trace. Written directly, with no logger around it: on the path
 * of every delivery, timed between database calls, Powertools Logger's line and a separate
 * metrics line were 38 of the handler's 99 µs (a one-off script, 2,000 rounds), and two lines
 * were more log bytes.
 */

/** The level of a delivery's line: answered (INFO), refused (WARN), failed (ERROR). */
export type DeliveryLevel = 'INFO' | 'WARN' | 'ERROR';

/** What one delivery counts: its result, a rejection's reason code, a connection event's lag. */
export interface DeliveryCount {
  result: DeliveryResult;
  /** Set for a rejected (4xx) delivery only. */
  rejection?: string;
  lagMs?: number;
}

export interface DeliveryLogOptions {
  stage: string;
  /**
   * Lines below this level are not written (their metrics still are).
   * @default POWERTOOLS_LOG_LEVEL, then LOG_LEVEL, then info, as Powertools Logger reads them
   */
  logLevel?: LogLevel | 'silent';
  /** Whether each line carries the delivery's metrics. @default true (Lambda); the local run has none */
  metrics?: boolean;
  /** Where a line goes. @default INFO to stdout, WARN and ERROR to stderr, as Powertools Logger */
  write?: (line: string, level: DeliveryLevel) => void;
}

type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };

const directive = (dimensions: string[], name: string, unit: string): string =>
  JSON.stringify({
    Namespace: METRICS_NAMESPACE,
    Dimensions: [dimensions],
    Metrics: [{ Name: name, Unit: unit }],
  } satisfies Directive);

// Serialized once: each metric in a directive of its own, with its own dimension set only, so
// that CloudWatch files each exactly as a line of its own would.
const BASE = [DIMENSION.service, DIMENSION.stage];
const DELIVERIES = directive([...BASE, DIMENSION.result], METRIC.deliveries, 'Count');
const REJECTIONS = directive([...BASE, DIMENSION.reason], METRIC.rejections, 'Count');
const LAG = directive(BASE, METRIC.deliveryLag, 'Milliseconds');
/** As Powertools Metrics publishes it: by service, stage and function_name. */
const COLD_START = directive([...BASE, 'function_name'], 'ColdStart', 'Count');

const THRESHOLDS = { debug: 8, info: 12, warn: 16, error: 20, silent: 28 } as const;
const LEVELS: Record<DeliveryLevel, number> = {
  INFO: THRESHOLDS.info,
  WARN: THRESHOLDS.warn,
  ERROR: THRESHOLDS.error,
};

function configuredLevel(option: DeliveryLogOptions['logLevel']): number {
  const named = option ?? process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info';
  return THRESHOLDS[named.toLowerCase() as keyof typeof THRESHOLDS] ?? THRESHOLDS.info;
}

/** The trace id of the invocation, as Powertools reads it: `Root` of `_X_AMZN_TRACE_ID`. */
function traceId(): string | undefined {
  const header = process.env._X_AMZN_TRACE_ID;
  if (!header) return undefined;
  const root = header.split(';').find((part) => part.startsWith('Root='));
  return root?.slice('Root='.length);
}

const defaultWrite = (line: string, level: DeliveryLevel) =>
  (level === 'INFO' ? process.stdout : process.stderr).write(line);

export class DeliveryLog {
  readonly #stage: string;
  readonly #threshold: number;
  readonly #metrics: boolean;
  readonly #write: (line: string, level: DeliveryLevel) => void;
  // As Powertools reads it: only an on-demand container has a cold start.
  #coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';

  constructor(options: DeliveryLogOptions) {
    this.#stage = options.stage;
    this.#threshold = configuredLevel(options.logLevel);
    this.#metrics = options.metrics ?? true;
    this.#write = options.write ?? defaultWrite;
  }

  /**
   * The members of a delivery's line that its outcome does not change, as text: the function's
   * (serialized once per function), the invocation's request and trace ids, then `fields`. The
   * receiver has them serialized while its write is in flight (`describeWhileWriting` in
   * delivery-record.ts), so that its answer waits only for what the outcome adds.
   */
  describe(context: Context, fields: object): string {
    const trace = traceId();
    const own = JSON.stringify(fields);
    return (
      `${this.#containerMembers(context)},"function_request_id":${JSON.stringify(context.awsRequestId)}` +
      `${trace === undefined ? '' : `,"xray_trace_id":${JSON.stringify(trace)}`}` +
      `${own.length > 2 ? `,${own.slice(1, -1)}` : ''}`
    );
  }

  /**
   * Writes the one line of a delivery: `fields` (or `described`, what `describe` made of them
   * under this invocation's context) and its `outcome` (an object, or its members as JSON text
   * without the braces), and, with metrics, its counts. Below the log level, only the counts.
   * The context is passed on each call, never kept, so that invocations sharing an environment
   * never mix theirs.
   */
  delivery(
    level: DeliveryLevel,
    context: Context,
    fields: object,
    outcome: object | string,
    count: DeliveryCount,
    described?: string,
  ): void {
    const coldStart = this.#coldStart;
    this.#coldStart = false;
    const logged = LEVELS[level] >= this.#threshold;
    if (!logged && !this.#metrics) return;
    const now = Date.now();
    // Built as text: the members that stay the same for the container are serialized once.
    let members = '';
    if (logged) {
      const ending = typeof outcome === 'string' ? outcome : JSON.stringify(outcome).slice(1, -1);
      members =
        `"level":"${level}","message":"delivery","timestamp":"${this.#isoTime(now)}",` +
        `${described ?? this.describe(context, fields)},"cold_start":${coldStart}` +
        `${ending === '' ? '' : `,${ending}`}`;
    } else if (this.#metrics) {
      members = `"service":"${SERVICE_NAME}","stage":${JSON.stringify(this.#stage)}`;
    }
    if (!this.#metrics) {
      this.#write(`{${members}}\n`, level);
      return;
    }
    let directives = DELIVERIES;
    // A result is one of DELIVERY_RESULTS, a word: quoted as it is.
    members += `,"${DIMENSION.result}":"${count.result}","${METRIC.deliveries}":1`;
    if (count.rejection !== undefined) {
      directives += `,${REJECTIONS}`;
      members += `,"${DIMENSION.reason}":${JSON.stringify(count.rejection)},"${METRIC.rejections}":1`;
    }
    if (count.lagMs !== undefined && Number.isFinite(count.lagMs)) {
      directives += `,${LAG}`;
      members += `,"${METRIC.deliveryLag}":${count.lagMs}`;
    }
    if (coldStart) {
      directives += `,${COLD_START}`;
      // The dimension's value; the log line has it already.
      if (!logged) members += `,"function_name":${JSON.stringify(context.functionName)}`;
      members += ',"ColdStart":1';
    }
    const metadata = `"_aws":{"Timestamp":${now},"CloudWatchMetrics":[${directives}]}`;
    this.#write(`{${metadata},${members}}\n`, level);
  }

  /**
   * `new Date(now).toISOString()`, the date and time to the second formatted once a second:
   * Date's own formatting is a call into the engine that cost 4 µs a line between database calls
   * (a one-off script, 3,000 deliveries on DynamoDB Local), where the milliseconds cost nothing.
   */
  #isoTime(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#secondText = new Date(second * 1000).toISOString().slice(0, 19);
    }
    return `${this.#secondText}.${String(now - second * 1000).padStart(3, '0')}Z`;
  }

  #second = Number.NaN;
  #secondText = '';

  /** `service`, `stage` and what Lambda's context says of the function, serialized once per function. */
  #containerMembers(context: Context): string {
    const cached = this.#container;
    if (
      cached?.arn === context.invokedFunctionArn &&
      cached.memory === context.memoryLimitInMB &&
      cached.name === context.functionName
    ) {
      return cached.members;
    }
    const members = JSON.stringify({
      service: SERVICE_NAME,
      stage: this.#stage,
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      function_name: context.functionName,
    }).slice(1, -1);
    this.#container = {
      arn: context.invokedFunctionArn,
      memory: context.memoryLimitInMB,
      name: context.functionName,
      members,
    };
    return members;
  }

  #container: { arn: string; memory: string; name: string; members: string } | undefined;
}

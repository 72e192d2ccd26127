import { type DeliveryResult, DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './names';

/** What one delivery counts: its result, a rejection's reason code, a connection event's lag. */
export interface DeliveryCount {
  result: DeliveryResult;
  /** Set for a rejected (4xx) delivery only. */
  rejection?: string;
  lagMs?: number;
}

type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };

const directive = (dimensions: string[], name: string, unit: string): Directive => ({
  Namespace: METRICS_NAMESPACE,
  Dimensions: [dimensions],
  Metrics: [{ Name: name, Unit: unit }],
});

// Serialized once: only the values and the timestamp change from one delivery to the next.
const BASE = [DIMENSION.service, DIMENSION.stage];
const DELIVERIES = JSON.stringify(directive([...BASE, DIMENSION.result], METRIC.deliveries, 'Count'));
const REJECTIONS = JSON.stringify(directive([...BASE, DIMENSION.reason], METRIC.rejections, 'Count'));
const LAG = JSON.stringify(directive(BASE, METRIC.deliveryLag, 'Milliseconds'));
const COLD_START = JSON.stringify(directive([...BASE, 'function_name'], 'ColdStart', 'Count'));

/**
 * The function's metrics, as CloudWatch embedded metric format (EMF) on stdout: no API call.
 * One JSON line per delivery carries all of its metrics, each in a directive of its own with its
 * own dimension set, so CloudWatch files them exactly as separate lines would: Deliveries by
 * service, stage and Result; Rejections by service, stage and Reason; DeliveryLagMs by service
 * and stage. Once per container, on its first delivery, a ColdStart count by service, stage and
 * function_name, as Powertools Metrics publishes it. The local run has none.
 */
export class DeliveryMetrics {
  readonly #stage: string;
  readonly #write: (line: string) => void;
  // As Powertools reads it: only an on-demand container has a cold start to count.
  #coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === 'on-demand';

  constructor(options: { stage: string; write?: (line: string) => void }) {
    this.#stage = options.stage;
    this.#write = options.write ?? ((line) => process.stdout.write(line));
  }

  /** Publishes ColdStart on the container's first call, at once; nothing afterwards. */
  coldStart(functionName: string): void {
    if (!this.#coldStart) return;
    this.#coldStart = false;
    this.#publish([COLD_START], { function_name: functionName, ColdStart: 1 });
  }

  /** Publishes one delivery's metrics as one line. */
  delivery({ result, rejection, lagMs }: DeliveryCount): void {
    const directives = [DELIVERIES];
    const values: Record<string, string | number> = { [DIMENSION.result]: result, [METRIC.deliveries]: 1 };
    if (rejection !== undefined) {
      directives.push(REJECTIONS);
      values[DIMENSION.reason] = rejection;
      values[METRIC.rejections] = 1;
    }
    if (lagMs !== undefined) {
      directives.push(LAG);
      values[METRIC.deliveryLag] = lagMs;
    }
    this.#publish(directives, values);
  }

  /** One EMF document: the directives (JSON), then the dimension and metric values at the top level. */
  #publish(directives: string[], values: Record<string, string | number>): void {
    const members = JSON.stringify({
      [DIMENSION.service]: SERVICE_NAME,
      [DIMENSION.stage]: this.#stage,
      ...values,
    });
    const metadata = `"_aws":{"Timestamp":${Date.now()},"CloudWatchMetrics":[${directives.join(',')}]}`;
    this.#write(`{${metadata},${members.slice(1)}\n`);
  }
}

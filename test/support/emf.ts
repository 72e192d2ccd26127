/** One EMF directive, as CloudWatch reads it. */
interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit?: string }[];
}

/** One data point of a metric as CloudWatch files it: its dimensions (name → value) and its value. */
export interface DataPoint {
  namespace: string;
  dimensions: Record<string, string>;
  value: unknown;
}

/** The JSON lines of `text` that are EMF documents (they carry `_aws`). */
export function emfLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => '_aws' in line);
}

/** The directives of an EMF line. */
export function directivesOf(line: Record<string, unknown>): Directive[] {
  return (line._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics;
}

/**
 * Every data point of metric `name` in `lines`: one per line and dimension set of a directive
 * that names it, with that set's values read from the line, as CloudWatch files them.
 */
export function dataPoints(lines: readonly Record<string, unknown>[], name: string): DataPoint[] {
  return lines.flatMap((line) =>
    directivesOf(line)
      .filter((directive) => directive.Metrics.some((metric) => metric.Name === name))
      .flatMap((directive) =>
        directive.Dimensions.map((set) => ({
          namespace: directive.Namespace,
          dimensions: Object.fromEntries(set.map((dimension) => [dimension, String(line[dimension])])),
          value: line[name],
        })),
      ),
  );
}

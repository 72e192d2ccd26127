import type { Template } from 'aws-cdk-lib/assertions';

/** A dashboard widget as CloudWatch reads it, as much of it as the tests read. */
export interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title?: string;
    markdown?: string;
    metrics?: unknown[][];
    alarms?: string[];
    start?: string;
  };
}

/** One metric a graph plots, its dimensions as a record. */
export interface PlottedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  stat?: string;
  period?: number;
  label?: string;
}

type Token = { Ref: string } | { 'Fn::GetAtt': [string, string] };

/** A reference CloudFormation fills in, as the parsed body shows it: `${Id}` or `${Id.Attribute}`. */
export const ref = (id: string, attribute?: string) => `\${${attribute ? `${id}.${attribute}` : id}}`;

const placeholder = (token: Token) => {
  if ('Ref' in token) return ref(token.Ref);
  if ('Fn::GetAtt' in token) return ref(...token['Fn::GetAtt']);
  throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(token)}`);
};

/**
 * The dashboard's widgets in the order it lays them out, top to bottom. The references the body
 * holds (the region, alarm ARNs, function names) stay as `ref` writes them, so that a test can
 * name the resource it expects without a hashed logical id.
 */
export function dashboardWidgets(template: Template): Widget[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  if (!dashboard) throw new Error('no dashboard');
  const body = (dashboard.Properties as { DashboardBody: string | { 'Fn::Join': [string, unknown[]] } })
    .DashboardBody;
  const parts = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  const text = parts.map((part) => (typeof part === 'string' ? part : placeholder(part as Token))).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

const isHeading = (widget: Widget) => widget.type === 'text' && /^## /.test(widget.properties.markdown ?? '');

/** The section headings, top to bottom. */
export const headings = (widgets: Widget[]) =>
  widgets.filter(isHeading).map((widget) => widget.properties.markdown?.replace(/^## /, ''));

/** The titles of `widgets`, in the order the dashboard lays them out. */
export const titles = (widgets: Widget[]) => widgets.map((widget) => widget.properties.title);

/** The widgets of the section headed `title`: those after its heading, up to the next one. */
export function section(widgets: Widget[], title: string): Widget[] {
  const start = widgets.findIndex(
    (widget) => isHeading(widget) && widget.properties.markdown === `## ${title}`,
  );
  if (start < 0) throw new Error(`no section ${title}`);
  const rest = widgets.slice(start + 1);
  const end = rest.findIndex(isHeading);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Every metric the graphs among `widgets` plot; math expressions are left out. */
export function plotted(widgets: Widget[]): PlottedMetric[] {
  return widgets.flatMap((widget) =>
    (widget.properties.metrics ?? [])
      .filter((row) => typeof row[0] === 'string')
      .map((row) => {
        const last = row.at(-1);
        const options = (typeof last === 'object' ? last : {}) as Omit<PlottedMetric, 'namespace'>;
        const [namespace, name, ...pairs] = row.filter((cell) => typeof cell === 'string') as string[];
        const dimensions: Record<string, string> = {};
        for (let index = 0; index + 1 < pairs.length; index += 2) {
          dimensions[pairs[index] as string] = pairs[index + 1] as string;
        }
        return { ...options, namespace: namespace as string, name: name as string, dimensions };
      }),
  );
}

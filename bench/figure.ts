/**
 * One figure of `npm run bench`, measured in a process of its own and written as JSON:
 * `tsx bench/figure.ts <figure> <out.json> [argument]`. Each figure starts from a fresh heap:
 * measured in one process one after another, a figure ran with the garbage of those before it
 * (a throughput run leaves about 800 MiB), which slows the side that allocates more by more, so
 * ratios moved with the order of the figures. Both sides of every ratio stay in one process.
 */
import { writeFileSync } from 'node:fs';
import { measureBreakdown } from './breakdown';
import { measureCalls } from './calls';
import { measureBundles } from './cold-start';
import { measureLatency } from './latency';
import { measureReconcile } from './reconcile';
import { measureThroughput } from './throughput';

/** Every figure by name; `argument` is latency's database, or the reconciler's number of companies. */
const FIGURES = {
  bundles: () => measureBundles(),
  calls: () => measureCalls(),
  latency: (argument?: string) =>
    measureLatency(argument === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite'),
  breakdown: () => measureBreakdown(),
  throughput: () => measureThroughput(),
  reconcile: (argument?: string) => measureReconcile(Number(argument)),
};

export type FigureName = keyof typeof FIGURES;

const [name, out, argument] = process.argv.slice(2);
if (!name || !(name in FIGURES) || !out) {
  process.stderr.write(
    `usage: tsx bench/figure.ts <${Object.keys(FIGURES).join('|')}> <out.json> [argument]\n`,
  );
  process.exit(2);
}
const figures = await FIGURES[name as FigureName](argument);
writeFileSync(out, JSON.stringify(figures));

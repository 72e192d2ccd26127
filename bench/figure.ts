/**
 * One figure of `npm run bench`, measured in a process of its own and written as JSON:
 * `tsx bench/figure.ts <figure> <out.json> [argument]`. Each figure starts from a fresh heap:
 * measured in one process one after another, a figure ran with the garbage of those before it
 * (a throughput run leaves about 800 MiB), which slows the side that allocates more by more, so
 * ratios moved with the order of the figures. Both sides of every ratio stay in one process.
 */
import { writeFileSync } from 'node:fs';

/**
 * Every figure by name; `argument` is latency's database, or the reconciler's number of
 * companies. Each loads only its own module: imported together, every figure's process held the
 * CDK (for the cold start's synth) and the reconciler, and in that heap the per-delivery floor
 * measured 1.48 against 1.14 ms and the handler's margin over it 85 against 60 µs (a one-off
 * script, 4,000 rounds each), a process nothing like the function's.
 */
const FIGURES = {
  bundles: async () => (await import('./cold-start')).measureBundles(),
  calls: async () => (await import('./calls')).measureCalls(),
  latency: async (argument?: string) =>
    (await import('./latency')).measureLatency(argument === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite'),
  breakdown: async () => (await import('./breakdown')).measureBreakdown(),
  throughput: async () => (await import('./throughput')).measureThroughput(),
  reconcile: async (argument?: string) => (await import('./reconcile')).measureReconcile(Number(argument)),
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

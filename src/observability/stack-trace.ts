import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces in terms of the TypeScript sources, for the log line of a failed delivery.
 *
 * The bundle ships its source map (line mappings only), but Node is not told to load it at
 * start: `--enable-source-maps` parses the whole map (700 KB, mostly the SDK) on every cold
 * start, about 7% of it, to serve the rare stack that is printed. `process.setSourceMapsEnabled`
 * called later maps only modules loaded after it, never the bundle already running. So the map
 * is read here, the first time a stack is logged, and frames are mapped as Node would map them.
 */
const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    try {
      maps.set(url, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
    } catch {
      // No map next to the file (the sources run as they are, under tsx or jest): left as is.
      maps.set(url, undefined);
    }
  }
  return maps.get(url);
}

/**
 * `at name (/var/task/index.js:1:2345)` or `at /var/task/index.js:1:2345` (CommonJS, as deployed),
 * or the same with a `file:///…/index.mjs` URL (an ES module).
 */
const FRAME = /^(\s+at (?:async )?)(?:(.*?) \()?((?:file:\/\/|\/)\S+?\.[cm]?js):(\d+):(\d+)\)?$/;

function originalOf(url: string, line: string, column: string) {
  const entry = sourceMapOf(url)?.findEntry(Number(line) - 1, Number(column) - 1);
  if (!entry || !('originalSource' in entry)) return undefined;
  // Node returns the original identifier's name where the map has one; @types/node omits it.
  const { name } = entry as { name?: string };
  const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '').replace(/^file:\/\//, '');
  return { location: `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`, name };
}

/**
 * `stack` with every frame of a bundle that has a source map put back in its source file, line
 * and column; a function's name is taken, as Node does, from its caller's call site.
 */
export function sourceMappedStack(stack: string | undefined): string | undefined {
  if (!stack || process.sourceMapsEnabled) return stack;
  const lines = stack.split('\n');
  const frames = lines.map((line) => FRAME.exec(line));
  return lines
    .map((line, index) => {
      const frame = frames[index];
      if (!frame) return line;
      const [, prefix, name, url, row, column] = frame as unknown as string[];
      const original = originalOf(url as string, row as string, column as string);
      if (!original) return line;
      const caller = frames[index + 1];
      const callerName =
        caller && originalOf(caller[3] as string, caller[4] as string, caller[5] as string)?.name;
      const shown = callerName ?? name;
      return shown ? `${prefix}${shown} (${original.location})` : `${prefix}${original.location}`;
    })
    .join('\n');
}

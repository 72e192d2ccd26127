import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lib/bundling';
import { sourceMappedStack } from '../src/observability/stack-trace';

const MAPPER = fileURLToPath(new URL('../src/observability/stack-trace.ts', import.meta.url));

/**
 * The function runs without --enable-source-maps; the stack of a failed delivery is mapped by
 * sourceMappedStack from the map shipped next to the bundle, as Node itself would map it. The
 * bundle runs in a plain Node process: jest maps every stack of its own.
 */
/** The bundle as deployed (CommonJS, lib/bundling.ts), and as an ES module, whose frames are URLs. */
const SHAPES = [
  { shape: 'CommonJS, as deployed', format: LAMBDA_BUNDLING.format, file: 'index.js' },
  { shape: 'an ES module', format: 'esm', file: 'index.mjs' },
] as const;

describe.each(SHAPES)('stack traces of a minified bundle, $shape', ({ format, file }) => {
  const folder = mkdtempSync(join(tmpdir(), 'stack-trace-'));
  let stacks: { raw: string; mapped: string };

  beforeAll(async () => {
    writeFileSync(
      join(folder, 'store.ts'),
      "export class Store {\n  async write(): Promise<void> {\n    await Promise.resolve();\n    throw new Error('database down');\n  }\n}\n",
    );
    writeFileSync(
      join(folder, 'entry.ts'),
      `import { sourceMappedStack } from ${JSON.stringify(MAPPER)};\nimport { Store } from './store';\nexport async function handler() {\n  try {\n    await new Store().write();\n  } catch (error) {\n    return { raw: error.stack, mapped: sourceMappedStack(error.stack) };\n  }\n}\n`,
    );
    const bundle = join(folder, 'out', file);
    await build({
      entryPoints: [join(folder, 'entry.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format,
      minify: LAMBDA_BUNDLING.minify,
      sourcemap: LAMBDA_BUNDLING.sourceMap,
      sourcesContent: LAMBDA_BUNDLING.sourcesContent,
      logLevel: 'silent',
    });
    // Loaded as Lambda's runtime loads it: CommonJS by require, an ES module by import.
    const load =
      format === 'esm'
        ? `await import(${JSON.stringify(pathToFileURL(bundle).href)})`
        : `createRequire(import.meta.url)(${JSON.stringify(bundle)})`;
    const script = `import { createRequire } from 'node:module'; const { handler } = ${load}; console.log(JSON.stringify(await handler()));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    stacks = JSON.parse(output) as typeof stacks;
  });

  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('puts every frame of the bundle back in its source file, line and column', () => {
    expect(stacks.raw).toContain(`${file}:`);

    const { mapped } = stacks;

    expect(mapped.split('\n').slice(0, 3)).toEqual([
      'Error: database down',
      expect.stringMatching(/^ {4}at \S+ \(.*store\.ts:4:11\)$/),
      expect.stringMatching(/^ {4}at async \S+ \(.*entry\.ts:5:5\)$/),
    ]);
    expect(mapped).not.toContain(`${file}:`);
  });
});

describe('stack traces of files without a map', () => {
  it('leaves the stack as it is', () => {
    const stack = new Error('plain').stack;

    expect(sourceMappedStack(stack)).toBe(stack);
    expect(sourceMappedStack(undefined)).toBeUndefined();
  });
});

/**
 * What each dependency adds to the shipped bundle, from esbuild's metafile. NodejsFunction does
 * not keep a metafile in the asset, so the entry is built again here with the very settings it
 * gets (lib/bundling.ts), and the output is checked to have the asset's size byte for byte.
 */
import { statSync } from 'node:fs';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lib/bundling';
import type { DeployedFunction } from './deployed-bundle';
import { ROOT } from './support';

/** Bytes in the bundle per package (`this project` for our own files). */
export type BundleContent = Record<string, number>;

/** The package a bundled file comes from. */
function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match?.[1] ?? 'this project';
}

/** Bytes per package of `entry` bundled as NodejsFunction bundles it; `asset` must have the same size. */
export async function bundleContent(entry: string, asset: DeployedFunction): Promise<BundleContent> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    outfile: 'index.js',
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    target: LAMBDA_BUNDLING.target,
    format: LAMBDA_BUNDLING.format,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    supported: LAMBDA_BUNDLING.supported,
    logLevel: 'silent',
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('index.js'));
  if (!output) throw new Error(`bundleContent: esbuild wrote no index.js for ${entry}`);
  const shipped = statSync(asset.entryFile).size;
  if (output[1].bytes !== shipped) {
    throw new Error(`bundleContent: ${entry} builds to ${output[1].bytes} B here but ships ${shipped} B`);
  }
  const content: BundleContent = {};
  for (const [path, input] of Object.entries(output[1].inputs)) {
    const name = packageOf(path);
    content[name] = (content[name] ?? 0) + input.bytesInOutput;
  }
  return content;
}

/** Smaller differences in a shared package are esbuild naming things differently, not code. */
const NOISE_BYTES = 256;

/** What the receiver ships beyond the bare client, per package, largest first; shared packages by their difference. */
export function addedBy(receiver: BundleContent, bare: BundleContent): [string, number][] {
  return Object.entries(receiver)
    .map(([name, bytes]): [string, number] => [name, bytes - (bare[name] ?? 0)])
    .filter(([name, bytes]) => !(name in bare) || Math.abs(bytes) >= NOISE_BYTES)
    .sort((a, b) => b[1] - a[1]);
}

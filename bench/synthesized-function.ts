/**
 * The CDK app synthesized on this machine, and one function of it as Lambda would be handed
 * it: its unzipped asset from the cloud assembly, its handler file, its template's environment,
 * memory and timeout. Shared by the bench and the tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/** The repository's root, where cdk.json is. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Synthesizes what `define` adds to an app with cdk.json's context (as `cdk synth` does) into
 * `outdir`, bundling every function with the local esbuild.
 */
export function synthesize(outdir: string, define: (app: App) => void): CloudAssembly {
  const { context } = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ outdir, context });
  define(app);
  return app.synth();
}

/** One Lambda function of a synthesized stack, as Lambda would be handed it. */
export interface DeployedFunction {
  logicalId: string;
  /** The unzipped asset: the bundle (index.js) and its source map. */
  assetDir: string;
  /** The file `handler` is exported from. */
  entryFile: string;
  /** The template's `Environment.Variables`; references (`Ref`, `Fn::GetAtt`) left as objects. */
  environment: Record<string, unknown>;
  memorySize: number;
  /** The template's `Timeout`, in seconds: each invocation's deadline, after which Lambda ends it. */
  timeoutSeconds: number;
}

/** The function `constructId` (a direct child of the stack) of stack `stackName` in `assembly`. */
export function deployedFunction(
  assembly: CloudAssembly,
  stackName: string,
  constructId: string,
): DeployedFunction {
  const stack = assembly.getStackByName(stackName);
  const resources = stack.template.Resources as Record<
    string,
    { Type: string; Properties: FunctionProperties }
  >;
  const own = new RegExp(`^${constructId.replace(/[^A-Za-z0-9]/g, '')}[0-9A-F]{8}$`);
  const found = Object.entries(resources).filter(
    ([logicalId, resource]) => resource.Type === 'AWS::Lambda::Function' && own.test(logicalId),
  );
  const [entry, ...others] = found;
  if (!entry || others.length > 0) throw new Error(`${stackName}: no single function ${constructId}`);
  const [logicalId, { Properties: properties }] = entry;
  const hash = properties.Code.S3Key.replace(/\.zip$/, '');
  const manifest = JSON.parse(readFileSync(join(assembly.directory, `${stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  const source = manifest.files[hash]?.source.path;
  if (!source) throw new Error(`${stackName}: asset ${hash} of ${logicalId} is not in the asset manifest`);
  const assetDir = join(assembly.directory, source);
  const [file] = properties.Handler.split('.');
  // As Lambda's runtime looks for the handler's file: CommonJS, or an ES module.
  const entryFile = ['.js', '.mjs', '.cjs']
    .map((extension) => join(assetDir, `${file}${extension}`))
    .find(existsSync);
  if (!entryFile) throw new Error(`${stackName}: ${logicalId}'s asset has no ${file}.js, .mjs or .cjs`);
  return {
    logicalId,
    assetDir,
    entryFile,
    environment: properties.Environment?.Variables ?? {},
    memorySize: properties.MemorySize ?? 128,
    // Lambda's own default when the template sets none.
    timeoutSeconds: properties.Timeout ?? 3,
  };
}

interface FunctionProperties {
  Code: { S3Key: string };
  Handler: string;
  MemorySize?: number;
  Timeout?: number;
  Environment?: { Variables?: Record<string, unknown> };
}

/**
 * The functions as deployed, run on this machine: the CDK app synthesized into a folder, each
 * function's asset taken from the cloud assembly, and run in a fresh Node.js process (the
 * project's pinned Node 24) with the template's environment, as Lambda runs it. AWS is never
 * called: DynamoDB and Secrets Manager are reached through `AWS_ENDPOINT_URL_*` on loopback.
 * Shared by the bench and the tests; it holds nothing of either.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/** The repository's root: cdk.json, and the pinned Node.js under node_modules/.bin. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The pinned Node.js 24, the Lambda runtime's major version. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const INVOKER = fileURLToPath(new URL('./invoke-bundle.mjs', import.meta.url));

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
  /** The template's `Timeout`, in seconds (Lambda's default, 3, when it sets none). */
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

/**
 * A Secrets Manager stand-in on loopback that answers `GetSecretValue` with `secretString`
 * for any secret id, and counts the reads.
 */
export async function startSecretsManagerStandIn(secretString: string) {
  let reads = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'secretsmanager.GetSecretValue') {
        response
          .writeHead(400)
          .end(JSON.stringify({ __type: 'InvalidRequestException', message: `${target}` }));
        return;
      }
      reads += 1;
      const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stand-in';
      response.end(
        JSON.stringify({ ARN: arn, Name: 'stand-in', SecretString: secretString, VersionId: 'v1' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reads: () => reads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface InvokeOptions {
  fn: DeployedFunction;
  /** Values of the variables the template sets by reference (the table name, the secret ARN); they may also replace others. */
  resolve?: Record<string, string>;
  /** Loopback endpoints: `AWS_ENDPOINT_URL_DYNAMODB`, `_SECRETS_MANAGER` and `_EVENTBRIDGE`. */
  endpoints: { dynamoDb: string; secretsManager?: string; eventBridge?: string };
  /** Delivered one after another to the handler of a single cold process. */
  events: readonly unknown[];
}

/** What one process did: its own start, the import, each invocation, its peak memory and output. */
export interface Invocations {
  /** From the process's start to the first line of the invoker (Node's own start, `NODE_OPTIONS`). */
  bootMs: number;
  /** Importing the handler's file: reading, compiling and running the bundle's top level. */
  importMs: number;
  /** Each invocation: its duration, when it ended (from the process's start) and its answer. */
  invocations: { ms: number; endMs: number; response: { statusCode?: number; body?: string } }[];
  /** Peak resident memory of the process, in KiB (Linux's VmHWM). */
  maxRssKiB: number;
  /** From spawning the process to its exit, as seen by the caller. */
  processMs: number;
  stdout: string;
  stderr: string;
}

/** The environment Lambda gives `fn`: its template variables, resolved, and the runtime's own. */
export function lambdaEnvironment(options: InvokeOptions): Record<string, string> {
  const { fn, resolve = {}, endpoints } = options;
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    const resolved = resolve[name] ?? (typeof value === 'string' ? value : undefined);
    if (resolved === undefined)
      throw new Error(`${fn.logicalId}: give a value for ${name} (${JSON.stringify(value)})`);
    variables[name] = resolved;
  }
  const region = 'us-east-1';
  return {
    PATH: process.env.PATH ?? '',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: fn.assetDir,
    _HANDLER: 'index.handler',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    // A database and a stand-in on this machine take any credentials.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    ...(endpoints.secretsManager ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager } : {}),
    ...(endpoints.eventBridge ? { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge } : {}),
    ...variables,
  };
}

/**
 * The arguments Lambda's Node.js bootstrap starts node with: the heap sized to the function's
 * memory (a tenth of it young generation, half of that per semi-space), as
 * /var/runtime/bootstrap computes them.
 */
export function lambdaNodeArguments(memorySize: number): string[] {
  const newSpace = Math.floor(memorySize / 10);
  return [
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memorySize - newSpace}`,
  ];
}

/** Starts `fn` cold in a new process and delivers `events` to it, one after another. */
export function invokeDeployedFunction(options: InvokeOptions): Promise<Invocations> {
  const env = lambdaEnvironment(options);
  const started = performance.now();
  // The context's remaining time counts down from the function's own timeout, as in Lambda.
  const timeoutMs = String(options.fn.timeoutSeconds * 1000);
  const child = spawn(
    NODE,
    [...lambdaNodeArguments(options.fn.memorySize), INVOKER, options.fn.entryFile, timeoutMs],
    {
      cwd: options.fn.assetDir,
      env,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    },
  );
  const collect = (stream: NodeJS.ReadableStream | null | undefined) => {
    const chunks: Buffer[] = [];
    stream?.on('data', (chunk: Buffer) => chunks.push(chunk));
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const result = collect(child.stdio[3] as NodeJS.ReadableStream);
  child.stdin.end(JSON.stringify(options.events));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`${options.fn.logicalId} exited with ${code}: ${stderr()}`));
        return;
      }
      const measured = JSON.parse(result()) as Omit<Invocations, 'processMs' | 'stdout' | 'stderr'>;
      resolve({ ...measured, processMs, stdout: stdout(), stderr: stderr() });
    });
  });
}

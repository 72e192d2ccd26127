/**
 * The functions as deployed, run on this machine: the CDK app synthesized into a folder, each
 * function's asset taken from the cloud assembly, and run in a fresh Node.js process (the
 * project's pinned Node 24) with the template's environment, as Lambda runs it. AWS is never
 * called: DynamoDB and Secrets Manager are reached through `AWS_ENDPOINT_URL_*` on loopback.
 * Shared by the bench and the tests; it holds nothing of either. The synthesis and the
 * function's asset are in synthesized-function.ts, the Secrets Manager stand-in in
 * secrets-manager-stand-in.ts (both re-exported here).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeployedFunction } from './synthesized-function';

export { startSecretsManagerStandIn } from './secrets-manager-stand-in';
export { type DeployedFunction, deployedFunction, synthesize } from './synthesized-function';

/** The repository's root: the pinned Node.js is under node_modules/.bin. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The pinned Node.js 24, the Lambda runtime's major version. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const INVOKER = fileURLToPath(new URL('./invoke-bundle.mjs', import.meta.url));

export interface InvokeOptions {
  fn: DeployedFunction;
  /** Values of the variables the template sets by reference (the table name, the secret ARN); they may also replace others. */
  resolve?: Record<string, string>;
  /**
   * Variables the template does not set, as an operator could add them to the deployed function
   * (the provider's URL pointed at a fake, a smaller page size).
   */
  addedEnvironment?: Record<string, string>;
  /** Loopback endpoints: `AWS_ENDPOINT_URL_DYNAMODB`, `_SECRETS_MANAGER` and `_EVENTBRIDGE`. */
  endpoints: { dynamoDb: string; secretsManager?: string; eventBridge?: string };
  /** Delivered one after another to the handler of a single cold process. */
  events: readonly unknown[];
}

/** An invocation that failed, as Lambda reports it to its caller (the `Payload` of a `FunctionError`). */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** One invocation: its duration, when it ended (from the process's start), and its answer or its error. */
export interface Invocation<Response = { statusCode?: number; body?: string }> {
  ms: number;
  endMs: number;
  /** What the handler returned; absent when it failed. */
  response?: Response;
  /**
   * Why it failed: what the handler threw (under the error's `name`), `Sandbox.Timedout` when it
   * ran past the function's timeout, `Runtime.ExitError` when its process ended mid-invocation.
   */
  error?: LambdaError;
}

/** What one process did: its own start, the import, each invocation, its peak memory and output. */
export interface Invocations<Response = { statusCode?: number; body?: string }> {
  /** From the process's start to the first line of the invoker (Node's own start, `NODE_OPTIONS`). */
  bootMs: number;
  /** Importing the handler's file: reading, compiling and running the bundle's top level. */
  importMs: number;
  /**
   * Each invocation delivered. After one that timed out or ended the process, the remaining
   * events are not delivered: Lambda would start a new container for them.
   */
  invocations: Invocation<Response>[];
  /** Peak resident memory of the process, in KiB (Linux's VmHWM); NaN when the process was ended. */
  maxRssKiB: number;
  /** From spawning the process to its exit, as seen by the caller. */
  processMs: number;
  stdout: string;
  stderr: string;
}

/** The environment Lambda gives `fn`: its template variables, resolved, and the runtime's own. */
export function lambdaEnvironment(options: InvokeOptions): Record<string, string> {
  const { fn, resolve = {}, addedEnvironment = {}, endpoints } = options;
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
    ...addedEnvironment,
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

/** What the invoker reports on file descriptor 3, one JSON line each. */
type InvokerFact =
  | { kind: 'start'; index: number; awsRequestId: string }
  | ({ kind: 'invocation'; index: number } & Invocation<unknown>)
  | { kind: 'end'; bootMs: number; importMs: number; maxRssKiB: number };

/**
 * Starts `fn` cold in a new process and delivers `events` to it, one after another, each with
 * the function's own timeout. As Lambda does, an invocation that runs past it is ended (the
 * process is killed) and reported as `Sandbox.Timedout`; a handler that throws is reported as
 * `{ errorType, errorMessage }` and the process goes on with the next event.
 */
export function invokeDeployedFunction<Response = { statusCode?: number; body?: string }>(
  options: InvokeOptions,
): Promise<Invocations<Response>> {
  const { fn } = options;
  const env = lambdaEnvironment(options);
  const timeoutMs = fn.timeoutSeconds * 1000;
  const started = performance.now();
  const child = spawn(
    NODE,
    [...lambdaNodeArguments(fn.memorySize), INVOKER, fn.entryFile, String(timeoutMs)],
    {
      cwd: fn.assetDir,
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
  const invocations: Invocation<Response>[] = [];
  let end: Extract<InvokerFact, { kind: 'end' }> | undefined;
  let running: { awsRequestId: string; startMs: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let buffered = '';
  const onFact = (fact: InvokerFact) => {
    if (fact.kind === 'start') {
      running = { awsRequestId: fact.awsRequestId, startMs: performance.now() - started };
      timer = setTimeout(() => {
        // Lambda ends the invocation at its timeout, whatever the handler is doing.
        invocations.push({
          ms: timeoutMs,
          endMs: performance.now() - started,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${fact.awsRequestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
        running = undefined;
        child.kill('SIGKILL');
      }, timeoutMs);
    } else if (fact.kind === 'invocation') {
      clearTimeout(timer);
      running = undefined;
      const { kind: _kind, index: _index, ...invocation } = fact;
      invocations.push(invocation as Invocation<Response>);
    } else end = fact;
  };
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      onFact(JSON.parse(buffered.slice(0, newline)) as InvokerFact);
      buffered = buffered.slice(newline + 1);
    }
  });
  child.stdin.end(JSON.stringify(options.events));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const processMs = performance.now() - started;
      if (running) {
        // The process ended in the middle of an invocation: Lambda reports the runtime's exit.
        invocations.push({
          ms: processMs - running.startMs,
          endMs: processMs,
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: ${running.awsRequestId} Error: Runtime exited with error: ${signal ?? `exit status ${code}`}`,
          },
        });
      }
      const timedOut = invocations.at(-1)?.error?.errorType === 'Sandbox.Timedout';
      const ended = invocations.at(-1)?.error?.errorType === 'Runtime.ExitError';
      if (!timedOut && !ended && (code !== 0 || !end)) {
        reject(new Error(`${fn.logicalId} exited with ${code ?? signal}: ${stderr()}`));
        return;
      }
      resolve({
        bootMs: end?.bootMs ?? Number.NaN,
        importMs: end?.importMs ?? Number.NaN,
        invocations,
        maxRssKiB: end?.maxRssKiB ?? Number.NaN,
        processMs,
        stdout: stdout(),
        stderr: stderr(),
      });
    });
  });
}

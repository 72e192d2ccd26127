// Runs a Lambda bundle as the Node.js runtime does, in the process it was started in: loads
// the handler file named on the command line, then invokes it once per event read from stdin,
// one after another, with a context whose deadline is the function's timeout (milliseconds,
// the second argument). Reports on file descriptor 3, one JSON line per fact (an invocation
// starting, an invocation's answer or error, the end), so that the function's own stdout and
// stderr (its log lines and metrics) stay as they are, and so that the launcher can end the
// process at an invocation's timeout, as Lambda does, knowing what was answered before.
import { readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const startedAt = performance.now();
const events = JSON.parse(readFileSync(0, 'utf8'));
const [entry, timeoutArgument] = process.argv.slice(2);
const timeoutMs = Number(timeoutArgument ?? 3000);
const report = (fact) => writeSync(3, `${JSON.stringify(fact)}\n`);

/** An error as Lambda's Node.js runtime reports it to the caller: its name as `errorType`. */
const lambdaError = (error) =>
  error instanceof Error
    ? {
        errorType: error.name,
        errorMessage: error.message,
        trace: (error.stack ?? '').split('\n'),
      }
    : { errorType: 'Error', errorMessage: String(error), trace: [] };

const importStart = performance.now();
let handler;
let initError;
try {
  // As Lambda's runtime loads it: an ES module (.mjs) by import, a CommonJS file by require.
  ({ handler } = entry.endsWith('.mjs')
    ? await import(pathToFileURL(entry).href)
    : createRequire(import.meta.url)(entry));
  if (typeof handler !== 'function') throw new Error(`${entry} exports no handler`);
} catch (error) {
  // Lambda answers every invocation of a function whose init failed with that error.
  initError = lambdaError(error);
}
const importMs = performance.now() - importStart;

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';
for (const [index, event] of events.entries()) {
  const awsRequestId = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  report({ kind: 'start', index, awsRequestId });
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const start = performance.now();
  let outcome;
  if (initError) outcome = { error: initError };
  else {
    try {
      outcome = { response: await handler(event, context) };
    } catch (error) {
      outcome = { error: lambdaError(error) };
    }
  }
  const end = performance.now();
  report({ kind: 'invocation', index, ms: end - start, endMs: end, ...outcome });
}
report({ kind: 'end', bootMs: startedAt, importMs, maxRssKiB: peakRssKiB() });
/**
 * This process's peak resident memory, in KiB: Linux's VmHWM, which starts afresh at exec.
 * getrusage's maxrss (process.resourceUsage) does not: it keeps the RSS of the parent it was
 * forked from, which here is larger than the function's own.
 */
function peakRssKiB() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // Not Linux: the rusage figure, an upper bound.
  }
  return process.resourceUsage().maxRSS;
}

// The SDK's keep-alive sockets would hold the process open, as Lambda freezes it instead.
process.exit(0);

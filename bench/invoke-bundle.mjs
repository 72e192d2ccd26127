// Runs a Lambda bundle as the Node.js runtime does, in the process it was started in: loads
// the handler file named on the command line (then the function's timeout in ms), then invokes it once per event read from stdin,
// one after another. Writes its timings and answers as one JSON document to file descriptor 3,
// so that the function's own stdout and stderr (its log lines and metrics) stay as they are.
import { readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const startedAt = performance.now();
const events = JSON.parse(readFileSync(0, 'utf8'));
const importStart = performance.now();
// As Lambda's runtime loads it: an ES module (.mjs) by import, a CommonJS file by require.
const entry = process.argv[2];
const { handler } = entry.endsWith('.mjs')
  ? await import(pathToFileURL(entry).href)
  : createRequire(import.meta.url)(entry);
const importMs = performance.now() - importStart;
if (typeof handler !== 'function') throw new Error(`${process.argv[2]} exports no handler`);

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local';
// The function's timeout, from the template: what getRemainingTimeInMillis counts down from.
const timeoutMs = Number(process.argv[3] ?? 10_000);
const invocations = [];
for (const [index, event] of events.entries()) {
  const deadline = Date.now() + timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const start = performance.now();
  const response = await handler(event, context);
  const end = performance.now();
  invocations.push({ ms: end - start, endMs: end, response });
}
const result = { bootMs: startedAt, importMs, invocations, maxRssKiB: peakRssKiB() };
writeSync(3, JSON.stringify(result));
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

import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  /** The invocation's time limit; `getRemainingTimeInMillis` counts down from it. @default 10000 */
  timeoutMs?: number;
  /** @default 'local' */
  functionName?: string;
  /** @default a new UUID */
  awsRequestId?: string;
}

/**
 * A Lambda context as the runtime hands one to a handler, for the local server, the benchmark
 * and the tests: the one place that builds it.
 */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const { timeoutMs = 10_000, functionName = 'local', awsRequestId = randomUUID() } = options;
  const deadline = Date.now() + timeoutMs;
  const region = functionName === 'local' ? 'local' : 'eu-west-1';
  const account = functionName === 'local' ? '000000000000' : '123456789012';
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: functionName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

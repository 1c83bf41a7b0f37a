/**
 * A Lambda context for handlers invoked in-process. What matters is getRemainingTimeInMillis: the
 * handlers' deadline reads it, so a local invocation has the same time budget a deployed one would.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export function createLocalLambdaContext(functionName: string, timeoutMs: number): Context {
  const startedAt = Date.now();
  const unsupported = (what: string) => () => {
    throw new Error(`context.${what} is not supported locally: return a value or throw instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, startedAt + timeoutMs - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/**
 * Creating one pool: a spec item's stream record, one stream invocation, every call it makes with its
 * start and end. Reports the mutating calls and the sequential round trips (the longest chain of calls
 * each of which started after the previous ended), beside the naive count (every call in turn).
 */
import type { Context } from 'aws-lambda';
import { createStreamHandler } from '../../controller/handlers/streamHandler.js';
import { createLocalLambdaContext } from '../../controller/local/localLambdaContext.js';
import type { PrefectStub } from '../../test/support/prefectStub.js';
import { busyMilliseconds, longestSequentialChain } from '../analysis/callTimeline.js';
import type { BenchAws } from '../support/benchAws.js';
import { createBenchRuntime, type BenchRuntime } from '../support/benchRuntime.js';
import { specInsertRecords } from '../support/lambdaSimulation.js';
import { fleetManifest, putSpecItems } from '../support/poolFleet.js';
import { summarizeCalls, type CallSummary } from '../support/timedCallRecorder.js';

/** The stream function's timeout (infra default). */
const streamTimeoutMs = 5 * 60_000;

export interface CreatePoolResult {
  readonly pool: string;
  readonly kind: 'auto' | 'fixed';
  readonly phase: string | undefined;
  readonly wallMs: number;
  readonly awsBusyMs: number;
  readonly calls: CallSummary;
  /** ECS, EC2 and CloudWatch changes: the pool's resources. */
  readonly mutatingAwsCalls: number;
  /** DynamoDB writes: the lease, the status item. */
  readonly tableWrites: number;
  readonly sequentialRoundTrips: number;
  /** The calls on that longest chain, in order. */
  readonly criticalPath: readonly string[];
  /** The round trips if every call waited for the one before it. */
  readonly naiveSequentialRoundTrips: number;
  readonly prefectRequests: number;
}

async function createOne(
  aws: BenchAws,
  runtime: BenchRuntime,
  prefect: PrefectStub,
  pool: string,
  kind: 'auto' | 'fixed',
): Promise<CreatePoolResult> {
  const handle = createStreamHandler(() => runtime.deps);
  const manifest = fleetManifest(pool, kind, aws.infra.exampleSecretArn, { workers: 1 });
  await putSpecItems(runtime.clients.dynamodb, aws.config.tableName, [
    { name: pool, item: { pk: pool, sk: 'spec', ...manifest } },
  ]);
  runtime.recorder.clear();
  const prefectBefore = prefect.requests.length;
  const context: Context = createLocalLambdaContext('stream', streamTimeoutMs);
  const startedAt = performance.now();
  const response = await handle({ Records: specInsertRecords([pool]) }, context);
  const wallMs = performance.now() - startedAt;
  if (response.batchItemFailures.length > 0)
    throw new Error(`creating pool ${pool} failed its stream record`);
  const calls = runtime.recorder.take();
  const chain = longestSequentialChain(calls);
  const status = (await runtime.deps.table.readPool(pool)).status?.status;
  return {
    pool,
    kind,
    phase: status?.phase,
    wallMs,
    awsBusyMs: busyMilliseconds(calls),
    calls: summarizeCalls(calls),
    mutatingAwsCalls: calls.filter((call) => call.mutating && call.service !== 'DynamoDB').length,
    tableWrites: calls.filter((call) => call.mutating && call.service === 'DynamoDB').length,
    sequentialRoundTrips: chain.length,
    criticalPath: chain.map((index) => {
      const call = calls[index];
      return call ? `${call.service}.${call.operation}` : '?';
    }),
    naiveSequentialRoundTrips: calls.length,
    prefectRequests: prefect.requests.length - prefectBefore,
  };
}

/** One fixed pool (one worker) and one auto-scaled pool, each created on its own. */
export async function runCreateScenario(aws: BenchAws, prefect: PrefectStub): Promise<CreatePoolResult[]> {
  const runtime = createBenchRuntime({ config: aws.config, endpoints: aws.endpoints });
  try {
    // A first reconcile warms the SDK clients and the code paths, as a warm Lambda container would have.
    await createOne(aws, runtime, prefect, 'warmup', 'fixed');
    return [
      await createOne(aws, runtime, prefect, 'create-fixed', 'fixed'),
      await createOne(aws, runtime, prefect, 'create-auto', 'auto'),
    ];
  } finally {
    runtime.destroy();
  }
}

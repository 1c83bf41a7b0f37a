/**
 * The drift pass over unchanged pools, at several fleet sizes: AWS calls per pool (as moto answered them
 * and as AWS would page them), mutating calls, wall and CPU time, the time spent waiting on AWS, and the
 * schedule container's memory. Each size is measured in a process of its own (driftPassChild.ts) once the
 * pools are settled, beside a per-resource refresh of the same pools, executed in the same run.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { fileURLToPath } from 'node:url';
import { poolTableKeys } from '../../controller/api/tableContract.js';
import type { StoredPool } from '../../controller/aws/poolTableStore.js';
import { statusHeartbeatMs } from '../../controller/core/poolStatus.js';
import { median } from '../analysis/callTimeline.js';
import {
  countByKind,
  managedResources,
  type ManagedResource,
  type ManagedResourceKind,
} from '../analysis/refreshBaseline.js';
import type { BenchAws } from '../support/benchAws.js';
import type { BenchRuntime } from '../support/benchRuntime.js';
import { createBenchRuntime } from '../support/benchRuntime.js';
import { runChild } from '../support/childProcess.js';
import { fleetSpecItems, putSpecItems, reconcileAll } from '../support/poolFleet.js';
import { summarizeCalls, type CallSummary } from '../support/timedCallRecorder.js';
import type {
  DriftChildInput,
  DriftChildResult,
  DriftPassMeasurement,
  MutatingBreakdown,
} from './driftPassChild.js';

const childModule = fileURLToPath(new URL('./driftPassChild.ts', import.meta.url));

/** The schedule function's timeout (infra default). */
export const scheduleTimeoutMs = 5 * 60_000;

export interface RefreshBaseline {
  readonly resources: Record<ManagedResourceKind, number>;
  /** One read per managed resource. */
  readonly calls: number;
  readonly callsPerPool: number;
  /** The refresh, carried out: its calls as recorded and its wall time. */
  readonly executed?: { readonly calls: CallSummary; readonly wallMs: number; readonly concurrency: number };
}

export interface HeartbeatPass {
  /** How far the controller's clock was moved forward. */
  readonly clockOffsetMs: number;
  readonly measurement: DriftPassMeasurement;
}

export interface DriftSizeResult {
  readonly pools: number;
  readonly autoPools: number;
  readonly passesToSettle: number;
  readonly settling: readonly MutatingBreakdown[];
  /** The first pass that changed nothing. */
  readonly measured: DriftPassMeasurement;
  /** Over the settled passes measured. */
  readonly settledPasses: number;
  readonly wallMsMedian: number;
  readonly cpuMsMedian: number;
  readonly awsBusyMsMedian: number;
  readonly callsPerPool: number;
  readonly awsCallsPerPool: number;
  readonly baseline: RefreshBaseline;
  /** Baseline calls per pool ÷ the drift pass's AWS calls per pool. */
  readonly baselineRatio: number;
  readonly memory: DriftChildResult['memory'];
  readonly heartbeat?: HeartbeatPass;
}

/** Puts the spec items of pools [from, to) and brings each to its first status. */
export async function growFleet(aws: BenchAws, setup: BenchRuntime, from: number, to: number): Promise<void> {
  if (to <= from) return;
  const pools = fleetSpecItems(from, to, aws.infra.exampleSecretArn);
  await putSpecItems(setup.clients.dynamodb, aws.config.tableName, pools);
  const results = await reconcileAll(
    setup.deps,
    pools.map((pool) => pool.name),
  );
  const failed = results.filter((result) => result.error || result.phase !== 'Ready');
  if (failed.length > 0) {
    const first = failed[0];
    throw new Error(
      `${failed.length} of ${pools.length} pools did not become Ready (first: ${first?.pool} ${first?.phase} ${first?.error?.code ?? ''})`,
    );
  }
}

async function executeRefresh(
  aws: BenchAws,
  resources: readonly ManagedResource[],
  concurrency: number,
): Promise<NonNullable<RefreshBaseline['executed']>> {
  const runtime = createBenchRuntime({ config: aws.config, endpoints: aws.endpoints, pacer: null });
  const { clients, recorder } = runtime;
  const { config } = aws;
  const limit = pLimit(concurrency);
  const read = (resource: ManagedResource): Promise<unknown> => {
    switch (resource.kind) {
      case 'status item':
        return clients.dynamodb.send(
          new GetCommand({
            TableName: config.tableName,
            Key: {
              [poolTableKeys.partitionKey]: resource.id,
              [poolTableKeys.sortKey]: poolTableKeys.statusSortKey,
            },
          }),
        );
      case 'security group':
        return clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [resource.id] }));
      case 'task definition':
        return clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: resource.id }));
      case 'service':
        return clients.ecs.send(
          new DescribeServicesCommand({ cluster: config.clusterName, services: [resource.id] }),
        );
      case 'alarm':
        return clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [resource.id] }));
    }
  };
  try {
    const startedAt = performance.now();
    await Promise.all(resources.map((resource) => limit(() => read(resource))));
    return { calls: summarizeCalls(recorder.calls), wallMs: performance.now() - startedAt, concurrency };
  } finally {
    runtime.destroy();
  }
}

export async function refreshBaseline(
  aws: BenchAws,
  pools: readonly StoredPool[],
  options: { execute: boolean },
): Promise<RefreshBaseline> {
  const resources = pools.flatMap((pool) => managedResources(pool.name, pool.status?.status));
  const calls = resources.length;
  return {
    resources: countByKind(resources),
    calls,
    callsPerPool: calls / Math.max(1, pools.length),
    // Terraform refreshes with a parallelism of 10 by default.
    ...(options.execute ? { executed: await executeRefresh(aws, resources, 10) } : {}),
  };
}

function runDriftChild(
  aws: BenchAws,
  input: Omit<DriftChildInput, 'config' | 'endpoints'>,
): Promise<DriftChildResult> {
  const childInput: DriftChildInput = { config: aws.config, endpoints: aws.endpoints, ...input };
  return runChild<DriftChildResult>(childModule, {
    env: { BENCH_DRIFT_INPUT: JSON.stringify(childInput) },
    timeoutMs: 8 * 60_000,
  });
}

export interface MeasureDriftOptions {
  /** Settled passes measured after the first (for the median wall time). */
  readonly extraPasses: number;
  readonly executeBaseline: boolean;
  /** Also measure a pass with the clock moved past the status heartbeat (`n`-th such pass in this moto). */
  readonly heartbeatIndex?: number;
}

/** Measures the drift pass over the pools in the table now (all settled or settling). */
export async function measureDriftSize(
  aws: BenchAws,
  setup: BenchRuntime,
  options: MeasureDriftOptions,
): Promise<DriftSizeResult> {
  const child = await runDriftChild(aws, {
    maxPasses: 4,
    extraPasses: options.extraPasses,
    clockOffsetMs: 0,
    lambdaTimeoutMs: scheduleTimeoutMs,
  });
  const measured = child.passes[0];
  if (!measured) throw new Error('the drift pass child measured no pass');
  const settled = child.passes.filter((pass) => pass.settled);
  const stored = await setup.deps.table.scanPools();
  const pools = stored.filter((pool) => pool.spec).length;
  const autoPools = stored.filter((pool) => pool.spec && isAutoPoolItem(pool.spec)).length;
  const baseline = await refreshBaseline(aws, stored, { execute: options.executeBaseline });
  const awsCallsPerPool = measured.calls.awsCalls / pools;

  let heartbeat: HeartbeatPass | undefined;
  if (options.heartbeatIndex !== undefined) {
    // Each such pass must clear the previous one's (future) lastReconcileTime by a heartbeat.
    const clockOffsetMs = options.heartbeatIndex * (statusHeartbeatMs + 60_000);
    const pass = await runDriftChild(aws, {
      maxPasses: 1,
      extraPasses: 0,
      clockOffsetMs,
      lambdaTimeoutMs: scheduleTimeoutMs,
    });
    if (pass.passes[0]) heartbeat = { clockOffsetMs, measurement: pass.passes[0] };
  }
  return {
    pools,
    autoPools,
    passesToSettle: child.passesToSettle,
    settling: child.settling,
    measured,
    settledPasses: settled.length,
    wallMsMedian: median(settled.map((pass) => pass.wallMs)),
    cpuMsMedian: median(settled.map((pass) => pass.cpuMs)),
    awsBusyMsMedian: median(settled.map((pass) => pass.awsBusyMs)),
    callsPerPool: measured.calls.calls / pools,
    awsCallsPerPool,
    baseline,
    baselineRatio: baseline.callsPerPool / awsCallsPerPool,
    memory: child.memory,
    ...(heartbeat ? { heartbeat } : {}),
  };
}

function isAutoPoolItem(spec: Record<string, unknown>): boolean {
  const scaling = (spec.spec as { scaling?: { mode?: string } } | undefined)?.scaling;
  return scaling?.mode === 'auto';
}

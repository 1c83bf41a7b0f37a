/**
 * The schedule's drift pass: every pool, with batched reads (one table scan, DescribeServices ten at a
 * time, every security group of this controller in one call), then a reconcile per pool from those reads.
 * Unchanged pools cost no further call, so the pass stays cheap as pools grow.
 */
import pLimit from 'p-limit';
import { poolResourceNames } from '../api/resourceNames.js';
import type { StoredPool } from '../aws/poolTableStore.js';
import type { PoolObservation } from '../core/observedState.js';
import { parseAlarmName, type LiveAlarm } from '../core/poolAlarms.js';
import type { Deadline } from './deadline.js';
import { reconcilePool, specHashOf } from './reconcilePool.js';
import type { ReconcilerDependencies } from './reconcilerDependencies.js';
import type { ReconcileResult } from './reconcileResult.js';

export interface DriftPassReport {
  readonly pools: number;
  /** Every pool as stored after the pass (status items updated by it included), for the scaling pass. */
  readonly after: readonly StoredPool[];
  readonly results: readonly ReconcileResult[];
  /** Pools left for the next pass because the invocation ran short of time. */
  readonly deferred: readonly string[];
  /** Pools whose reconcile threw (a bug or an unreadable item); the others went on. */
  readonly failed: readonly { pool: string; message: string }[];
}

function needsAttention(pool: StoredPool): boolean {
  const status = pool.status?.status;
  if (!pool.spec || !status) return true;
  return status.observedSpecHash !== specHashOf(pool.spec) || !['Ready', 'Invalid'].includes(status.phase);
}

/**
 * Pools whose spec changed or that are not settled go first; the rest start at a random offset, so when
 * an invocation runs short of time the same tail is not the one skipped every time.
 */
export function orderForPass(pools: readonly StoredPool[], random: () => number = Math.random): StoredPool[] {
  const urgent = pools.filter(needsAttention);
  const settled = pools.filter((pool) => !needsAttention(pool));
  const offset = settled.length > 0 ? Math.floor(random() * settled.length) : 0;
  return [...urgent, ...settled.slice(offset), ...settled.slice(0, offset)];
}

async function observeAll(
  deps: ReconcilerDependencies,
  pools: readonly StoredPool[],
): Promise<Map<string, PoolObservation>> {
  const { instanceId, vpcId } = deps.config;
  const withSpec = pools.filter((pool) => pool.spec);
  const [services, securityGroups, alarms] = await Promise.all([
    deps.ecs.describeServices(withSpec.map((pool) => poolResourceNames(instanceId, pool.name).serviceName)),
    deps.ec2.listOwnedSecurityGroups(vpcId, instanceId),
    deps.cloudwatch.describeAlarmsByPrefix(`${instanceId}-`),
  ]);
  const alarmsByPool = new Map<string, Map<string, LiveAlarm>>();
  for (const alarm of alarms) {
    const owner = parseAlarmName(instanceId, alarm.alarmName);
    if (!owner) continue;
    const forPool = alarmsByPool.get(owner.pool) ?? new Map<string, LiveAlarm>();
    forPool.set(alarm.alarmName, alarm);
    alarmsByPool.set(owner.pool, forPool);
  }
  const observations = new Map<string, PoolObservation>();
  for (const pool of withSpec) {
    const names = poolResourceNames(instanceId, pool.name);
    const service = services.get(names.serviceName);
    const securityGroup = securityGroups.get(names.securityGroupName);
    observations.set(pool.name, {
      ...(service ? { service } : {}),
      ...(securityGroup ? { securityGroup } : {}),
      alarms: alarmsByPool.get(pool.name) ?? new Map(),
    });
  }
  return observations;
}

export async function runDriftPass(
  deps: ReconcilerDependencies,
  deadline: Deadline,
): Promise<DriftPassReport> {
  const pools = await deps.table.scanPools();
  const observations = await observeAll(deps, pools);
  const limit = pLimit(deps.config.reconcileConcurrency);
  const results: ReconcileResult[] = [];
  const deferred: string[] = [];
  const failed: { pool: string; message: string }[] = [];

  await Promise.all(
    orderForPass(pools).map((stored) =>
      limit(async () => {
        if (!deadline.hasTimeForAnother()) {
          deferred.push(stored.name);
          return;
        }
        const observation = observations.get(stored.name);
        try {
          // Pools without a spec are being deleted: deletion reads what it needs itself.
          results.push(
            await reconcilePool(deps, stored.name, observation ? { stored, observation } : undefined),
          );
        } catch (error) {
          // One pool's failure never stops the pass for the others.
          const message = error instanceof Error ? error.message : String(error);
          deps.logger.error('reconcile failed', { pool: stored.name, error });
          failed.push({ pool: stored.name, message });
        }
      }),
    ),
  );
  if (deferred.length > 0) {
    deps.logger.warn('drift pass ran short of time', { deferred: deferred.length, pools: pools.length });
  }
  const written = new Map(results.flatMap((r) => (r.status ? [[r.pool, r.status] as const] : [])));
  const after = pools.map((pool) => {
    const status = written.get(pool.name) ?? pool.status;
    return { ...pool, ...(status ? { status } : {}) };
  });
  return { pools: pools.length, after, results, deferred, failed };
}

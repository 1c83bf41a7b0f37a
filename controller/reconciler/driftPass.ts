/**
 * The schedule's drift pass: every pool, with batched reads (one table scan, DescribeServices ten at a
 * time, every security group of this controller in one call), then a reconcile per pool from those reads.
 * Unchanged pools cost no further call, so the pass stays cheap as pools grow.
 */
import pLimit from 'p-limit';
import { poolResourceNames } from '../api/resourceNames.js';
import type { StoredPool } from '../aws/poolTableStore.js';
import { ownershipTagKeys } from '../api/resourceNames.js';
import type { LiveSecurityGroup, PoolObservation } from '../core/observedState.js';
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
  /** Deletions of resources whose pool has neither spec nor status (garbage collection). */
  readonly collected: readonly ReconcileResult[];
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

interface BulkObservation {
  readonly byPool: Map<string, PoolObservation>;
  /** Every security group and alarm of this controller instance, whatever pool they name. */
  readonly securityGroups: ReadonlyMap<string, LiveSecurityGroup>;
  readonly alarms: readonly LiveAlarm[];
}

async function observeAll(
  deps: ReconcilerDependencies,
  pools: readonly StoredPool[],
): Promise<BulkObservation> {
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
  return { byPool: observations, securityGroups, alarms };
}

/**
 * Pools that own resources but have neither a spec nor a status item — a lost stream record, a status
 * removed by hand. Candidates come from this instance's tags (security groups) and name prefixes
 * (services, task definition families, alarms); deletion then checks each resource's tags itself, so
 * a look-alike that merely shares a name is never touched.
 */
export async function findOrphanPools(
  deps: ReconcilerDependencies,
  known: ReadonlySet<string>,
  observed: Pick<BulkObservation, 'securityGroups' | 'alarms'>,
): Promise<string[]> {
  const { instanceId } = deps.config;
  const prefix = `${instanceId}-`;
  const [serviceNames, families] = await Promise.all([
    deps.ecs.listServiceNames(prefix),
    deps.ecs.listTaskDefinitionFamilies(prefix),
  ]);
  const candidates = new Set<string>();
  for (const group of observed.securityGroups.values()) {
    const pool = group.tags[ownershipTagKeys.pool];
    if (pool) candidates.add(pool);
  }
  for (const alarm of observed.alarms) {
    const owner = parseAlarmName(instanceId, alarm.alarmName);
    if (owner) candidates.add(owner.pool);
  }
  for (const family of families) candidates.add(family.slice(prefix.length));
  // ListServices may still name services that are already deleted (INACTIVE): keep the live ones.
  const unknownServices = serviceNames.filter((name) => !known.has(name.slice(prefix.length)));
  const live = unknownServices.length > 0 ? await deps.ecs.describeServices(unknownServices) : new Map();
  for (const name of live.keys()) candidates.add(name.slice(prefix.length));
  return [...candidates].filter((pool) => pool.length > 0 && !known.has(pool)).sort();
}

export async function runDriftPass(
  deps: ReconcilerDependencies,
  deadline: Deadline,
): Promise<DriftPassReport> {
  const pools = await deps.table.scanPools();
  const observed = await observeAll(deps, pools);
  const observations = observed.byPool;
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
  // Garbage collection comes after the pools: if its listing fails, the next pass looks again, and the
  // scaling pass still runs.
  const orphans = await findOrphanPools(deps, new Set(pools.map((pool) => pool.name)), observed).catch(
    (error: unknown) => {
      deps.logger.warn('garbage collection skipped: listing failed', { error });
      return [];
    },
  );
  const collected: ReconcileResult[] = [];
  for (const orphan of orphans) {
    if (!deadline.hasTimeForAnother()) break;
    try {
      // No spec and no status: reconcile takes the deletion path, under the pool's lease.
      collected.push(await reconcilePool(deps, orphan));
    } catch (error) {
      deps.logger.error('garbage collection failed', { pool: orphan, error });
    }
  }
  if (deferred.length > 0) {
    deps.logger.warn('drift pass ran short of time', { deferred: deferred.length, pools: pools.length });
  }
  const written = new Map(results.flatMap((r) => (r.status ? [[r.pool, r.status] as const] : [])));
  const after = pools.map((pool) => {
    const status = written.get(pool.name) ?? pool.status;
    return { ...pool, ...(status ? { status } : {}) };
  });
  return { pools: pools.length, after, results, deferred, failed, collected };
}

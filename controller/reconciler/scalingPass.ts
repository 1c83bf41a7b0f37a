/**
 * The schedule's scaling work, after the drift pass: observe every auto pool's backlog in Prefect,
 * publish it to CloudWatch (where the backlog alarms watch it), start workers for pools at zero that
 * have work, and re-evaluate pools whose scaling alarms stay in ALARM (no new event comes for those).
 */
import pLimit from 'p-limit';
import type { ResolvedPool } from '../api/poolDefaults.js';
import { validatePool } from '../api/validatePool.js';
import { StatusConflictError } from '../aws/awsErrors.js';
import type { MetricValue } from '../aws/cloudWatchAdapter.js';
import type { StoredPool } from '../aws/poolTableStore.js';
import { desiredWorkerCount, workerCountInputsFrom } from '../core/desiredState.js';
import {
  parseAlarmName,
  poolMetricDimensions,
  poolMetricsNamespace,
  scalingRoles,
  type LiveAlarm,
} from '../core/poolAlarms.js';
import { decideScaling, type ScalingTrigger } from '../core/scalingPolicy.js';
import { isPrefectApiError } from '../prefect/prefectErrors.js';
import type { Deadline } from './deadline.js';
import type { ReconcilerDependencies } from './reconcilerDependencies.js';
import { applyManualScale, scalePool, type ScaleResult } from './scalePool.js';

export interface ScalingPassReport {
  readonly backlogObserved: number;
  readonly backlogUnknown: number;
  readonly metricCalls: number;
  readonly decisions: readonly ScaleResult[];
  readonly deferred: readonly string[];
}

interface BacklogObservation {
  readonly count?: number;
  readonly message?: string;
}

interface AutoPool {
  readonly stored: StoredPool;
  readonly pool: ResolvedPool;
  readonly desired: number;
}

function autoPools(deps: ReconcilerDependencies, pools: readonly StoredPool[]): AutoPool[] {
  const result: AutoPool[] = [];
  for (const stored of pools) {
    if (!stored.spec || !stored.status) continue;
    const validation = validatePool(stored.spec, { ...deps.config, expectedName: stored.name });
    if (!validation.valid || validation.pool.spec.scaling.mode !== 'auto') continue;
    result.push({
      stored,
      pool: validation.pool,
      desired: desiredWorkerCount(validation.pool, workerCountInputsFrom(stored.status.status)),
    });
  }
  return result;
}

async function observeBacklog(
  deps: ReconcilerDependencies,
  pool: ResolvedPool,
  now: Date,
): Promise<BacklogObservation> {
  const connection = await deps.prefect.connect(pool.spec.prefect);
  if (!connection.available) return { message: connection.message };
  try {
    return { count: await connection.client.countBacklog(pool.spec.workPool.name, now) };
  } catch (error) {
    const reason = isPrefectApiError(error) ? error.reason : 'PrefectError';
    return { message: `Prefect did not give the backlog (${reason})` };
  }
}

/** Writes the observed backlog into status when it changed, so status does not churn every tick. */
async function recordBacklog(
  deps: ReconcilerDependencies,
  auto: AutoPool,
  observed: BacklogObservation,
  now: Date,
): Promise<void> {
  const stored = auto.stored.status;
  if (!stored) return;
  const previous = stored.status.backlog;
  const count = observed.count ?? null;
  if (previous && previous.count === count && (previous.message ?? undefined) === observed.message) return;
  const backlog = {
    count,
    observedAt: now.toISOString(),
    ...(observed.message ? { message: observed.message } : {}),
  };
  try {
    await deps.table.writeStatus(auto.stored.name, { ...stored.status, backlog }, stored.revision);
  } catch (error) {
    // A newer status won the race, or the write failed (throttled, a 5xx): the next tick records the
    // backlog. Either way the scaling pass goes on for every other pool.
    if (!(error instanceof StatusConflictError)) {
      deps.logger.warn('backlog not recorded', { pool: auto.stored.name, error });
    }
  }
}

/** Per pool, the one alarm in ALARM to act on: scale-out before scale-in, backlog before CPU. */
function alarmsToReevaluate(
  instanceId: string,
  alarms: readonly LiveAlarm[],
): Map<string, { role: string; trigger: ScalingTrigger }> {
  const chosen = new Map<string, { role: string; trigger: ScalingTrigger; rank: number }>();
  for (const alarm of alarms) {
    const owner = parseAlarmName(instanceId, alarm.alarmName);
    const role = owner ? scalingRoles[owner.role] : undefined;
    if (!owner || !role) continue;
    const rank = (role.direction === 'out' ? 0 : 2) + (role.signal === 'backlog' ? 0 : 1);
    const current = chosen.get(owner.pool);
    if (current && current.rank <= rank) continue;
    // A backlog re-evaluation uses the backlog observed this tick; a CPU one needs the alarm's datapoint.
    const datapoint = role.signal === 'cpu' ? alarm.lastDatapoint : undefined;
    chosen.set(owner.pool, {
      role: owner.role,
      rank,
      trigger: { ...role, ...(datapoint !== undefined ? { datapoint } : {}) },
    });
  }
  return new Map([...chosen].map(([pool, { role, trigger }]) => [pool, { role, trigger }]));
}

/** The policy's answer if nothing held scale-in back (flow runs, other alarms): "hold" means no call. */
function mayChange(
  entry: AutoPool,
  request: { trigger: ScalingTrigger; backlog?: number },
  now: Date,
): boolean {
  const scaling = entry.stored.status?.status.scaling;
  const decision = decideScaling({
    spec: entry.pool.spec,
    current: entry.desired,
    running: entry.stored.status?.status.workers.running ?? 0,
    trigger: request.trigger,
    ...(request.backlog !== undefined ? { backlog: request.backlog } : {}),
    runningFlowRuns: 0,
    scaleOutSignalActive: false,
    ...(scaling?.lastScaleTime ? { lastScaleTime: new Date(scaling.lastScaleTime) } : {}),
    ...(scaling?.lastScaleDirection ? { lastScaleDirection: scaling.lastScaleDirection } : {}),
    now,
  });
  return decision.outcome !== 'hold';
}

export async function runScalingPass(
  deps: ReconcilerDependencies,
  pools: readonly StoredPool[],
  deadline: Deadline,
): Promise<ScalingPassReport> {
  const now = deps.clock.now();
  const auto = autoPools(deps, pools);
  const limit = pLimit(deps.config.reconcileConcurrency);

  const backlogs = new Map<string, BacklogObservation>();
  if (deps.prefect.enabled) {
    await Promise.all(
      auto.map((entry) =>
        limit(async () => backlogs.set(entry.stored.name, await observeBacklog(deps, entry.pool, now))),
      ),
    );
  }

  const values: MetricValue[] = [];
  for (const entry of auto) {
    const count = backlogs.get(entry.stored.name)?.count;
    if (count === undefined) continue;
    const dimensions = poolMetricDimensions(deps.config.instanceId, entry.stored.name);
    // Per worker, with zero workers counting as one: any backlog at zero is "above target" per worker.
    const perWorker = count / Math.max(entry.desired, 1);
    values.push(
      {
        namespace: poolMetricsNamespace,
        metricName: 'Backlog',
        dimensions,
        value: count,
        unit: 'Count',
        timestamp: now,
      },
      {
        namespace: poolMetricsNamespace,
        metricName: 'BacklogPerWorker',
        dimensions,
        value: perWorker,
        unit: 'None',
        timestamp: now,
      },
    );
  }
  const metricCalls = values.length > 0 ? await deps.cloudwatch.putMetricValues(values) : 0;

  await Promise.all(
    auto.map((entry) =>
      limit(() =>
        recordBacklog(
          deps,
          entry,
          backlogs.get(entry.stored.name) ?? {
            message: deps.prefect.enabled ? 'not observed' : 'Prefect access is disabled: backlog unknown',
          },
          now,
        ),
      ),
    ),
  );

  const requests = new Map<string, { source: string; trigger: ScalingTrigger; backlog?: number }>();
  const byName = new Map(auto.map((entry) => [entry.stored.name, entry]));
  for (const entry of auto) {
    const count = backlogs.get(entry.stored.name)?.count;
    // The backlog comes from Prefect, not from a worker: a pool at zero starts as soon as work appears.
    if (entry.desired === 0 && count !== undefined && count > 0) {
      requests.set(entry.stored.name, {
        source: 'scale-from-zero',
        trigger: { signal: 'backlog', direction: 'out', datapoint: count },
        backlog: count,
      });
    }
  }
  const firing = await deps.cloudwatch.describeAlarmsByPrefix(`${deps.config.instanceId}-`, 'ALARM');
  for (const [pool, { role, trigger }] of alarmsToReevaluate(deps.config.instanceId, firing)) {
    const count = backlogs.get(pool)?.count;
    if (requests.has(pool) || !byName.has(pool)) continue;
    requests.set(pool, {
      source: `${role} (still in ALARM)`,
      trigger,
      ...(count !== undefined ? { backlog: count } : {}),
    });
  }
  // An idle pool's scale-in alarm stays in ALARM for good. Asking the policy first, from what is already
  // in hand, keeps such pools from costing a read every tick: only pools that may change go on.
  for (const [pool, request] of requests) {
    const entry = byName.get(pool);
    if (entry && !mayChange(entry, request, now)) requests.delete(pool);
  }

  const decisions: ScaleResult[] = [];
  const deferred: string[] = [];
  // People first: a pending manual request replaces this tick's automatic decision for its pool.
  const manual = pools.filter((pool) => pool.scaleRequest);
  for (const pool of manual) requests.delete(pool.name);
  await Promise.all(
    manual.map((pool) =>
      limit(async () => {
        if (!deadline.hasTimeForAnother() || !pool.scaleRequest) return;
        try {
          decisions.push(await applyManualScale(deps, pool.name, pool.scaleRequest));
        } catch (error) {
          deps.logger.error('manual scale failed', { pool: pool.name, error });
        }
      }),
    ),
  );
  await Promise.all(
    [...requests].map(([pool, request]) =>
      limit(async () => {
        if (!deadline.hasTimeForAnother()) {
          deferred.push(pool);
          return;
        }
        try {
          decisions.push(await scalePool(deps, { pool, ...request }));
        } catch (error) {
          deps.logger.error('scaling decision failed', { pool, error });
        }
      }),
    ),
  );
  return {
    backlogObserved: [...backlogs.values()].filter((b) => b.count !== undefined).length,
    backlogUnknown: auto.length - [...backlogs.values()].filter((b) => b.count !== undefined).length,
    metricCalls,
    decisions,
    deferred,
  };
}

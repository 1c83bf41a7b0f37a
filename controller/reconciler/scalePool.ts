/**
 * One scaling decision for one pool: gather what the policy needs (cheaply: Prefect and the other
 * alarms are asked only for scale-in), decide, record the decision in status, and let the reconciler
 * carry a new count out. The scaler owns the count; the service follows through reconcile.
 */
import { validatePool } from '../api/validatePool.js';
import { StatusConflictError } from '../aws/awsErrors.js';
import { desiredWorkerCount, workerCountInputsFrom } from '../core/desiredState.js';
import { alarmName, type AlarmRole } from '../core/poolAlarms.js';
import {
  decideManualScale,
  decideScaling,
  type ScalingDecision,
  type ScalingTrigger,
} from '../core/scalingPolicy.js';
import { recordScalingDecision, shouldRecordDecision } from '../core/scalingRecord.js';
import type { ResolvedPool } from '../api/poolDefaults.js';
import type { StoredScaleRequest } from '../aws/poolTableStore.js';
import { reconcilePool } from './reconcilePool.js';
import type { ReconcilerDependencies } from './reconcilerDependencies.js';
import type { ReconcileResult } from './reconcileResult.js';

export interface ScaleRequest {
  readonly pool: string;
  readonly trigger: ScalingTrigger;
  /** What asked: the alarm's role, `scale-from-zero`, or a re-evaluation of an alarm still in ALARM. */
  readonly source: string;
  /** A backlog observed just now (the schedule's); otherwise the one in status. */
  readonly backlog?: number;
}

export interface ScaleResult {
  readonly pool: string;
  readonly decision?: ScalingDecision;
  /** Why no decision was made (no spec, invalid spec, never reconciled). */
  readonly skipped?: string;
  /** The reconcile that applied a new count. */
  readonly applied?: ReconcileResult;
}

const scaleOutRoles: readonly AlarmRole[] = ['backlog-scale-out', 'cpu-scale-out'];

async function runningFlowRuns(
  deps: ReconcilerDependencies,
  pool: ResolvedPool,
): Promise<number | undefined> {
  if (pool.spec.workPool.type !== 'process') return 0;
  const connection = await deps.prefect.connect(pool.spec.prefect);
  if (!connection.available) return undefined;
  try {
    return await connection.client.countRunning(pool.spec.workPool.name);
  } catch {
    // Unknown counts as "maybe some": the policy then defers scale-in rather than risk a running flow.
    return undefined;
  }
}

async function scaleOutSignalActive(deps: ReconcilerDependencies, pool: string): Promise<boolean> {
  const names = scaleOutRoles.map((role) => alarmName(deps.config.instanceId, pool, role));
  const alarms = await deps.cloudwatch.describeAlarmsByName(names);
  return [...alarms.values()].some((alarm) => alarm.stateValue === 'ALARM');
}

const leaseRetries = 4;
const leaseRetryDelayMs = 250;

/**
 * Carries a new count out through reconcile. If another reconciler holds the pool's lease (a drift pass
 * that may have read the old count), wait briefly and try again rather than leave it to the next tick.
 */
async function applyScaledCount(deps: ReconcilerDependencies, name: string): Promise<ReconcileResult> {
  // The new count is in status already: the service will change, so reconcile under the lease at once.
  const reconcile = () => reconcilePool(deps, name, undefined, { changeExpected: true });
  let result = await reconcile();
  for (let attempt = 1; attempt <= leaseRetries && result.leaseHeld; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, leaseRetryDelayMs * attempt));
    result = await reconcile();
  }
  return result;
}

export async function scalePool(deps: ReconcilerDependencies, request: ScaleRequest): Promise<ScaleResult> {
  const { pool: name, trigger } = request;
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.table.readPool(name);
    if (!stored.spec) return { pool: name, skipped: 'the pool has no spec item' };
    if (!stored.status) return { pool: name, skipped: 'the pool has not been reconciled yet' };
    const validation = validatePool(stored.spec, { ...deps.config, expectedName: name });
    if (!validation.valid) return { pool: name, skipped: 'the spec is invalid' };
    const pool = validation.pool;
    const status = stored.status.status;
    const now = deps.clock.now();
    const current = desiredWorkerCount(pool, workerCountInputsFrom(status));
    const scalingIn =
      trigger.direction === 'in' && pool.spec.scaling.mode === 'auto' && !pool.spec.workPool.paused;
    const [flowRuns, outSignal] = scalingIn
      ? await Promise.all([runningFlowRuns(deps, pool), scaleOutSignalActive(deps, name)])
      : [0, false];
    const backlog = request.backlog ?? status.backlog?.count ?? undefined;
    const decision = decideScaling({
      spec: pool.spec,
      current,
      running: status.workers.running,
      trigger,
      ...(backlog !== undefined && backlog !== null ? { backlog } : {}),
      ...(flowRuns !== undefined ? { runningFlowRuns: flowRuns } : {}),
      scaleOutSignalActive: outSignal,
      ...(status.scaling?.lastScaleTime ? { lastScaleTime: new Date(status.scaling.lastScaleTime) } : {}),
      ...(status.scaling?.lastScaleDirection
        ? { lastScaleDirection: status.scaling.lastScaleDirection }
        : {}),
      now,
    });
    deps.logger.info('scaling decision', {
      pool: name,
      source: request.source,
      outcome: decision.outcome,
      code: decision.code,
      from: current,
      to: decision.desired,
      reason: decision.reason,
    });
    if (!shouldRecordDecision(status.scaling, decision)) return { pool: name, decision };

    const scaling = recordScalingDecision(status.scaling, decision, {
      from: current,
      direction: trigger.direction,
      trigger: request.source,
      now,
    });
    try {
      await deps.table.writeStatus(name, { ...status, scaling }, stored.status.revision);
    } catch (error) {
      // Someone wrote status meanwhile (a reconcile, another decision): decide again from fresh state.
      if (error instanceof StatusConflictError && attempt < 3) continue;
      throw error;
    }
    if (decision.outcome !== 'scale') return { pool: name, decision };
    return { pool: name, decision, applied: await applyScaledCount(deps, name) };
  }
}

/**
 * A person's scale request (poolctl scale): decided, recorded in status with trigger `manual` whether
 * honoured or refused, consumed, and carried out.
 */
export async function applyManualScale(
  deps: ReconcilerDependencies,
  name: string,
  request: StoredScaleRequest,
): Promise<ScaleResult> {
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.table.readPool(name);
    const validation = stored.spec
      ? validatePool(stored.spec, { ...deps.config, expectedName: name })
      : undefined;
    if (!stored.status || !validation?.valid) {
      await deps.table.deleteScaleRequest(name, request.requestedAt);
      return {
        pool: name,
        skipped: 'the pool is missing, invalid or not reconciled yet: the request was dropped',
      };
    }
    const status = stored.status.status;
    const current = desiredWorkerCount(validation.pool, workerCountInputsFrom(status));
    const decision = decideManualScale(validation.pool.spec, current, request.workers, request.requestedBy);
    const now = deps.clock.now();
    const scaling = recordScalingDecision(status.scaling, decision, {
      from: current,
      direction: decision.desired >= current ? 'out' : 'in',
      trigger: 'manual',
      now,
    });
    try {
      await deps.table.writeStatus(name, { ...status, scaling }, stored.status.revision);
    } catch (error) {
      if (error instanceof StatusConflictError && attempt < 3) continue;
      throw error;
    }
    await deps.table.deleteScaleRequest(name, request.requestedAt);
    deps.logger.info('manual scale', {
      pool: name,
      outcome: decision.outcome,
      code: decision.code,
      reason: decision.reason,
    });
    if (decision.outcome !== 'scale') return { pool: name, decision };
    return { pool: name, decision, applied: await applyScaledCount(deps, name) };
  }
}

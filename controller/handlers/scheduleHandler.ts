/**
 * EventBridge schedule → the drift pass over every pool, then the scaling pass (backlog, scale from
 * zero, alarms still in ALARM). Thin: both passes live in the reconciler.
 */
import type { Context } from 'aws-lambda';
import { Deadline } from '../reconciler/deadline.js';
import { runDriftPass } from '../reconciler/driftPass.js';
import type { ReconcilerDependencies } from '../reconciler/reconcilerDependencies.js';
import { runScalingPass } from '../reconciler/scalingPass.js';

export interface ScheduleSummary {
  readonly pools: number;
  readonly reconciled: number;
  readonly changed: number;
  readonly errors: number;
  readonly deferred: number;
  /** Pools whose backlog Prefect reported this tick. */
  readonly backlogObserved: number;
  /** Scaling decisions that changed a pool's worker count. */
  readonly scaled: number;
}

export function createScheduleHandler(getDeps: () => ReconcilerDependencies) {
  return async (_event: unknown, context?: Context): Promise<ScheduleSummary> => {
    const deps = getDeps();
    const deadline = Deadline.fromLambdaContext(context, deps.config.deadlineSafetyMs);
    deps.pacer?.setBudget(() => deadline.budgetMs());
    const drift = await runDriftPass(deps, deadline);
    const scaling = await runScalingPass(deps, drift.after, deadline);
    const summary: ScheduleSummary = {
      pools: drift.pools,
      reconciled: drift.results.length,
      changed: drift.results.filter((r) => r.actions.length > 0).length,
      errors: drift.results.filter((r) => r.error).length + drift.failed.length,
      deferred: drift.deferred.length + scaling.deferred.length,
      backlogObserved: scaling.backlogObserved,
      scaled: scaling.decisions.filter((d) => d.decision?.outcome === 'scale').length,
    };
    deps.logger.info('schedule pass', { ...summary });
    return summary;
  };
}

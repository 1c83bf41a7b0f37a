/**
 * EventBridge schedule → drift pass over every pool. Thin: the pass itself lives in the reconciler.
 */
import type { Context } from 'aws-lambda';
import { Deadline } from '../reconciler/deadline.js';
import { runDriftPass } from '../reconciler/driftPass.js';
import type { ReconcilerDependencies } from '../reconciler/reconcilerDependencies.js';

export interface ScheduleSummary {
  readonly pools: number;
  readonly reconciled: number;
  readonly changed: number;
  readonly errors: number;
  readonly deferred: number;
}

export function createScheduleHandler(getDeps: () => ReconcilerDependencies) {
  return async (_event: unknown, context?: Context): Promise<ScheduleSummary> => {
    const deps = getDeps();
    const report = await runDriftPass(
      deps,
      Deadline.fromLambdaContext(context, deps.config.deadlineSafetyMs),
    );
    const summary: ScheduleSummary = {
      pools: report.pools,
      reconciled: report.results.length,
      changed: report.results.filter((r) => r.actions.length > 0).length,
      errors: report.results.filter((r) => r.error).length + report.failed.length,
      deferred: report.deferred.length,
    };
    deps.logger.info('drift pass', { ...summary });
    return summary;
  };
}

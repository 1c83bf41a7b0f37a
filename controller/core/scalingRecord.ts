/**
 * How a scaling decision is remembered in status: the scaler's count (which the drift pass then
 * restores), when and why it last scaled, and a short history for people (poolctl describe).
 */
import type { ScalingDecisionRecord, ScalingStatus } from '../api/generated/prefectWorkerPoolStatus.js';
import type { ScaleDirection, ScalingDecision } from './scalingPolicy.js';

export const recentDecisionsKept = 10;

export interface DecisionContext {
  readonly from: number;
  readonly direction: ScaleDirection;
  /** What asked: the alarm's role, `scale-from-zero`, or `manual`. */
  readonly trigger: string;
  readonly now: Date;
}

/**
 * Holds are not recorded (an alarm stuck in ALARM would otherwise rewrite status every tick); a deferral
 * is recorded when it differs from the newest record, so "waiting for the cooldown" shows once.
 */
export function shouldRecordDecision(scaling: ScalingStatus | undefined, decision: ScalingDecision): boolean {
  if (decision.outcome === 'scale') return true;
  if (decision.outcome === 'hold') return false;
  const newest = scaling?.recentDecisions?.[0];
  return !(
    newest &&
    newest.outcome === 'defer' &&
    newest.code === decision.code &&
    newest.to === decision.desired
  );
}

export function recordScalingDecision(
  scaling: ScalingStatus | undefined,
  decision: ScalingDecision,
  context: DecisionContext,
): ScalingStatus {
  const record: ScalingDecisionRecord = {
    time: context.now.toISOString(),
    trigger: context.trigger,
    outcome: decision.outcome,
    code: decision.code,
    reason: decision.reason,
    from: context.from,
    to: decision.outcome === 'scale' ? decision.desired : context.from,
  };
  const recentDecisions = [record, ...(scaling?.recentDecisions ?? [])].slice(0, recentDecisionsKept);
  if (decision.outcome !== 'scale') return { ...scaling, recentDecisions };
  return {
    ...scaling,
    desiredWorkers: decision.desired,
    lastScaleTime: context.now.toISOString(),
    lastScaleDirection: decision.desired > context.from ? 'out' : 'in',
    lastScaleReason: decision.reason,
    recentDecisions,
  };
}

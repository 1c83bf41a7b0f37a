/**
 * The scaling policy: a pure function from the pool's bounds, its current and running workers, the
 * triggering signal and the time since the last scale to a new desired count and the reason for it.
 * Like target tracking, it steps in proportion to the signal rather than one worker per alarm.
 *
 * Rules, in order:
 * 1. A paused pool runs no workers; a fixed pool is never scaled (its count is the spec's).
 * 2. The proposal: backlog → ceil(backlog / backlogPerWorker); CPU → ceil(current × cpu / cpuTarget).
 * 3. Scale-out waits out its cooldown after the previous scale-out, except from zero: a pool at zero
 *    starts workers as soon as backlog appears (the backlog comes from Prefect, not from a worker).
 * 4. Scale-in waits for the stabilization window since the last scale in either direction, waits while
 *    any scale-out signal is still firing, never goes below what the backlog needs, and — for
 *    process-type pools, whose flow runs execute inside the workers — waits while any flow run is
 *    running (ECS chooses which task stops, so no running flow run could be protected otherwise).
 * 5. The result stays within [minWorkers, maxWorkers].
 */
import type { ResolvedPoolSpec } from '../api/poolDefaults.js';

export type ScaleDirection = 'out' | 'in';
export type ScaleSignal = 'backlog' | 'cpu';

export interface ScalingTrigger {
  readonly signal: ScaleSignal;
  readonly direction: ScaleDirection;
  /**
   * The alarm's datapoint: backlog per worker for backlog alarms (backlog ÷ max(workers, 1)), average
   * CPU percent for CPU alarms. Undefined when the event carried none.
   */
  readonly datapoint?: number;
}

export interface ScalingInputs {
  readonly spec: Pick<ResolvedPoolSpec, 'scaling' | 'workPool'>;
  /** The service's desired count now. */
  readonly current: number;
  readonly running: number;
  readonly trigger: ScalingTrigger;
  /** The latest backlog observed from Prefect; undefined when unknown. */
  readonly backlog?: number;
  /** Running flow runs in the pool; undefined when Prefect could not say (treated as "maybe some"). */
  readonly runningFlowRuns?: number;
  /** Another scale-out alarm of the pool is in ALARM right now. */
  readonly scaleOutSignalActive: boolean;
  readonly lastScaleTime?: Date;
  readonly lastScaleDirection?: ScaleDirection;
  readonly now: Date;
}

export type ScalingOutcome = 'scale' | 'hold' | 'defer';

export interface ScalingDecision {
  readonly desired: number;
  /** scale: change to `desired`; hold: nothing to do; defer: a change is due but must wait. */
  readonly outcome: ScalingOutcome;
  /** PascalCase code, e.g. BacklogAboveTarget, CooldownActive. */
  readonly code: string;
  /** For people: what was seen and why this count. */
  readonly reason: string;
  /** When a deferred decision may be made; undefined when nothing is waiting on time. */
  readonly retryAt?: Date;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function backlogNeed(backlog: number, perWorker: number): number {
  return Math.ceil(backlog / perWorker);
}

function hold(current: number, code: string, reason: string): ScalingDecision {
  return { desired: current, outcome: 'hold', code, reason };
}

export function decideScaling(inputs: ScalingInputs): ScalingDecision {
  const { spec, current, trigger, now } = inputs;
  const { scaling, workPool } = spec;

  if (workPool.paused) {
    return current === 0
      ? hold(0, 'Paused', 'the work pool is paused: it stays at zero workers')
      : { desired: 0, outcome: 'scale', code: 'Paused', reason: 'the work pool is paused: scaling to zero' };
  }
  if (scaling.mode === 'fixed') {
    return hold(current, 'FixedMode', `scaling mode is fixed at ${scaling.workers ?? 0} workers`);
  }

  // The backlog a backlog alarm's datapoint stands for (it is per worker, with zero counting as one).
  const backlog =
    trigger.signal === 'backlog' && trigger.datapoint !== undefined
      ? Math.round(trigger.datapoint * Math.max(current, 1))
      : inputs.backlog;

  let proposal: number;
  let seen: string;
  if (trigger.signal === 'backlog') {
    if (backlog === undefined)
      return hold(current, 'BacklogUnknown', 'no backlog datapoint and no backlog observed from Prefect');
    proposal = backlogNeed(backlog, scaling.backlogPerWorker);
    seen = `backlog ${backlog} at ${scaling.backlogPerWorker} per worker`;
  } else {
    if (trigger.datapoint === undefined)
      return hold(current, 'NoDatapoint', 'the CPU alarm carried no datapoint');
    proposal = Math.ceil((current * trigger.datapoint) / scaling.cpuTargetPercent);
    seen = `CPU ${trigger.datapoint.toFixed(1)}% against a target of ${scaling.cpuTargetPercent}%`;
    // CPU alone never scales below what the backlog needs.
    if (inputs.backlog !== undefined)
      proposal = Math.max(proposal, backlogNeed(inputs.backlog, scaling.backlogPerWorker));
  }
  const target = clamp(proposal, scaling.minWorkers, scaling.maxWorkers);
  const bounded = target !== proposal ? ` (bounded to [${scaling.minWorkers}, ${scaling.maxWorkers}])` : '';
  const sinceLastScaleMs = inputs.lastScaleTime
    ? now.getTime() - inputs.lastScaleTime.getTime()
    : Number.POSITIVE_INFINITY;

  if (trigger.direction === 'out') {
    if (target <= current)
      return hold(current, 'AtTarget', `${seen}: ${current} workers are enough${bounded}`);
    const cooldownMs = scaling.scaleOutCooldownSeconds * 1000;
    const fromZero = current === 0;
    if (!fromZero && inputs.lastScaleDirection === 'out' && sinceLastScaleMs < cooldownMs) {
      return {
        desired: current,
        outcome: 'defer',
        code: 'CooldownActive',
        reason: `${seen} wants ${target} workers; scale-out cooldown of ${scaling.scaleOutCooldownSeconds}s still running`,
        retryAt: new Date(inputs.lastScaleTime!.getTime() + cooldownMs),
      };
    }
    return {
      desired: target,
      outcome: 'scale',
      code: fromZero
        ? 'ScaleFromZero'
        : trigger.signal === 'backlog'
          ? 'BacklogAboveTarget'
          : 'CpuAboveTarget',
      reason: `${seen}: ${current} → ${target} workers${bounded}`,
    };
  }

  if (target >= current) return hold(current, 'AtTarget', `${seen}: keeping ${current} workers${bounded}`);
  const stabilizationMs = scaling.scaleInCooldownSeconds * 1000;
  if (sinceLastScaleMs < stabilizationMs) {
    return {
      desired: current,
      outcome: 'defer',
      code: 'StabilizationWindow',
      reason: `${seen} allows ${target} workers; waiting out the ${scaling.scaleInCooldownSeconds}s stabilization window`,
      retryAt: new Date(inputs.lastScaleTime!.getTime() + stabilizationMs),
    };
  }
  if (inputs.scaleOutSignalActive) {
    return {
      desired: current,
      outcome: 'defer',
      code: 'ScaleOutSignalActive',
      reason: `${seen} allows ${target} workers, but another scale-out alarm is firing`,
    };
  }
  if (workPool.type === 'process' && (inputs.runningFlowRuns === undefined || inputs.runningFlowRuns > 0)) {
    const running =
      inputs.runningFlowRuns === undefined ? 'an unknown number of' : String(inputs.runningFlowRuns);
    return {
      desired: current,
      outcome: 'defer',
      code: 'FlowRunsRunning',
      reason: `${seen} allows ${target} workers, but ${running} flow runs are running inside the workers; scale-in waits until none are`,
    };
  }
  return {
    desired: target,
    outcome: 'scale',
    code:
      target === 0 ? 'ScaleToZero' : trigger.signal === 'backlog' ? 'BacklogBelowTarget' : 'CpuBelowTarget',
    reason: `${seen}: ${current} → ${target} workers${bounded}`,
  };
}

/**
 * A person's request for a worker count (poolctl scale): honoured within [minWorkers, maxWorkers] of an
 * auto pool, refused otherwise. The scaler may move the count again later, after its cooldowns, as the
 * backlog and CPU say; the request is recorded as what it was.
 */
export function decideManualScale(
  spec: Pick<ResolvedPoolSpec, 'scaling' | 'workPool'>,
  current: number,
  requested: number,
  requestedBy: string,
): ScalingDecision {
  const { scaling, workPool } = spec;
  const who = `manual request by ${requestedBy}`;
  if (workPool.paused)
    return hold(current, 'Paused', `${who} for ${requested} workers refused: the work pool is paused`);
  if (scaling.mode === 'fixed') {
    return hold(
      current,
      'FixedMode',
      `${who} refused: the pool is fixed at ${scaling.workers ?? 0} workers; change spec.scaling.workers`,
    );
  }
  if (!Number.isInteger(requested) || requested < scaling.minWorkers || requested > scaling.maxWorkers) {
    return hold(
      current,
      'OutOfBounds',
      `${who} for ${requested} workers refused: outside [${scaling.minWorkers}, ${scaling.maxWorkers}]`,
    );
  }
  if (requested === current) return hold(current, 'AtTarget', `${who}: already at ${current} workers`);
  return {
    desired: requested,
    outcome: 'scale',
    code: 'ManualScale',
    reason: `${who}: ${current} → ${requested} workers`,
  };
}

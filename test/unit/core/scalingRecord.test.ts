/**
 * How scaling decisions are remembered in status: the scaler's count and last scale only on a scale, a
 * short newest-first history, and no churn from holds or repeated deferrals.
 */
import { describe, expect, it } from 'vitest';
import type {
  ScalingDecisionRecord,
  ScalingStatus,
} from '../../../controller/api/generated/prefectWorkerPoolStatus.js';
import type { ScalingDecision } from '../../../controller/core/scalingPolicy.js';
import {
  recentDecisionsKept,
  recordScalingDecision,
  shouldRecordDecision,
  type DecisionContext,
} from '../../../controller/core/scalingRecord.js';
import { minutesAfter, t0 } from './poolFixtures.js';

const scaleOut: ScalingDecision = {
  desired: 4,
  outcome: 'scale',
  code: 'BacklogAboveTarget',
  reason: 'backlog 20 at 5 per worker: 2 → 4 workers',
};
const scaleIn: ScalingDecision = {
  desired: 1,
  outcome: 'scale',
  code: 'BacklogBelowTarget',
  reason: 'backlog 0 at 5 per worker: 3 → 1 workers',
};
const cooldown: ScalingDecision = {
  desired: 2,
  outcome: 'defer',
  code: 'CooldownActive',
  reason: 'backlog 20 at 5 per worker wants 4 workers; scale-out cooldown of 60s still running',
  retryAt: minutesAfter(t0, 1),
};
const atTarget: ScalingDecision = {
  desired: 2,
  outcome: 'hold',
  code: 'AtTarget',
  reason: 'backlog 10 at 5 per worker: 2 workers are enough',
};

function context(overrides: Partial<DecisionContext> = {}): DecisionContext {
  return { from: 2, direction: 'out', trigger: 'backlog-scale-out', now: t0, ...overrides };
}

function record(overrides: Partial<ScalingDecisionRecord> = {}): ScalingDecisionRecord {
  return {
    time: minutesAfter(t0, -5).toISOString(),
    trigger: 'backlog-scale-out',
    outcome: 'defer',
    code: 'CooldownActive',
    reason: 'waiting',
    from: 2,
    to: 2,
    ...overrides,
  };
}

const previousScale: ScalingStatus = {
  desiredWorkers: 2,
  lastScaleTime: minutesAfter(t0, -10).toISOString(),
  lastScaleDirection: 'out',
  lastScaleReason: 'earlier',
  recentDecisions: [record({ outcome: 'scale', code: 'BacklogAboveTarget', from: 1, to: 2 })],
};

describe('recordScalingDecision', () => {
  it('sets the scaler count, time, direction and reason on a scale-out', () => {
    // act
    const scaling = recordScalingDecision(previousScale, scaleOut, context());
    // assess
    expect(scaling).toMatchObject({
      desiredWorkers: 4,
      lastScaleTime: t0.toISOString(),
      lastScaleDirection: 'out',
      lastScaleReason: scaleOut.reason,
    });
  });

  it('records a scale-in as direction in, from the counts rather than the trigger', () => {
    // prepare: a paused pool scales in even when a scale-out alarm asked
    const paused: ScalingDecision = { desired: 0, outcome: 'scale', code: 'Paused', reason: 'paused' };
    // act
    const fromIn = recordScalingDecision(previousScale, scaleIn, context({ from: 3, direction: 'in' }));
    const fromOutTrigger = recordScalingDecision(previousScale, paused, context({ from: 3 }));
    // assess
    expect(fromIn).toMatchObject({ desiredWorkers: 1, lastScaleDirection: 'in' });
    expect(fromOutTrigger).toMatchObject({ desiredWorkers: 0, lastScaleDirection: 'in' });
  });

  it('records the decision first with its from, to, trigger, code, reason and time', () => {
    // act
    const scaling = recordScalingDecision(previousScale, scaleOut, context());
    // assess
    expect(scaling.recentDecisions?.[0]).toEqual({
      time: t0.toISOString(),
      trigger: 'backlog-scale-out',
      outcome: 'scale',
      code: 'BacklogAboveTarget',
      reason: scaleOut.reason,
      from: 2,
      to: 4,
    });
    expect(scaling.recentDecisions?.slice(1)).toEqual(previousScale.recentDecisions);
  });

  it('keeps the scaler count and last scale on a deferral, recording to = from', () => {
    // act
    const scaling = recordScalingDecision(previousScale, cooldown, context());
    // assess
    expect(scaling).toMatchObject({
      desiredWorkers: 2,
      lastScaleTime: previousScale.lastScaleTime,
      lastScaleDirection: 'out',
      lastScaleReason: 'earlier',
    });
    expect(scaling.recentDecisions?.[0]).toMatchObject({
      outcome: 'defer',
      code: 'CooldownActive',
      from: 2,
      to: 2,
    });
  });

  it('sets no scaler count when the first decision ever is a deferral', () => {
    // act
    const scaling = recordScalingDecision(undefined, cooldown, context());
    // assess
    expect(scaling.desiredWorkers).toBeUndefined();
    expect(scaling.lastScaleTime).toBeUndefined();
    expect(scaling.lastScaleDirection).toBeUndefined();
    expect(scaling.recentDecisions).toHaveLength(1);
  });

  it('starts a history for a pool that never scaled', () => {
    // act
    const scaling = recordScalingDecision(undefined, scaleOut, context());
    // assess
    expect(scaling).toEqual({
      desiredWorkers: 4,
      lastScaleTime: t0.toISOString(),
      lastScaleDirection: 'out',
      lastScaleReason: scaleOut.reason,
      recentDecisions: [expect.objectContaining({ from: 2, to: 4 })],
    });
  });

  it(`keeps only the ${recentDecisionsKept} newest decisions, newest first`, () => {
    // prepare: 10 records, newest (minute 10) first
    const history = Array.from({ length: recentDecisionsKept }, (_, index) =>
      record({ time: minutesAfter(t0, -(index + 1)).toISOString(), reason: `decision ${10 - index}` }),
    );
    // act
    const scaling = recordScalingDecision({ recentDecisions: history }, scaleOut, context());
    // assess
    expect(recentDecisionsKept).toBe(10);
    expect(scaling.recentDecisions?.map((r) => r.reason)).toEqual([
      scaleOut.reason,
      ...Array.from({ length: 9 }, (_, index) => `decision ${10 - index}`),
    ]);
  });

  it('does not change the status it was given', () => {
    // prepare
    const before = structuredClone(previousScale);
    // act
    recordScalingDecision(previousScale, scaleOut, context());
    // assess
    expect(previousScale).toEqual(before);
  });
});

describe('shouldRecordDecision', () => {
  it.each([
    ['no history', undefined],
    ['an empty history', { recentDecisions: [] }],
    [
      'the same scale already newest',
      { recentDecisions: [record({ outcome: 'scale', code: 'BacklogAboveTarget', to: 4 })] },
    ],
  ])('always records a scale, after %s', (_name, scaling: ScalingStatus | undefined) => {
    // act / assess
    expect(shouldRecordDecision(scaling, scaleOut)).toBe(true);
  });

  it.each([
    ['no history', undefined],
    ['a deferral newest', { recentDecisions: [record()] }],
    ['a scale newest', previousScale],
  ])('never records a hold, after %s', (_name, scaling: ScalingStatus | undefined) => {
    // act / assess
    expect(shouldRecordDecision(scaling, atTarget)).toBe(false);
  });

  it.each<[string, ScalingStatus | undefined, boolean]>([
    ['no history', undefined, true],
    ['an empty history', { recentDecisions: [] }, true],
    ['the same deferral newest', { recentDecisions: [record()] }, false],
    [
      'the same deferral newest, with older different ones behind it',
      { recentDecisions: [record(), record({ code: 'StabilizationWindow' })] },
      false,
    ],
    [
      'a deferral with another code newest',
      { recentDecisions: [record({ code: 'StabilizationWindow' })] },
      true,
    ],
    ['a deferral at another count newest', { recentDecisions: [record({ from: 3, to: 3 })] }, true],
    [
      'a scale newest with the same code and count',
      { recentDecisions: [record({ outcome: 'scale', code: 'CooldownActive', to: 2 })] },
      true,
    ],
    [
      'the same deferral behind a newer, different one',
      { recentDecisions: [record({ code: 'FlowRunsRunning' }), record()] },
      true,
    ],
  ])('records a deferral after %s: %s', (_name, scaling, expected) => {
    // act / assess
    expect(shouldRecordDecision(scaling, cooldown)).toBe(expected);
  });

  it('shows a repeated deferral once when recorded through recordScalingDecision', () => {
    // prepare
    let scaling: ScalingStatus | undefined = previousScale;
    // act: the same cooldown deferral on three ticks
    for (const minute of [0, 1, 2]) {
      if (shouldRecordDecision(scaling, cooldown))
        scaling = recordScalingDecision(scaling, cooldown, context({ now: minutesAfter(t0, minute) }));
    }
    // assess
    expect(scaling?.recentDecisions?.map((r) => r.code)).toEqual(['CooldownActive', 'BacklogAboveTarget']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  assessApply,
  assessDeletion,
  assessScale,
  observesApply,
  settledOnMotoNote,
  type ApplyWaitTarget,
} from '../../../controller/cli/poolProgress.js';
import { condition, invalidStatus, readyStatus, startingStatus } from './statusFixtures.js';

const target: ApplyWaitTarget = { name: 'analytics', specHash: 'hash-2', generation: 2, onMoto: false };

describe('assessApply', () => {
  it('waits while there is no status yet', () => {
    expect(assessApply(undefined, target)).toEqual({
      done: false,
      summary: 'Pending (waiting for the controller)',
    });
  });

  it('waits while the status describes an older spec, even a Ready one', () => {
    const verdict = assessApply(readyStatus({ observedGeneration: 1, observedSpecHash: 'hash-1' }), target);

    expect(verdict.done).toBe(false);
    expect(verdict.summary).toContain('has not acted on this apply yet');
  });

  it('accepts a status that observed the applied spec by its hash or by its generation', () => {
    expect(observesApply(readyStatus({ observedSpecHash: 'hash-2', observedGeneration: 1 }), target)).toBe(
      true,
    );
    expect(observesApply(readyStatus({ observedSpecHash: 'other', observedGeneration: 2 }), target)).toBe(
      true,
    );
    expect(
      observesApply(readyStatus({ observedSpecHash: 'other', observedGeneration: 5 }), {
        ...target,
        generation: undefined,
      }),
    ).toBe(false);
  });

  it('succeeds on Ready', () => {
    expect(assessApply(readyStatus({ observedGeneration: 2 }), target)).toEqual({
      done: true,
      ok: true,
      summary: 'Ready (workers 0/0) ScaledToZero',
    });
  });

  it('fails on Invalid with every validation error and its path', () => {
    const verdict = assessApply({ ...invalidStatus(), observedGeneration: 2 }, target);

    expect(verdict).toMatchObject({
      done: true,
      ok: false,
      details: ['spec.worker.cpu: expected one of 256, 512'],
    });
  });

  it('fails on Degraded with the last error', () => {
    const status = readyStatus({
      phase: 'Degraded',
      observedGeneration: 2,
      lastError: {
        code: 'AccessDenied',
        message: 'not allowed to CreateService',
        time: '2025-01-01T12:00:00Z',
      },
    });

    const verdict = assessApply(status, target);

    expect(verdict).toMatchObject({
      done: true,
      ok: false,
      details: ['Degraded (workers 0/0) AccessDenied: not allowed to CreateService'],
    });
  });

  it('treats a pool waiting only for its workers as settled on moto, and only there', () => {
    const status = startingStatus({ observedGeneration: 2 });

    expect(assessApply(status, { ...target, onMoto: true })).toEqual({
      done: true,
      ok: true,
      summary: 'Provisioning (workers 0/1) WorkersStarting',
      note: settledOnMotoNote,
    });
    expect(assessApply(status, target).done).toBe(false);
  });

  it('keeps waiting on moto while a resource is still missing', () => {
    const status = startingStatus({ observedGeneration: 2, resources: { serviceArn: 'arn:s' } });

    expect(assessApply(status, { ...target, onMoto: true }).done).toBe(false);
  });

  it('keeps waiting on moto while provisioning has not succeeded', () => {
    const status = startingStatus({
      observedGeneration: 2,
      conditions: [
        condition('Provisioned', 'False', 'Throttling'),
        condition('Ready', 'False', 'WorkersStarting'),
      ],
    });

    expect(assessApply(status, { ...target, onMoto: true }).done).toBe(false);
  });
});

describe('assessDeletion', () => {
  it('is done when the status item is gone', () => {
    expect(assessDeletion(undefined)).toEqual({ done: true, ok: true, summary: 'deleted' });
    expect(assessDeletion(readyStatus({ phase: 'Deleting' })).done).toBe(false);
  });
});

describe('assessScale', () => {
  const requestedAt = '2025-01-01T12:00:10.000Z';
  const earlier = {
    time: '2025-01-01T11:00:00.000Z',
    trigger: 'backlog-scale-out',
    outcome: 'scale' as const,
    code: 'BacklogHigh',
    reason: 'backlog 10',
    from: 0,
    to: 2,
  };

  it('waits until a manual decision newer than the request is recorded', () => {
    const status = readyStatus({ scaling: { recentDecisions: [earlier] } });

    expect(assessScale(status, { workers: 3, requestedAt, baseline: earlier }).done).toBe(false);
  });

  it('reports the manual decision once recorded', () => {
    const manual = {
      time: '2025-01-01T12:00:11.000Z',
      trigger: 'manual',
      outcome: 'scale' as const,
      code: 'ManualScale',
      reason: 'requested by ana@host',
      from: 2,
      to: 3,
    };
    const status = readyStatus({ scaling: { recentDecisions: [manual, earlier] } });

    expect(assessScale(status, { workers: 3, requestedAt, baseline: earlier })).toEqual({
      done: true,
      ok: true,
      summary: 'scale 2→3 (ManualScale: requested by ana@host)',
    });
  });

  it('does not take the previous manual decision for the answer', () => {
    const previousManual = { ...earlier, trigger: 'manual', time: '2025-01-01T12:00:09.000Z' };
    const status = readyStatus({ scaling: { recentDecisions: [previousManual] } });

    expect(assessScale(status, { workers: 3, requestedAt, baseline: previousManual }).done).toBe(false);
  });

  it('fails when the controller deferred the manual scale', () => {
    const deferred = {
      ...earlier,
      trigger: 'manual',
      outcome: 'defer' as const,
      time: '2025-01-01T12:00:12.000Z',
      reason: 'flow runs running',
    };
    const status = readyStatus({ scaling: { recentDecisions: [deferred] } });

    expect(assessScale(status, { workers: 1, requestedAt })).toMatchObject({ done: true, ok: false });
  });
});

describe('assessScale: what counts as honoured', () => {
  const requestedAt = '2025-01-01T12:00:10.000Z';
  const manual = (outcome: 'scale' | 'hold' | 'defer', code: string, from: number, to: number) => ({
    time: '2025-01-01T12:00:11.000Z',
    trigger: 'manual',
    outcome,
    code,
    reason: `manual request by ana@host (${code})`,
    from,
    to,
  });

  it('accepts a hold at the requested count (the pool was already there)', () => {
    const status = readyStatus({ scaling: { recentDecisions: [manual('hold', 'AtTarget', 3, 3)] } });

    expect(assessScale(status, { workers: 3, requestedAt })).toMatchObject({ done: true, ok: true });
  });

  it('fails on a hold that refused the request', () => {
    const status = readyStatus({ scaling: { recentDecisions: [manual('hold', 'OutOfBounds', 1, 1)] } });

    expect(assessScale(status, { workers: 30, requestedAt })).toEqual({
      done: true,
      ok: false,
      summary: 'hold 1→1 (OutOfBounds: manual request by ana@host (OutOfBounds))',
      details: ['the controller did not scale to 30: manual request by ana@host (OutOfBounds)'],
    });
  });
});

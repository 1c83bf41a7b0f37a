/**
 * Status and conditions: what the status item says after a reconcile, and when it is worth writing.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import statusSchema from '../../../schemas/prefect-worker-pool-status.v1.json' with { type: 'json' };
import type { LiveService } from '../../../controller/core/observedState.js';
import {
  deletingStatus,
  findCondition,
  invalidStatus,
  maxIssueTextLength,
  maxStoredIssues,
  observedGeneration,
  reconciledStatus,
  setCondition,
  shouldWriteStatus,
  statusHeartbeatMs,
  type Condition,
  type PrefectWorkerPoolStatus,
  type ReconciledInputs,
} from '../../../controller/core/poolStatus.js';
import { liveService, minutesAfter, serviceArn, t0, taskDefinitionArn } from './poolFixtures.js';

const specHash = 'aaaaaaaaaaaaaaaa';
const resources = {
  serviceArn,
  serviceName: 'dev-analytics',
  taskDefinitionArn: taskDefinitionArn(1),
  taskDefinitionHash: '1111111111111111',
  securityGroupId: 'sg-0123456789abcdef0',
};
const issues = [
  { path: 'spec.worker.memory', message: '3000 MiB is not a valid Fargate size for cpu 512' },
  { path: 'spec.worker.env.DB_PASSWORD', message: 'looks like a secret' },
  { path: 'spec.tags["aws:x"]', message: 'uses a reserved prefix' },
];

function reconciled(overrides: Partial<ReconciledInputs> = {}): PrefectWorkerPoolStatus {
  return reconciledStatus({
    now: t0,
    specHash,
    service: liveService(),
    resources,
    desiredWorkers: 2,
    paused: false,
    actions: [],
    ...overrides,
  });
}

function service(overrides: Partial<LiveService>): LiveService {
  return liveService(overrides);
}

const readyCondition = (status: PrefectWorkerPoolStatus) => findCondition(status, 'Ready');

describe('setCondition', () => {
  const valid: Condition = {
    type: 'Valid',
    status: 'True',
    reason: 'SpecValid',
    message: 'the spec is valid',
    lastTransitionTime: t0.toISOString(),
  };
  const ready: Condition = {
    type: 'Ready',
    status: 'False',
    reason: 'WorkersStarting',
    message: '0 of 2 workers running',
    lastTransitionTime: t0.toISOString(),
  };

  it('keeps lastTransitionTime while the status stays the same, but takes the new reason and message', () => {
    // act
    const next = setCondition(
      [valid, ready],
      { type: 'Ready', status: 'False', reason: 'RollingOut', message: '1 of 2 workers running' },
      minutesAfter(t0, 5),
    );
    // assess
    expect(next).toEqual([
      valid,
      {
        ...ready,
        reason: 'RollingOut',
        message: '1 of 2 workers running',
        lastTransitionTime: t0.toISOString(),
      },
    ]);
  });

  it('moves lastTransitionTime when the status changes', () => {
    // prepare
    const later = minutesAfter(t0, 5);
    // act
    const next = setCondition(
      [valid, ready],
      { type: 'Ready', status: 'True', reason: 'WorkersRunning', message: '2 of 2 workers running' },
      later,
    );
    // assess
    expect(next[1]).toEqual({
      type: 'Ready',
      status: 'True',
      reason: 'WorkersRunning',
      message: '2 of 2 workers running',
      lastTransitionTime: later.toISOString(),
    });
    expect(next[0]).toBe(valid);
  });

  it('appends a condition of a new type and leaves the input untouched', () => {
    // prepare
    const input = [valid];
    // act
    const next = setCondition(
      input,
      { type: 'Provisioned', status: 'True', reason: 'ResourcesInSync', message: 'ok' },
      t0,
    );
    // assess
    expect(next.map((c) => c.type)).toEqual(['Valid', 'Provisioned']);
    expect(input).toEqual([valid]);
  });
});

describe('invalidStatus', () => {
  it('reports phase Invalid with every validation error and a Valid=False summary', () => {
    // act
    const status = invalidStatus({ now: t0, specHash, issues });
    // assess
    expect(status.phase).toBe('Invalid');
    expect(status.validationErrors).toEqual(issues);
    expect(findCondition(status, 'Valid')).toEqual({
      type: 'Valid',
      status: 'False',
      reason: 'SpecInvalid',
      message: 'spec.worker.memory: 3000 MiB is not a valid Fargate size for cpu 512 (and 2 more)',
      lastTransitionTime: t0.toISOString(),
    });
    expect(status.lastError).toBeNull();
  });

  it('summarizes a single problem without a count', () => {
    // act
    const status = invalidStatus({ now: t0, specHash, issues: issues.slice(0, 1) });
    // assess
    expect(findCondition(status, 'Valid')?.message).toBe(
      'spec.worker.memory: 3000 MiB is not a valid Fargate size for cpu 512',
    );
  });

  it('keeps a report of thousands of problems, or of huge field names, small enough to store', () => {
    // prepare: a hostile spec's report (a 60 KB field name repeated, emoji at the cut)
    const huge = `spec.tags["${'😀'.repeat(30_000)}"]`;
    const many = Array.from({ length: 3_000 }, (_, i) => ({
      path: `${huge}[${i}]`,
      message: 'x'.repeat(2_000),
    }));
    // act
    const status = invalidStatus({ now: t0, specHash, issues: many });
    // assess
    expect(status.validationErrors).toHaveLength(maxStoredIssues);
    for (const issue of status.validationErrors ?? []) {
      expect(issue.path.length).toBeLessThanOrEqual(maxIssueTextLength);
      expect(issue.path.startsWith('spec.tags["😀')).toBe(true);
      expect(issue.path.endsWith('…')).toBe(true);
      // No half of a surrogate pair is left at the cut.
      expect(issue.path).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
    expect(findCondition(status, 'Valid')?.message).toMatch(/\(and 2999 more; the first 50 are listed\)$/);
    expect(JSON.stringify(status).length).toBeLessThan(100_000);
  });

  it('keeps the workers and resources of the earlier valid spec, which keep running', () => {
    // prepare
    const previous = reconciled();
    // act
    const status = invalidStatus({
      previous,
      now: minutesAfter(t0, 1),
      specHash: 'bbbbbbbbbbbbbbbb',
      issues,
    });
    // assess
    expect(status.resources).toEqual(previous.resources);
    expect(status.workers).toEqual(previous.workers);
    expect(findCondition(status, 'Ready')).toEqual(findCondition(previous, 'Ready'));
  });
});

describe('reconciledStatus', () => {
  describe('phase Ready', () => {
    it('when every desired worker runs (WorkersRunning)', () => {
      // act
      const status = reconciled();
      // assess
      expect(status.phase).toBe('Ready');
      expect(readyCondition(status)).toMatchObject({ status: 'True', reason: 'WorkersRunning' });
      expect(status.workers).toEqual({ desired: 2, running: 2, pending: 0 });
      expect(findCondition(status, 'Valid')).toMatchObject({ status: 'True', reason: 'SpecValid' });
      expect(findCondition(status, 'Provisioned')).toMatchObject({
        status: 'True',
        reason: 'ResourcesInSync',
      });
      expect(status.resources).toEqual(resources);
      expect(status.lastError).toBeNull();
    });

    it('when an unpaused pool is scaled to zero (ScaledToZero)', () => {
      // act
      const status = reconciled({
        service: service({ desiredCount: 0, runningCount: 0 }),
        desiredWorkers: 0,
      });
      // assess
      expect(status.phase).toBe('Ready');
      expect(readyCondition(status)).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
    });

    it('when a paused pool runs no workers (Paused)', () => {
      // act
      const status = reconciled({
        service: service({ desiredCount: 0, runningCount: 0 }),
        desiredWorkers: 0,
        paused: true,
      });
      // assess
      expect(status.phase).toBe('Ready');
      expect(readyCondition(status)).toMatchObject({ status: 'True', reason: 'Paused' });
    });
  });

  describe('phase Provisioning', () => {
    it('for a new pool whose workers are starting (WorkersStarting)', () => {
      // act
      const status = reconciled({ service: service({ runningCount: 0, pendingCount: 2 }) });
      // assess
      expect(status.phase).toBe('Provisioning');
      expect(readyCondition(status)).toMatchObject({
        status: 'False',
        reason: 'WorkersStarting',
        message: '0 of 2 workers running',
      });
      expect(status.workers).toEqual({ desired: 2, running: 0, pending: 2 });
    });

    it('while the service does not exist yet (ServiceMissing), counting the workers wanted', () => {
      // act
      const status = reconciled({ service: undefined, desiredWorkers: 3 });
      // assess
      expect(status.phase).toBe('Provisioning');
      expect(readyCondition(status)).toMatchObject({ status: 'False', reason: 'ServiceMissing' });
      expect(status.workers).toEqual({ desired: 3, running: 0, pending: 0 });
    });

    it('while a second deployment rolls out, even for a pool that was Ready (RollingOut)', () => {
      // prepare
      const previous = reconciled();
      const rolling = service({
        taskDefinitionArn: taskDefinitionArn(2),
        deployments: [
          { status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinitionArn: taskDefinitionArn(2) },
          { status: 'ACTIVE', rolloutState: 'COMPLETED', taskDefinitionArn: taskDefinitionArn(1) },
        ],
      });
      // act
      const status = reconciled({ previous, now: minutesAfter(t0, 1), service: rolling });
      // assess
      expect(status.phase).toBe('Provisioning');
      expect(readyCondition(status)).toMatchObject({ status: 'False', reason: 'RollingOut' });
      expect(readyCondition(status)?.message).toContain('rolling out');
    });
  });

  describe('phase Scaling', () => {
    it('when a Ready pool scales out and the new workers are starting', () => {
      // prepare
      const previous = reconciled();
      // act
      const status = reconciled({
        previous,
        now: minutesAfter(t0, 1),
        service: service({ desiredCount: 4, runningCount: 2, pendingCount: 2 }),
        desiredWorkers: 4,
      });
      // assess
      expect(status.phase).toBe('Scaling');
      expect(readyCondition(status)).toMatchObject({ status: 'False', reason: 'WorkersStarting' });
      expect(status.workers).toEqual({ desired: 4, running: 2, pending: 2 });
    });

    it('when a Ready pool scales in and workers are still stopping', () => {
      // prepare
      const previous = reconciled({ service: service({ desiredCount: 4, runningCount: 4 }) });
      // act
      const status = reconciled({
        previous,
        now: minutesAfter(t0, 1),
        service: service({ desiredCount: 1, runningCount: 4 }),
        desiredWorkers: 1,
      });
      // assess
      expect(status.phase).toBe('Scaling');
      expect(readyCondition(status)).toMatchObject({ status: 'False', reason: 'WorkersStopping' });
    });

    it('when a paused pool still has workers stopping', () => {
      // prepare
      const previous = reconciled();
      // act
      const status = reconciled({
        previous,
        now: minutesAfter(t0, 1),
        service: service({ desiredCount: 0, runningCount: 2 }),
        desiredWorkers: 0,
        paused: true,
      });
      // assess
      expect(status.phase).toBe('Scaling');
      expect(readyCondition(status)?.reason).not.toBe('Paused');
    });

    it('is left for Ready once the counts match again', () => {
      // prepare
      const scaling = reconciled({
        previous: reconciled(),
        service: service({ desiredCount: 4, runningCount: 2 }),
      });
      // act
      const status = reconciled({
        previous: scaling,
        now: minutesAfter(t0, 2),
        service: service({ desiredCount: 4, runningCount: 4 }),
      });
      // assess
      expect(scaling.phase).toBe('Scaling');
      expect(status.phase).toBe('Ready');
    });
  });

  describe('phase Degraded', () => {
    it('when the circuit breaker failed the PRIMARY deployment (RolloutFailed)', () => {
      // prepare
      const failed = service({
        deployments: [{ status: 'PRIMARY', rolloutState: 'FAILED', taskDefinitionArn: taskDefinitionArn(2) }],
      });
      // act
      const status = reconciled({ previous: reconciled(), now: minutesAfter(t0, 1), service: failed });
      // assess
      expect(status.phase).toBe('Degraded');
      expect(readyCondition(status)).toMatchObject({ status: 'False', reason: 'RolloutFailed' });
    });

    it('when a step failed, with lastError and Provisioned=False carrying the error code', () => {
      // prepare
      const error = { code: 'Throttling', message: 'Rate exceeded' };
      const now = minutesAfter(t0, 1);
      // act
      const status = reconciled({ previous: reconciled(), now, error });
      // assess
      expect(status.phase).toBe('Degraded');
      expect(status.lastError).toEqual({
        code: 'Throttling',
        message: 'Rate exceeded',
        time: now.toISOString(),
      });
      expect(findCondition(status, 'Provisioned')).toEqual({
        type: 'Provisioned',
        status: 'False',
        reason: 'Throttling',
        message: 'Rate exceeded',
        lastTransitionTime: now.toISOString(),
      });
    });

    it('clears lastError once a reconcile succeeds again', () => {
      // prepare
      const degraded = reconciled({ error: { code: 'Throttling', message: 'Rate exceeded' } });
      // act
      const status = reconciled({ previous: degraded, now: minutesAfter(t0, 1) });
      // assess
      expect(status.phase).toBe('Ready');
      expect(status.lastError).toBeNull();
      expect(findCondition(status, 'Provisioned')).toMatchObject({
        status: 'True',
        reason: 'ResourcesInSync',
      });
    });
  });

  it('keeps the scaler and backlog sections of the previous status', () => {
    // prepare
    const previous = {
      ...reconciled(),
      scaling: { desiredWorkers: 2, lastScaleTime: t0.toISOString(), lastScaleReason: 'backlog 10' },
      backlog: { count: 10, observedAt: t0.toISOString() },
    };
    // act
    const status = reconciled({ previous, now: minutesAfter(t0, 1) });
    // assess
    expect(status.scaling).toEqual(previous.scaling);
    expect(status.backlog).toEqual(previous.backlog);
  });
});

describe('observedGeneration', () => {
  it('is metadata.generation when the writer set one', () => {
    // prepare
    const previous = { ...reconciled(), observedGeneration: 3 };
    // act / assess
    expect(observedGeneration({ now: t0, specHash: 'changed', generation: 7, previous })).toBe(7);
    expect(reconciled({ generation: 7 }).observedGeneration).toBe(7);
  });

  it('starts at 1 for a pool without a previous status', () => {
    // act / assess
    expect(observedGeneration({ now: t0, specHash })).toBe(1);
    expect(reconciled().observedGeneration).toBe(1);
  });

  it('stays while the spec hash stays and increments when it changes', () => {
    // prepare
    const first = reconciled();
    // act
    const same = reconciled({ previous: first, now: minutesAfter(t0, 1) });
    const changed = reconciled({ previous: same, now: minutesAfter(t0, 2), specHash: 'bbbbbbbbbbbbbbbb' });
    const changedAgain = invalidStatus({
      previous: changed,
      now: minutesAfter(t0, 3),
      specHash: 'cccccccccccccccc',
      issues,
    });
    // assess
    expect([first, same, changed, changedAgain].map((s) => s.observedGeneration)).toEqual([1, 1, 2, 3]);
    expect(changedAgain.observedSpecHash).toBe('cccccccccccccccc');
  });
});

describe('deletingStatus', () => {
  it('reports phase Deleting with what remains and no desired workers', () => {
    // prepare
    const previous = reconciled();
    // act
    const status = deletingStatus({
      previous,
      now: minutesAfter(t0, 1),
      specHash,
      remaining: ['service dev-analytics', 'security group sg-0123456789abcdef0'],
    });
    // assess
    expect(status.phase).toBe('Deleting');
    expect(status.workers).toEqual({ desired: 0, running: 2, pending: 0 });
    expect(findCondition(status, 'Provisioned')).toMatchObject({
      status: 'False',
      reason: 'Deleting',
      message:
        'the spec item was deleted; removing service dev-analytics, security group sg-0123456789abcdef0',
    });
    expect(status.lastError).toBeNull();
  });

  it('says nothing more remains when everything is gone', () => {
    // act
    const status = deletingStatus({ now: t0, specHash, remaining: [] });
    // assess
    expect(findCondition(status, 'Provisioned')?.message).toContain('nothing more');
    expect(status.workers).toEqual({ desired: 0, running: 0, pending: 0 });
  });

  it('shows a failing step as lastError and the condition reason', () => {
    // act
    const status = deletingStatus({
      now: t0,
      specHash,
      remaining: ['security group sg-1'],
      error: { code: 'SecurityGroupInUse', message: 'security group sg-1 is still in use' },
    });
    // assess
    expect(findCondition(status, 'Provisioned')).toMatchObject({
      status: 'False',
      reason: 'SecurityGroupInUse',
    });
    expect(status.lastError).toEqual({
      code: 'SecurityGroupInUse',
      message: 'security group sg-1 is still in use',
      time: t0.toISOString(),
    });
  });
});

/** The same value with every object's keys in reverse order, as a read from DynamoDB may return it. */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, inner]) => [key, reverseKeys(inner)]),
    ) as T;
  }
  return value;
}

describe('shouldWriteStatus', () => {
  const previous = reconciled();

  it('writes the first status of a pool', () => {
    // act / assess
    expect(shouldWriteStatus(undefined, previous, t0)).toBe(true);
  });

  it('skips a status that differs only in lastReconcileTime, within the heartbeat', () => {
    // prepare
    const now = new Date(t0.getTime() + statusHeartbeatMs - 1);
    const next = reconciled({ previous, now });
    // act / assess
    expect(next.lastReconcileTime).not.toBe(previous.lastReconcileTime);
    expect(shouldWriteStatus(previous, next, now)).toBe(false);
  });

  it('writes an unchanged status once the heartbeat has passed', () => {
    // prepare
    const now = new Date(t0.getTime() + statusHeartbeatMs);
    const next = reconciled({ previous, now });
    // act / assess
    expect(statusHeartbeatMs).toBe(60 * 60_000);
    expect(shouldWriteStatus(previous, next, now)).toBe(true);
  });

  it('writes any other change at once', () => {
    // prepare
    const now = minutesAfter(t0, 1);
    const changes = [
      reconciled({ previous, now, service: service({ runningCount: 1 }) }),
      reconciled({ previous, now, specHash: 'bbbbbbbbbbbbbbbb' }),
      reconciled({ previous, now, resources: { ...resources, taskDefinitionArn: taskDefinitionArn(2) } }),
      reconciled({ previous, now, error: { code: 'Throttling', message: 'Rate exceeded' } }),
      { ...reconciled({ previous, now }), backlog: { count: 3, observedAt: now.toISOString() } },
    ];
    // act / assess
    expect(changes.map((next) => shouldWriteStatus(previous, next, now))).toEqual(changes.map(() => true));
  });

  it('ignores the order of keys in the stored status', () => {
    // prepare
    const stored = reverseKeys(previous);
    const now = minutesAfter(t0, 1);
    const next = reconciled({ previous: stored, now });
    // act / assess
    expect(Object.keys(stored)).not.toEqual(Object.keys(next));
    expect(shouldWriteStatus(stored, next, now)).toBe(false);
  });
});

describe('every status the core produces', () => {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats.default(ajv);
  const validateStatus = ajv.compile(statusSchema);

  const ready = reconciled();
  const statuses: Record<string, PrefectWorkerPoolStatus> = {
    ready,
    scaledToZero: reconciled({ service: service({ desiredCount: 0, runningCount: 0 }), desiredWorkers: 0 }),
    paused: reconciled({ service: service({ desiredCount: 0, runningCount: 0 }), paused: true }),
    provisioning: reconciled({ service: service({ runningCount: 0, pendingCount: 2 }) }),
    serviceMissing: reconciled({ service: undefined, resources: {} }),
    scalingOut: reconciled({ previous: ready, service: service({ desiredCount: 4 }) }),
    scalingIn: reconciled({ previous: ready, service: service({ desiredCount: 1 }) }),
    rollingOut: reconciled({
      service: service({
        deployments: [{ status: 'PRIMARY' }, { status: 'ACTIVE', rolloutState: 'COMPLETED' }],
      }),
    }),
    rolloutFailed: reconciled({
      service: service({ deployments: [{ status: 'PRIMARY', rolloutState: 'FAILED' }] }),
    }),
    degraded: reconciled({ previous: ready, error: { code: 'NameConflict', message: 'not ours' } }),
    invalid: invalidStatus({ previous: ready, now: t0, specHash, issues }),
    invalidFirst: invalidStatus({ now: t0, specHash, issues: [] }),
    deleting: deletingStatus({ previous: ready, now: t0, specHash, remaining: ['service dev-analytics'] }),
    deletingFailed: deletingStatus({
      now: t0,
      specHash,
      remaining: [],
      error: { code: 'SecurityGroupInUse', message: 'in use' },
    }),
  };

  it.each(Object.entries(statuses))('validates against the status schema: %s', (_name, status) => {
    // act
    const valid = validateStatus(status);
    // assess
    expect(validateStatus.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('carries PascalCase reasons only', () => {
    // act
    const reasons = Object.values(statuses).flatMap((status) => status.conditions.map((c) => c.reason));
    // assess
    expect(reasons.length).toBeGreaterThan(30);
    for (const reason of reasons) expect(reason).toMatch(/^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)*$/);
  });
});

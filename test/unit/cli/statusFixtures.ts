/** Status items as the controller writes them, for the formatting and progress tests. */
import type { Condition, PrefectWorkerPoolStatus } from '../../../controller/core/poolStatus.js';

export const t0 = '2025-01-01T12:00:00.000Z';

export function condition(
  type: string,
  status: Condition['status'],
  reason: string,
  message = reason,
): Condition {
  return { type, status, reason, message, lastTransitionTime: t0 };
}

export function readyStatus(overrides: Partial<PrefectWorkerPoolStatus> = {}): PrefectWorkerPoolStatus {
  return {
    phase: 'Ready',
    observedGeneration: 1,
    observedSpecHash: 'hash-1',
    conditions: [
      condition('Valid', 'True', 'SpecValid', 'the spec is valid'),
      condition('Provisioned', 'True', 'ResourcesInSync'),
      condition('Ready', 'True', 'ScaledToZero', 'no workers needed'),
    ],
    workers: { desired: 0, running: 0, pending: 0 },
    resources: {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/c/local-analytics',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/local-analytics:1',
      securityGroupId: 'sg-1',
    },
    lastReconcileTime: t0,
    lastError: null,
    ...overrides,
  };
}

/** A fresh pool with one worker on moto: every resource there, the worker never starts. */
export function startingStatus(overrides: Partial<PrefectWorkerPoolStatus> = {}): PrefectWorkerPoolStatus {
  return readyStatus({
    phase: 'Provisioning',
    conditions: [
      condition('Valid', 'True', 'SpecValid'),
      condition('Provisioned', 'True', 'ResourcesInSync'),
      condition('Ready', 'False', 'WorkersStarting', '0 of 1 workers running'),
    ],
    workers: { desired: 1, running: 0, pending: 0 },
    ...overrides,
  });
}

export function invalidStatus(): PrefectWorkerPoolStatus {
  return readyStatus({
    phase: 'Invalid',
    conditions: [condition('Valid', 'False', 'SpecInvalid', 'spec.worker.cpu: expected one of 256, 512')],
    validationErrors: [{ path: 'spec.worker.cpu', message: 'expected one of 256, 512' }],
    resources: {},
  });
}

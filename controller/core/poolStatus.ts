/**
 * Status and conditions: a pure function from what the reconcile saw and did to the status item's
 * content. Conditions keep their lastTransitionTime while their status stays the same, like
 * Kubernetes', so "since when" is always meaningful.
 */
import type {
  Condition,
  Phase,
  PoolResources,
  PrefectStatus,
  PrefectWorkerPoolStatus,
  ValidationIssue,
} from '../api/generated/prefectWorkerPoolStatus.js';
import type { LiveService } from './observedState.js';
import { canonicalJson } from './stableHash.js';

export type { Condition, Phase, PrefectWorkerPoolStatus };

export type ConditionType = 'Valid' | 'Provisioned' | 'Ready' | 'PrefectSynced';

export interface ConditionUpdate {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export function setCondition(
  conditions: readonly Condition[],
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const previous = conditions.find((c) => c.type === update.type);
  const lastTransitionTime =
    previous && previous.status === update.status ? previous.lastTransitionTime : now.toISOString();
  const next: Condition = { ...update, lastTransitionTime };
  return previous ? conditions.map((c) => (c.type === update.type ? next : c)) : [...conditions, next];
}

export function findCondition(
  status: PrefectWorkerPoolStatus | undefined,
  type: ConditionType,
): Condition | undefined {
  return status?.conditions.find((c) => c.type === type);
}

export interface ReconcileError {
  /** PascalCase, used as the condition reason. */
  readonly code: string;
  readonly message: string;
  /** Throttling, 5xx, timeouts, API capacity: likely to pass on retry. */
  readonly transient?: boolean;
}

interface CommonInputs {
  readonly previous?: PrefectWorkerPoolStatus;
  readonly now: Date;
  readonly specHash: string;
  /** metadata.generation when the writer set one. */
  readonly generation?: number;
}

export interface InvalidInputs extends CommonInputs {
  readonly issues: readonly ValidationIssue[];
}

export interface ReconciledInputs extends CommonInputs {
  readonly service?: LiveService;
  readonly resources: PoolResources;
  readonly desiredWorkers: number;
  readonly paused: boolean;
  /** What this pass changed, in words (empty when nothing). */
  readonly actions: readonly string[];
  readonly error?: ReconcileError;
  /** The outcome of a Prefect work pool sync, when one ran this pass. */
  readonly prefectSync?: { readonly condition: ConditionUpdate; readonly prefect: PrefectStatus };
}

/**
 * Generations count spec changes. poolctl sets metadata.generation; for a plain put-item without one,
 * the controller counts a new generation whenever the spec's hash changes.
 */
export function observedGeneration(inputs: CommonInputs): number {
  if (inputs.generation !== undefined) return inputs.generation;
  const previous = inputs.previous;
  if (!previous) return 1;
  return previous.observedSpecHash === inputs.specHash
    ? previous.observedGeneration
    : previous.observedGeneration + 1;
}

function base(inputs: CommonInputs, phase: Phase, conditions: Condition[]): PrefectWorkerPoolStatus {
  const previous = inputs.previous;
  return {
    phase,
    observedGeneration: observedGeneration(inputs),
    observedSpecHash: inputs.specHash,
    conditions,
    workers: previous?.workers ?? { desired: 0, running: 0, pending: 0 },
    resources: previous?.resources ?? {},
    lastReconcileTime: inputs.now.toISOString(),
    ...(previous?.scaling ? { scaling: previous.scaling } : {}),
    ...(previous?.backlog ? { backlog: previous.backlog } : {}),
    ...(previous?.prefect ? { prefect: previous.prefect } : {}),
    lastError: null,
  };
}

/**
 * How much of a validation report the status keeps. The status item must fit in DynamoDB's 400 KB
 * whatever the spec held: a hostile spec can have thousands of problems, or a 60 KB field name that
 * every path repeats, and a status write that fails leaves the pool without any report at all.
 */
export const maxStoredIssues = 50;
export const maxIssueTextLength = 500;

/** At most `max` characters, never splitting a surrogate pair (a lone half is not valid UTF-8). */
function clip(text: string, max = maxIssueTextLength): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

export function invalidStatus(inputs: InvalidInputs): PrefectWorkerPoolStatus {
  const count = inputs.issues.length;
  const stored = inputs.issues
    .slice(0, maxStoredIssues)
    .map((issue) => ({ path: clip(issue.path), message: clip(issue.message) }));
  const first = stored[0];
  const summary = first ? `${first.path}: ${first.message}` : 'spec is invalid';
  const more =
    count > maxStoredIssues
      ? ` (and ${count - 1} more; the first ${maxStoredIssues} are listed)`
      : count > 1
        ? ` (and ${count - 1} more)`
        : '';
  const conditions = setCondition(
    inputs.previous?.conditions ?? [],
    { type: 'Valid', status: 'False', reason: 'SpecInvalid', message: `${summary}${more}` },
    inputs.now,
  );
  // Resources of an earlier valid spec are left running untouched: an invalid edit must not take a pool down.
  return { ...base(inputs, 'Invalid', conditions), validationErrors: stored };
}

function rolloutFailed(service: LiveService): boolean {
  return service.deployments.some((d) => d.status === 'PRIMARY' && d.rolloutState === 'FAILED');
}

function readiness(inputs: ReconciledInputs): { phase: Phase; ready: ConditionUpdate } {
  const service = inputs.service;
  const previousPhase = inputs.previous?.phase;
  if (!service) {
    return {
      phase: 'Provisioning',
      ready: {
        type: 'Ready',
        status: 'False',
        reason: 'ServiceMissing',
        message: 'the ECS service does not exist yet',
      },
    };
  }
  const blocked = inputs.resources.failedTaskDefinitionArn;
  if (rolloutFailed(service) || blocked) {
    return {
      phase: 'Degraded',
      ready: {
        type: 'Ready',
        status: 'False',
        reason: 'RolloutFailed',
        message: blocked
          ? `the rollout of ${blocked.split('/').pop() ?? blocked} failed and was rolled back; it is not retried until the spec changes (check the image and the worker logs)`
          : 'the deployment circuit breaker stopped the rollout and rolled back; check the image and the worker logs',
      },
    };
  }
  const { desiredCount: desired, runningCount: running } = service;
  const rollingOut = service.deployments.length > 1;
  // Ready only when the counts match: more running than desired means a scale-in is still stopping workers.
  if (running === desired && !rollingOut) {
    const [reason, message] =
      desired > 0
        ? ['WorkersRunning', `${running} of ${desired} workers running`]
        : inputs.paused
          ? ['Paused', 'the work pool is paused: no workers run']
          : ['ScaledToZero', 'no workers needed: the pool is scaled to zero'];
    return { phase: 'Ready', ready: { type: 'Ready', status: 'True', reason, message } };
  }
  const steady = previousPhase === 'Ready' || previousPhase === 'Scaling';
  const phase: Phase = steady && !rollingOut ? 'Scaling' : 'Provisioning';
  return {
    phase,
    ready: {
      type: 'Ready',
      status: 'False',
      reason: rollingOut ? 'RollingOut' : running > desired ? 'WorkersStopping' : 'WorkersStarting',
      message: `${running} of ${desired} workers running${rollingOut ? ', a new deployment is rolling out' : ''}`,
    },
  };
}

/**
 * How long throttling and 5xx may keep a pool from converging before they count as a failure. Below it
 * they are the normal cost of bulk work under AWS's quotas and are not reported as errors.
 */
export const transientErrorGraceMs = 10 * 60_000;

/** A transient error is tolerated while the pool has been retrying for less than the grace period. */
function toleratedTransient(inputs: ReconciledInputs): boolean {
  if (!inputs.error?.transient) return false;
  const provisioned = findCondition(inputs.previous, 'Provisioned');
  if (provisioned?.reason !== 'Retrying') return true;
  return inputs.now.getTime() - Date.parse(provisioned.lastTransitionTime) < transientErrorGraceMs;
}

export function reconciledStatus(inputs: ReconciledInputs): PrefectWorkerPoolStatus {
  const now = inputs.now;
  let conditions = setCondition(
    inputs.previous?.conditions ?? [],
    { type: 'Valid', status: 'True', reason: 'SpecValid', message: 'the spec is valid' },
    now,
  );
  const tolerated = toleratedTransient(inputs);
  const failure = inputs.error && !tolerated ? inputs.error : undefined;
  conditions = setCondition(
    conditions,
    failure
      ? { type: 'Provisioned', status: 'False', reason: failure.code, message: failure.message }
      : tolerated
        ? {
            type: 'Provisioned',
            status: 'Unknown',
            reason: 'Retrying',
            message:
              'AWS is pacing or briefly failing requests; the change is retried and nothing is wrong yet',
          }
        : {
            type: 'Provisioned',
            status: 'True',
            reason: 'ResourcesInSync',
            message: 'security group, task definition and service match the spec',
          },
    now,
  );
  const { phase, ready } = readiness(inputs);
  conditions = setCondition(conditions, ready, now);
  if (inputs.prefectSync) conditions = setCondition(conditions, inputs.prefectSync.condition, now);
  // Workers that cannot reach their work pool do no work, however healthy ECS says they are.
  const prefectFailing = conditions.some((c) => c.type === 'PrefectSynced' && c.status === 'False');
  const service = inputs.service;
  const settledPhase = tolerated && phase === 'Ready' ? 'Provisioning' : phase;
  return {
    ...base(inputs, failure || prefectFailing ? 'Degraded' : settledPhase, conditions),
    ...(inputs.prefectSync ? { prefect: inputs.prefectSync.prefect } : {}),
    workers: service
      ? { desired: service.desiredCount, running: service.runningCount, pending: service.pendingCount }
      : { desired: inputs.desiredWorkers, running: 0, pending: 0 },
    resources: inputs.resources,
    ...(failure
      ? { lastError: { code: failure.code, message: failure.message, time: now.toISOString() } }
      : {}),
  };
}

export interface DeletingInputs extends CommonInputs {
  readonly remaining: readonly string[];
  readonly error?: ReconcileError;
}

export function deletingStatus(inputs: DeletingInputs): PrefectWorkerPoolStatus {
  const conditions = setCondition(
    inputs.previous?.conditions ?? [],
    inputs.error
      ? { type: 'Provisioned', status: 'False', reason: inputs.error.code, message: inputs.error.message }
      : {
          type: 'Provisioned',
          status: 'False',
          reason: 'Deleting',
          message: `the spec item was deleted; removing ${inputs.remaining.join(', ') || 'nothing more'}`,
        },
    inputs.now,
  );
  return {
    ...base(inputs, 'Deleting', conditions),
    workers: { desired: 0, running: inputs.previous?.workers.running ?? 0, pending: 0 },
    ...(inputs.error
      ? {
          lastError: {
            code: inputs.error.code,
            message: inputs.error.message,
            time: inputs.now.toISOString(),
          },
        }
      : {}),
  };
}

/** How often an unchanged status is rewritten anyway, so lastReconcileTime stays a useful liveness signal. */
export const statusHeartbeatMs = 60 * 60_000;

/**
 * Whether a new status should be written: when it says anything the stored one does not, or when the
 * stored one is older than the heartbeat. lastReconcileTime alone is not news: skipping such writes keeps
 * a drift pass over unchanged pools nearly free of DynamoDB writes.
 */
export function shouldWriteStatus(
  previous: PrefectWorkerPoolStatus | undefined,
  next: PrefectWorkerPoolStatus,
  now: Date,
): boolean {
  if (!previous) return true;
  const strip = ({ lastReconcileTime: _ignored, ...rest }: PrefectWorkerPoolStatus) => rest;
  if (canonicalJson(strip(previous)) !== canonicalJson(strip(next))) return true;
  return now.getTime() - Date.parse(previous.lastReconcileTime) >= statusHeartbeatMs;
}

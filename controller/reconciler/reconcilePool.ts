/**
 * Reconcile one pool: read the spec and the live state, compute the desired state, diff, act, and write
 * status. Level-based: it never asks what event brought it here, only what is and what should be, so
 * running it twice in a row makes no mutating call the second time.
 */
import type { ResolvedPool } from '../api/poolDefaults.js';
import { poolResourceNames } from '../api/resourceNames.js';
import { validatePool } from '../api/validatePool.js';
import { reasonFromError, StatusConflictError, isTransientAwsError } from '../aws/awsErrors.js';
import type { StoredPool, StoredStatus } from '../aws/poolTableStore.js';
import {
  desiredSecurityGroup,
  desiredService,
  desiredTaskDefinition,
  desiredWorkerCount,
  workerCountInputsFrom,
} from '../core/desiredState.js';
import type { LiveService, PoolObservation } from '../core/observedState.js';
import {
  blockedTaskDefinition,
  hasEgressChanges,
  isOwnedBy,
  planSecurityGroup,
  planService,
  planTaskDefinition,
  planTaskDefinitionAfterLookup,
  type ServiceChanges,
} from '../core/planActions.js';
import {
  invalidStatus,
  reconciledStatus,
  shouldWriteStatus,
  type PrefectWorkerPoolStatus,
  type ReconcileError,
} from '../core/poolStatus.js';
import { allAlarmNames, desiredAlarms, planAlarms } from '../core/poolAlarms.js';
import { randomUUID } from 'node:crypto';
import { stableHash } from '../core/stableHash.js';
import type { EcsJobTemplateDefaults } from '../prefect/workPoolSync.js';
import { deletePool, hasPoolResources } from './deletePool.js';
import { isPrefectSyncDue, syncPrefect, type PrefectSyncOutcome } from './syncPrefect.js';
import type { ReconcilerDependencies } from './reconcilerDependencies.js';
import type { ReconcileResult } from './reconcileResult.js';

/** What a batched caller (the drift pass) already read, so reconcile reads nothing itself. */
export interface PrefetchedPool {
  readonly stored: StoredPool;
  readonly observation: PoolObservation;
}

/** Requeue delays: throttling and 5xx clear quickly; other failures wait for the next look. */
const transientRetryMs = 5_000;
const failureRetryMs = 60_000;
const serviceWaitMs = 30_000;

export function specHashOf(spec: Record<string, unknown>): string {
  const { pk: _pk, sk: _sk, ...manifest } = spec;
  return stableHash(manifest);
}

async function observePool(deps: ReconcilerDependencies, name: string): Promise<PoolObservation> {
  const names = poolResourceNames(deps.config.instanceId, name);
  const [services, securityGroup, alarms] = await Promise.all([
    deps.ecs.describeServices([names.serviceName]),
    deps.ec2.findSecurityGroupByName(deps.config.vpcId, names.securityGroupName),
    deps.cloudwatch.describeAlarmsByName(allAlarmNames(deps.config.instanceId, name)),
  ]);
  const service = services.get(names.serviceName);
  return { ...(service ? { service } : {}), ...(securityGroup ? { securityGroup } : {}), alarms };
}

function describeServiceChanges(changes: ServiceChanges, live: LiveService): string {
  const parts: string[] = [];
  if (changes.taskDefinitionArn) parts.push(`taskDefinition ${changes.taskDefinitionArn.split('/').pop()}`);
  if (changes.desiredCount !== undefined)
    parts.push(`desiredCount ${live.desiredCount}→${changes.desiredCount}`);
  if (changes.configuration) parts.push('configuration');
  return `UpdateService(${parts.join(', ')})`;
}

class PlanConflictError extends Error {
  readonly code = 'NameConflict';
}

interface ApplyOutcome {
  readonly actions: string[];
  service?: LiveService;
  securityGroupId?: string;
  taskDefinitionArn?: string;
  taskDefinitionHash?: string;
  failedTaskDefinitionArn?: string | undefined;
  alarmNames?: string[];
  desiredWorkers: number;
  waitMessage?: string;
}

/** Carries out the plans; security group and task definition are independent, so they go in parallel. */
async function applyDesiredState(
  deps: ReconcilerDependencies,
  pool: ResolvedPool,
  observation: PoolObservation,
  previous: PrefectWorkerPoolStatus | undefined,
  outcome: ApplyOutcome,
): Promise<void> {
  const { config } = deps;
  const sgDesired = desiredSecurityGroup(pool, config);
  const tdDesired = desiredTaskDefinition(pool, config);

  const ensureSecurityGroup = async (): Promise<string> => {
    const plan = planSecurityGroup(sgDesired, observation.securityGroup, config.instanceId);
    switch (plan.action) {
      case 'none':
        return plan.groupId;
      case 'conflict':
        throw new PlanConflictError(plan.message);
      case 'syncEgress':
        await deps.ec2.revokeEgress(plan.groupId, plan.changes.revoke, plan.changes.revokeForeign);
        await deps.ec2.authorizeEgress(plan.groupId, plan.changes.authorize);
        outcome.actions.push('UpdateSecurityGroupEgress');
        return plan.groupId;
      case 'create': {
        const created = await deps.ec2.createSecurityGroup(plan.desired);
        outcome.actions.push('CreateSecurityGroup');
        // The create may have found a same-named group that someone else made: never adopt it.
        if (!isOwnedBy(created.tags, config.instanceId)) {
          throw new PlanConflictError(
            `security group ${created.groupId} is named ${sgDesired.groupName} but is not owned by controller instance ${config.instanceId}`,
          );
        }
        // A new group allows all egress by default; bring it to exactly the spec's rules.
        const followUp = planSecurityGroup(sgDesired, created, config.instanceId);
        if (followUp.action === 'syncEgress' && hasEgressChanges(followUp.changes)) {
          await deps.ec2.revokeEgress(
            created.groupId,
            followUp.changes.revoke,
            followUp.changes.revokeForeign,
          );
          await deps.ec2.authorizeEgress(created.groupId, followUp.changes.authorize);
        }
        return created.groupId;
      }
    }
  };

  const ensureTaskDefinition = async (): Promise<string> => {
    let plan = planTaskDefinition(tdDesired, previous?.resources ?? {});
    if (plan.action === 'lookup') {
      const latest = await deps.ecs.describeLatestTaskDefinition(tdDesired.content.family);
      plan = planTaskDefinitionAfterLookup(tdDesired, latest);
    }
    if (plan.action === 'reuse') return plan.taskDefinitionArn;
    if (plan.action === 'lookup') throw new Error('task definition lookup did not resolve');
    const arn = await deps.ecs.registerTaskDefinition(plan.desired);
    outcome.actions.push('RegisterTaskDefinition');
    return arn;
  };

  const ensureAlarms = async (): Promise<string[]> => {
    const desired = desiredAlarms(pool, config, desiredSecurityGroup(pool, config).tags);
    const live = observation.alarms ?? new Map();
    const plan = planAlarms(desired, live);
    // A matching name is not ownership: an existing alarm is changed or deleted only if it carries this
    // instance's tag. Tags are read only for the alarms the plan touches, so a settled pool costs nothing.
    const foreign = new Set<string>();
    for (const name of [...plan.put.map((alarm) => alarm.alarmName), ...plan.delete]) {
      const current = live.get(name);
      if (!current) continue;
      const owned =
        current.alarmArn !== '' &&
        isOwnedBy(await deps.cloudwatch.listTags(current.alarmArn), config.instanceId);
      if (!owned) foreign.add(name);
    }
    const taken = plan.put.find((alarm) => foreign.has(alarm.alarmName));
    if (taken) {
      throw new PlanConflictError(
        `alarm ${taken.alarmName} exists but is not owned by controller instance ${config.instanceId}; rename or delete it`,
      );
    }
    const deletable = plan.delete.filter((name) => !foreign.has(name));
    // One at a time: PutMetricAlarm is limited to 3 calls a second per account.
    for (const alarm of plan.put) await deps.cloudwatch.putAlarm(alarm, !live.has(alarm.alarmName));
    if (deletable.length > 0) await deps.cloudwatch.deleteAlarms(deletable);
    if (plan.put.length > 0) outcome.actions.push(`PutMetricAlarm(${plan.put.length})`);
    if (deletable.length > 0) outcome.actions.push(`DeleteAlarms(${deletable.length})`);
    return desired.map((alarm) => alarm.alarmName);
  };

  const [securityGroupId, taskDefinitionArn, alarmNames] = await Promise.all([
    ensureSecurityGroup(),
    ensureTaskDefinition(),
    ensureAlarms(),
  ]);
  outcome.alarmNames = alarmNames;
  outcome.securityGroupId = securityGroupId;
  outcome.taskDefinitionArn = taskDefinitionArn;
  outcome.taskDefinitionHash = tdDesired.contentHash;

  const serviceDesired = desiredService(pool, config, {
    securityGroupId,
    taskDefinitionArn,
    desiredCount: outcome.desiredWorkers,
  });
  outcome.failedTaskDefinitionArn = blockedTaskDefinition(
    taskDefinitionArn,
    observation.service,
    previous?.resources.failedTaskDefinitionArn,
  );
  const plan = planService(
    serviceDesired,
    observation.service,
    config.instanceId,
    outcome.failedTaskDefinitionArn,
  );
  switch (plan.action) {
    case 'none':
      outcome.service = observation.service;
      return;
    case 'conflict':
      throw new PlanConflictError(plan.message);
    case 'wait':
      outcome.waitMessage = plan.message;
      return;
    case 'create':
      outcome.service = await deps.ecs.createService(plan.desired);
      outcome.actions.push('CreateService');
      return;
    case 'update':
      outcome.service = await deps.ecs.updateService(plan.desired, plan.changes);
      outcome.actions.push(describeServiceChanges(plan.changes, observation.service as LiveService));
      return;
  }
}

/** What an ecs-type work pool's job template should default to: the pool's own network and roles. */
function ecsJobDefaults(
  deps: ReconcilerDependencies,
  pool: ResolvedPool,
  outcome: ApplyOutcome,
): EcsJobTemplateDefaults | undefined {
  const { config } = deps;
  if (pool.spec.workPool.type !== 'ecs' || !outcome.securityGroupId) return undefined;
  const taskRoleArn = pool.spec.worker.taskRoleArn ?? config.defaultWorkerTaskRoleArn;
  return {
    cluster: config.clusterName,
    vpcId: config.vpcId,
    subnets: config.subnetIds,
    securityGroupId: outcome.securityGroupId,
    executionRoleArn: config.executionRoleArn,
    ...(taskRoleArn ? { taskRoleArn } : {}),
    logGroupName: config.logGroupName,
    region: config.region,
  };
}

/** How long a reconciler may hold a pool's lease; longer than any reconcile, short enough to recover. */
export const leaseTtlMs = 90_000;

/**
 * Whether the task definition must be looked up or registered: when status records none for this spec
 * (a new pool, a changed spec), whatever the live state is.
 */
function taskDefinitionChanges(
  deps: ReconcilerDependencies,
  pool: ResolvedPool,
  previous: PrefectWorkerPoolStatus | undefined,
): boolean {
  const desired = desiredTaskDefinition(pool, deps.config);
  return planTaskDefinition(desired, previous?.resources ?? {}).action !== 'reuse';
}

/**
 * Whether applying would make any mutating call, judged from the plans alone. Unchanged pools need no
 * lease, so the drift pass over them costs no extra write.
 */
function wouldChange(
  deps: ReconcilerDependencies,
  pool: ResolvedPool,
  observation: PoolObservation,
  previous: PrefectWorkerPoolStatus | undefined,
): boolean {
  const { config } = deps;
  const sgPlan = planSecurityGroup(
    desiredSecurityGroup(pool, config),
    observation.securityGroup,
    config.instanceId,
  );
  const tdPlan = planTaskDefinition(desiredTaskDefinition(pool, config), previous?.resources ?? {});
  const alarmPlan = planAlarms(
    desiredAlarms(pool, config, desiredSecurityGroup(pool, config).tags),
    observation.alarms ?? new Map(),
  );
  if (
    sgPlan.action !== 'none' ||
    tdPlan.action !== 'reuse' ||
    alarmPlan.put.length + alarmPlan.delete.length > 0
  ) {
    return true;
  }
  const desiredCount = desiredWorkerCount(pool, workerCountInputsFrom(previous));
  const service = desiredService(pool, config, {
    securityGroupId: sgPlan.groupId,
    taskDefinitionArn: tdPlan.taskDefinitionArn,
    desiredCount,
  });
  const blocked = blockedTaskDefinition(
    tdPlan.taskDefinitionArn,
    observation.service,
    previous?.resources.failedTaskDefinitionArn,
  );
  return planService(service, observation.service, config.instanceId, blocked).action !== 'none';
}

/**
 * Runs `work` holding the pool's lease, so the stream, the schedule and the alarm handler never change
 * one pool's resources at the same moment. Undefined when another holder has it.
 */
async function withLease<T>(
  deps: ReconcilerDependencies,
  name: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  const holder = randomUUID();
  if (!(await deps.table.acquireLease(name, holder, leaseTtlMs, deps.clock.now()))) return undefined;
  try {
    return await work();
  } finally {
    await deps.table.releaseLease(name, holder);
  }
}

function leaseHeld(
  name: string,
  previous: PrefectWorkerPoolStatus | undefined,
  startedAt: number,
  deps: ReconcilerDependencies,
): ReconcileResult {
  return {
    pool: name,
    outcome: 'requeue',
    ...(previous ? { phase: previous.phase } : {}),
    actions: [],
    driftCorrections: 0,
    requeueAfterMs: 2_000,
    leaseHeld: true,
    durationMs: deps.clock.now().getTime() - startedAt,
  };
}

/** Reads the pool and its live state afresh and reconciles from them: the part done under the lease. */
async function reconcileFresh(
  deps: ReconcilerDependencies,
  name: string,
  startedAt: number,
): Promise<ReconcileResult> {
  const fresh = await deps.table.readPool(name);
  return reconcileRead(deps, name, fresh, fresh.spec ? await observePool(deps, name) : undefined, startedAt);
}

async function reconcileOnce(
  deps: ReconcilerDependencies,
  name: string,
  prefetched: PrefetchedPool | undefined,
  startedAt: number,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  if (options.changeExpected && !prefetched) {
    // Reading first would only tell what the caller already knows: take the lease and read once, under it.
    const changed = await withLease(deps, name, () => reconcileFresh(deps, name, startedAt));
    return changed ?? leaseHeld(name, undefined, startedAt, deps);
  }
  const stored = prefetched?.stored ?? (await deps.table.readPool(name));
  if (!stored.spec) {
    // A finished deletion run again (a stream record delivered twice) takes no lease: no write at all.
    if (!stored.status && !(await hasPoolResources(deps, name))) {
      const durationMs = deps.clock.now().getTime() - startedAt;
      return { pool: name, outcome: 'done', actions: [], driftCorrections: 0, durationMs };
    }
    const deleted = await withLease(deps, name, async () =>
      deletePool(deps, await deps.table.readPool(name), startedAt),
    );
    return deleted ?? leaseHeld(name, stored.status?.status, startedAt, deps);
  }
  const validation = validatePool(stored.spec, { ...deps.config, expectedName: name });
  if (validation.valid) {
    const previous = stored.status?.status;
    // A task definition to look up or register is a change whatever the live state (a new pool, a changed
    // spec): observing before the lease would be thrown away, so it is observed under the lease only.
    const certain = !prefetched && taskDefinitionChanges(deps, validation.pool, previous);
    const observation = certain ? undefined : (prefetched?.observation ?? (await observePool(deps, name)));
    if (!observation || wouldChange(deps, validation.pool, observation, previous)) {
      // What was read before the lease may already be out of date: read again under it.
      const changed = await withLease(deps, name, () => reconcileFresh(deps, name, startedAt));
      return changed ?? leaseHeld(name, previous, startedAt, deps);
    }
    return reconcileRead(deps, name, stored, observation, startedAt);
  }
  return reconcileRead(deps, name, stored, undefined, startedAt);
}

/** Reconciles from what was read: validate, apply what differs, sync Prefect, write status. */
async function reconcileRead(
  deps: ReconcilerDependencies,
  name: string,
  stored: StoredPool,
  readObservation: PoolObservation | undefined,
  startedAt: number,
): Promise<ReconcileResult> {
  const now = deps.clock.now();
  if (!stored.spec) return deletePool(deps, stored, startedAt);

  const previous = stored.status?.status;
  const specHash = specHashOf(stored.spec);
  // Read before validation, so from a spec that may be anything: metadata may be null, a list, a
  // string; the generation may be 1e125, which no status write could store exactly (or at all).
  const metadata = stored.spec.metadata;
  const generation =
    typeof metadata === 'object' && metadata !== null
      ? (metadata as { generation?: unknown }).generation
      : undefined;
  const common = {
    ...(previous ? { previous } : {}),
    now,
    specHash,
    ...(typeof generation === 'number' && Number.isSafeInteger(generation) && generation >= 1
      ? { generation }
      : {}),
  };
  const durationMs = () => deps.clock.now().getTime() - startedAt;

  const validation = validatePool(stored.spec, { ...deps.config, expectedName: name });
  if (!validation.valid) {
    // An invalid spec makes no AWS call at all: whatever ran for an earlier valid spec keeps running.
    const status = invalidStatus({ ...common, issues: validation.issues });
    const written = await writeIfChanged(deps, stored, status, now);
    return {
      pool: name,
      outcome: 'done',
      phase: 'Invalid',
      ...(written ? { status: written } : {}),
      actions: [],
      driftCorrections: 0,
      durationMs: durationMs(),
    };
  }

  const pool = validation.pool;
  const observation = readObservation ?? (await observePool(deps, name));
  const outcome: ApplyOutcome = {
    actions: [],
    desiredWorkers: desiredWorkerCount(pool, workerCountInputsFrom(previous)),
  };
  let error: ReconcileError | undefined;
  let transient = false;
  try {
    await applyDesiredState(deps, pool, observation, previous, outcome);
  } catch (caught) {
    if (caught instanceof StatusConflictError) throw caught;
    transient = isTransientAwsError(caught);
    error = {
      code: caught instanceof PlanConflictError ? caught.code : reasonFromError(caught),
      message: caught instanceof Error ? caught.message : String(caught),
      transient,
    };
  }
  // Prefect is synced whatever happened on the ECS side, and its failures never fail the ECS side.
  let prefectSync: PrefectSyncOutcome | undefined;
  if (isPrefectSyncDue(previous, specHash, now, deps.prefect.enabled)) {
    prefectSync = await syncPrefect(
      deps,
      pool,
      specHash,
      previous?.prefect,
      ecsJobDefaults(deps, pool, outcome),
    );
  }

  const status = reconciledStatus({
    ...common,
    ...(outcome.service ? { service: outcome.service } : {}),
    resources: {
      ...(outcome.service
        ? { serviceArn: outcome.service.serviceArn, serviceName: outcome.service.serviceName }
        : {}),
      ...(outcome.taskDefinitionArn
        ? { taskDefinitionArn: outcome.taskDefinitionArn, taskDefinitionHash: outcome.taskDefinitionHash }
        : {
            ...(previous?.resources.taskDefinitionArn
              ? { taskDefinitionArn: previous.resources.taskDefinitionArn }
              : {}),
            ...(previous?.resources.taskDefinitionHash
              ? { taskDefinitionHash: previous.resources.taskDefinitionHash }
              : {}),
          }),
      ...(outcome.securityGroupId ? { securityGroupId: outcome.securityGroupId } : {}),
      ...(outcome.failedTaskDefinitionArn
        ? { failedTaskDefinitionArn: outcome.failedTaskDefinitionArn }
        : {}),
      ...(outcome.alarmNames
        ? { alarmNames: outcome.alarmNames }
        : previous?.resources.alarmNames
          ? { alarmNames: previous.resources.alarmNames }
          : {}),
    },
    desiredWorkers: outcome.desiredWorkers,
    paused: pool.spec.workPool.paused,
    actions: outcome.actions,
    ...(error ? { error } : {}),
    ...(prefectSync ? { prefectSync } : {}),
  });
  const written = await writeIfChanged(deps, stored, status, now);

  const specUnchanged = previous?.observedSpecHash === specHash && previous.phase !== 'Invalid';
  const requeue = error
    ? { outcome: 'requeue' as const, requeueAfterMs: transient ? transientRetryMs : failureRetryMs }
    : outcome.waitMessage
      ? { outcome: 'requeue' as const, requeueAfterMs: serviceWaitMs }
      : { outcome: 'done' as const };
  return {
    pool: name,
    ...requeue,
    phase: status.phase,
    actions: outcome.actions,
    driftCorrections: specUnchanged ? outcome.actions.length : 0,
    ...(error ? { error, retryable: transient } : {}),
    ...(written ? { status: written } : {}),
    durationMs: durationMs(),
  };
}

/** Writes the status when it says something new; returns what is stored afterwards. */
async function writeIfChanged(
  deps: ReconcilerDependencies,
  stored: StoredPool,
  status: PrefectWorkerPoolStatus,
  now: Date,
): Promise<StoredStatus | undefined> {
  if (!shouldWriteStatus(stored.status?.status, status, now)) return stored.status;
  const revision = await deps.table.writeStatus(stored.name, status, stored.status?.revision);
  return { revision, status };
}

export interface ReconcileOptions {
  /**
   * The caller knows the pool is about to change (the scaler has just recorded a new worker count): the
   * lease is taken at once and the pool read under it, without a first read to find out whether a lease
   * is needed.
   */
  readonly changeExpected?: boolean;
}

/**
 * Reconciles one pool by name. A lost status race (someone wrote a newer status meanwhile) is answered
 * by reconciling again from fresh reads, once; after that the caller requeues.
 */
export async function reconcilePool(
  deps: ReconcilerDependencies,
  name: string,
  prefetched?: PrefetchedPool,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const startedAt = deps.clock.now().getTime();
  const logger = deps.logger.createChild({ persistentKeys: { pool: name } });
  let result: ReconcileResult;
  try {
    result = await reconcileOnce({ ...deps, logger }, name, prefetched, startedAt, options);
  } catch (error) {
    if (!(error instanceof StatusConflictError)) throw error;
    try {
      result = await reconcileOnce({ ...deps, logger }, name, undefined, startedAt, options);
    } catch (again) {
      if (!(again instanceof StatusConflictError)) throw again;
      result = {
        pool: name,
        outcome: 'requeue',
        actions: [],
        driftCorrections: 0,
        requeueAfterMs: 1_000,
        error: { code: again.code, message: again.message },
        retryable: true,
        durationMs: deps.clock.now().getTime() - startedAt,
      };
    }
  }
  logger.info('reconciled', {
    outcome: result.outcome,
    phase: result.phase,
    actions: result.actions,
    durationMs: result.durationMs,
    ...(result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : {}),
    ...(result.error ? { error: result.error } : {}),
  });
  deps.metrics?.record(result);
  return result;
}

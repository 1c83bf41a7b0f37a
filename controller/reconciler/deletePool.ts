/**
 * Deleting a pool whose spec item is gone. The status item stays, in phase Deleting, as the finalizer
 * record until the last owned resource is gone; each pass does what it can and requeues for the rest
 * (a security group cannot go while its network interfaces linger after the tasks stopped).
 */
import { poolResourceNames } from '../api/resourceNames.js';
import { isTransientAwsError, reasonFromError, SecurityGroupInUseError } from '../aws/awsErrors.js';
import type { StoredPool } from '../aws/poolTableStore.js';
import type { PrefectStatus } from '../api/generated/prefectWorkerPoolStatus.js';
import { isOwnedBy } from '../core/planActions.js';
import { allAlarmNames } from '../core/poolAlarms.js';
import { isPrefectApiError } from '../prefect/prefectErrors.js';
import { deletingStatus, shouldWriteStatus, type ReconcileError } from '../core/poolStatus.js';
import type { ReconcilerDependencies } from './reconcilerDependencies.js';
import type { ReconcileResult } from './reconcileResult.js';

/** Deregistration is paced by ECS at 1 per second per account: a few per pass, the rest next time. */
const deregistrationsPerPass = 5;
/** Revisions whose tags one pass reads at most, so a family full of others' revisions cannot stall it. */
const revisionChecksPerPass = 20;
const deletionRetryMs = 15_000;

/**
 * Deletes the Prefect work pool when the spec asked for it (remembered in status, since the spec is
 * gone), and only if it still has the type the controller made it with.
 */
async function deletePrefectWorkPool(
  deps: ReconcilerDependencies,
  prefect: PrefectStatus | undefined,
): Promise<{ deleted?: boolean; remaining?: string }> {
  if (!prefect?.deleteWorkPoolOnDeletion || !prefect.workPoolName || !prefect.connection) return {};
  if (!deps.prefect.enabled) return {};
  const connection = await deps.prefect.connect(prefect.connection);
  if (!connection.available)
    return { remaining: `work pool ${prefect.workPoolName} (${connection.message})` };
  try {
    const live = await connection.client.readWorkPool(prefect.workPoolName);
    if (!live || live.type !== prefect.workPoolType) return {};
    return { deleted: await connection.client.deleteWorkPool(prefect.workPoolName) };
  } catch (error) {
    const reason = isPrefectApiError(error) ? error.reason : 'PrefectError';
    return { remaining: `work pool ${prefect.workPoolName} in Prefect (${reason})` };
  }
}

/**
 * Whether anything in AWS still carries the pool's names: a pool with neither spec nor status needs
 * the deletion path (and its lease) only then — garbage collection's orphans — and not when a stream
 * record about an already finished deletion is delivered again.
 */
export async function hasPoolResources(deps: ReconcilerDependencies, name: string): Promise<boolean> {
  const { config } = deps;
  const names = poolResourceNames(config.instanceId, name);
  const [services, securityGroup, taskDefinitionArns, alarms] = await Promise.all([
    deps.ecs.describeServices([names.serviceName]),
    deps.ec2.findSecurityGroupByName(config.vpcId, names.securityGroupName),
    deps.ecs.listActiveTaskDefinitionArns(names.taskDefinitionFamily),
    deps.cloudwatch.describeAlarmsByName(allAlarmNames(config.instanceId, name)),
  ]);
  return services.size > 0 || securityGroup !== undefined || taskDefinitionArns.length > 0 || alarms.size > 0;
}

export async function deletePool(
  deps: ReconcilerDependencies,
  stored: StoredPool,
  startedAt: number,
): Promise<ReconcileResult> {
  const { config } = deps;
  const name = stored.name;
  const names = poolResourceNames(config.instanceId, name);
  const actions: string[] = [];
  const remaining: string[] = [];
  let error: ReconcileError | undefined;
  let retryable = false;

  try {
    const [services, securityGroup, taskDefinitionArns, alarms] = await Promise.all([
      deps.ecs.describeServices([names.serviceName]),
      deps.ec2.findSecurityGroupByName(config.vpcId, names.securityGroupName),
      deps.ecs.listActiveTaskDefinitionArns(names.taskDefinitionFamily),
      deps.cloudwatch.describeAlarmsByName(allAlarmNames(config.instanceId, name)),
    ]);
    // A matching name is not ownership: only alarms tagged with this instance are deleted.
    const ownedAlarms: string[] = [];
    for (const alarm of alarms.values()) {
      if (alarm.alarmArn && isOwnedBy(await deps.cloudwatch.listTags(alarm.alarmArn), config.instanceId)) {
        ownedAlarms.push(alarm.alarmName);
      }
    }
    if (ownedAlarms.length > 0) {
      await deps.cloudwatch.deleteAlarms(ownedAlarms);
      actions.push('DeleteAlarms');
    }
    const service = services.get(names.serviceName);
    // Only what carries this controller instance's tags is ever deleted.
    if (service && service.status === 'ACTIVE' && isOwnedBy(service.tags, config.instanceId)) {
      await deps.ecs.deleteService(names.serviceName);
      actions.push('DeleteService');
    }
    if (securityGroup && isOwnedBy(securityGroup.tags, config.instanceId)) {
      try {
        await deps.ec2.deleteSecurityGroup(securityGroup.groupId);
        actions.push('DeleteSecurityGroup');
      } catch (caught) {
        if (!(caught instanceof SecurityGroupInUseError)) throw caught;
        remaining.push(`security group ${securityGroup.groupId} (network interfaces still attached)`);
      }
    }
    // A family name is not ownership either: someone else may have registered revisions in it. Each
    // revision's own tags decide, newest first (the controller's are usually the newest), a few a pass.
    let checked = 0;
    let deregistered = 0;
    for (const arn of [...taskDefinitionArns].reverse()) {
      if (deregistered >= deregistrationsPerPass || checked >= revisionChecksPerPass) break;
      checked += 1;
      // Given an ARN, this describes that revision (undefined once it is INACTIVE).
      const revision = await deps.ecs.describeLatestTaskDefinition(arn);
      if (!revision || !isOwnedBy(revision.tags ?? {}, config.instanceId)) continue;
      await deps.ecs.deregisterTaskDefinition(arn);
      deregistered += 1;
      actions.push('DeregisterTaskDefinition');
    }
    if (checked < taskDefinitionArns.length) {
      remaining.push(`${taskDefinitionArns.length - checked} task definition revisions`);
    }
    const workPool = await deletePrefectWorkPool(deps, stored.status?.status.prefect);
    if (workPool.deleted) actions.push('DeleteWorkPool');
    if (workPool.remaining) remaining.push(workPool.remaining);
  } catch (caught) {
    retryable = isTransientAwsError(caught);
    error = {
      code: reasonFromError(caught),
      message: caught instanceof Error ? caught.message : String(caught),
    };
    remaining.push('resources not yet confirmed deleted');
  }

  const durationMs = deps.clock.now().getTime() - startedAt;
  if (remaining.length === 0) {
    if (stored.status) await deps.table.deleteStatus(name, stored.status.revision);
    return { pool: name, outcome: 'done', actions, driftCorrections: 0, durationMs };
  }
  const now = deps.clock.now();
  const previous = stored.status?.status;
  const status = deletingStatus({
    ...(previous ? { previous } : {}),
    now,
    specHash: previous?.observedSpecHash ?? '',
    remaining,
    ...(error ? { error } : {}),
  });
  if (shouldWriteStatus(previous, status, now))
    await deps.table.writeStatus(name, status, stored.status?.revision);
  return {
    pool: name,
    outcome: 'requeue',
    phase: 'Deleting',
    actions,
    driftCorrections: 0,
    requeueAfterMs: deletionRetryMs,
    ...(error ? { error, retryable } : {}),
    durationMs,
  };
}

/**
 * The comparison for the drift pass: a per-resource refresh, as Terraform's refresh does it, reads each
 * managed resource once (Terraform makes more than one call for several of these: tags, attributes).
 * Here that is, per pool: its status item, security group, task definition, service and each alarm —
 * taken from what the pool's status says it owns, so the count follows the pools actually created.
 */
import type { PrefectWorkerPoolStatus } from '../../controller/core/poolStatus.js';

export type ManagedResourceKind = 'status item' | 'security group' | 'task definition' | 'service' | 'alarm';

export interface ManagedResource {
  readonly kind: ManagedResourceKind;
  /** The pool name (status item), group id, task definition ARN, service name or alarm name. */
  readonly id: string;
}

export function managedResources(
  pool: string,
  status: Pick<PrefectWorkerPoolStatus, 'resources'> | undefined,
): ManagedResource[] {
  const resources: ManagedResource[] = [{ kind: 'status item', id: pool }];
  const owned = status?.resources;
  if (!owned) return resources;
  if (owned.securityGroupId) resources.push({ kind: 'security group', id: owned.securityGroupId });
  if (owned.taskDefinitionArn) resources.push({ kind: 'task definition', id: owned.taskDefinitionArn });
  if (owned.serviceName) resources.push({ kind: 'service', id: owned.serviceName });
  for (const alarm of owned.alarmNames ?? []) resources.push({ kind: 'alarm', id: alarm });
  return resources;
}

/** Resource counts by kind over many pools. */
export function countByKind(resources: readonly ManagedResource[]): Record<ManagedResourceKind, number> {
  const counts: Record<ManagedResourceKind, number> = {
    'status item': 0,
    'security group': 0,
    'task definition': 0,
    service: 0,
    alarm: 0,
  };
  for (const resource of resources) counts[resource.kind] += 1;
  return counts;
}

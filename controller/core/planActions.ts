/**
 * Diff: compares desired and observed state and says what to do. Pure: the reconciler's shell carries
 * the plans out. A plan of `none` means no mutating call at all, which is what makes a second
 * reconcile of an unchanged pool free.
 */
import { ownershipTagKeys } from '../api/resourceNames.js';
import type {
  DesiredSecurityGroup,
  DesiredService,
  DesiredTaskDefinition,
  ServiceConfiguration,
} from './desiredState.js';
import { normalizeEgress } from './desiredState.js';
import type { EgressRule, LiveSecurityGroup, LiveService, LiveTaskDefinition } from './observedState.js';

export interface EgressChanges {
  readonly revoke: readonly EgressRule[];
  /** Permissions the controller never creates (IPv6, prefix lists, group pairs), revoked verbatim. */
  readonly revokeForeign: readonly unknown[];
  readonly authorize: readonly EgressRule[];
}

export type SecurityGroupPlan =
  | { readonly action: 'create'; readonly desired: DesiredSecurityGroup }
  | { readonly action: 'none'; readonly groupId: string }
  | { readonly action: 'syncEgress'; readonly groupId: string; readonly changes: EgressChanges }
  /** A group with the pool's name exists but is not this controller's: never adopt or change it. */
  | { readonly action: 'conflict'; readonly groupId: string; readonly message: string };

export function isOwnedBy(tags: Readonly<Record<string, string>>, instanceId: string): boolean {
  return tags[ownershipTagKeys.instance] === instanceId;
}

function ruleKey(rule: EgressRule): string {
  return `${rule.protocol}|${rule.fromPort}|${rule.toPort}|${rule.cidr}|${rule.description ?? ''}`;
}

export function planEgress(desired: readonly EgressRule[], live: LiveSecurityGroup): EgressChanges {
  const want = new Map(normalizeEgress(desired).map((rule) => [ruleKey(rule), rule]));
  const have = new Map(normalizeEgress(live.egress).map((rule) => [ruleKey(rule), rule]));
  return {
    revoke: [...have.entries()].filter(([key]) => !want.has(key)).map(([, rule]) => rule),
    revokeForeign: live.foreignEgress,
    authorize: [...want.entries()].filter(([key]) => !have.has(key)).map(([, rule]) => rule),
  };
}

export function hasEgressChanges(changes: EgressChanges): boolean {
  return changes.revoke.length + changes.revokeForeign.length + changes.authorize.length > 0;
}

export function planSecurityGroup(
  desired: DesiredSecurityGroup,
  live: LiveSecurityGroup | undefined,
  instanceId: string,
): SecurityGroupPlan {
  if (!live) return { action: 'create', desired };
  if (!isOwnedBy(live.tags, instanceId)) {
    return {
      action: 'conflict',
      groupId: live.groupId,
      message: `security group ${live.groupId} is named ${desired.groupName} but is not owned by controller instance ${instanceId}; rename or delete it`,
    };
  }
  const changes = planEgress(desired.egress, live);
  return hasEgressChanges(changes)
    ? { action: 'syncEgress', groupId: live.groupId, changes }
    : { action: 'none', groupId: live.groupId };
}

export interface KnownTaskDefinition {
  readonly taskDefinitionArn?: string;
  readonly taskDefinitionHash?: string;
}

export type TaskDefinitionPlan =
  | { readonly action: 'reuse'; readonly taskDefinitionArn: string }
  /** Look at the family's latest revision before registering: a crash may have registered it already. */
  | { readonly action: 'lookup' }
  | { readonly action: 'register'; readonly desired: DesiredTaskDefinition };

/**
 * Task definitions are immutable, so an ARN recorded in status with the desired content hash is proof
 * enough: no read is needed in the steady state.
 */
export function planTaskDefinition(
  desired: DesiredTaskDefinition,
  known: KnownTaskDefinition,
): TaskDefinitionPlan {
  if (known.taskDefinitionArn && known.taskDefinitionHash === desired.contentHash) {
    return { action: 'reuse', taskDefinitionArn: known.taskDefinitionArn };
  }
  return { action: 'lookup' };
}

export function planTaskDefinitionAfterLookup(
  desired: DesiredTaskDefinition,
  latest: LiveTaskDefinition | undefined,
): TaskDefinitionPlan {
  if (latest && latest.contentHash === desired.contentHash) {
    return { action: 'reuse', taskDefinitionArn: latest.taskDefinitionArn };
  }
  return { action: 'register', desired };
}

export interface ServiceChanges {
  readonly taskDefinitionArn?: string;
  readonly desiredCount?: number;
  /** Set when the configuration (network, capacity providers, deployment settings, tags) drifted. */
  readonly configuration?: ServiceConfiguration;
}

export type ServicePlan =
  | { readonly action: 'create'; readonly desired: DesiredService }
  | { readonly action: 'none' }
  | { readonly action: 'update'; readonly desired: DesiredService; readonly changes: ServiceChanges }
  /** A service with this name is draining after a delete: it cannot be recreated until it is gone. */
  | { readonly action: 'wait'; readonly message: string }
  | { readonly action: 'conflict'; readonly message: string };

/**
 * The revision whose rollout the circuit breaker rolled back, if it is the one desired now. Deploying it
 * again would only fail again: it stays blocked until the spec renders a different revision.
 */
export function blockedTaskDefinition(
  desiredTaskDefinitionArn: string,
  live: LiveService | undefined,
  previouslyFailedArn: string | undefined,
): string | undefined {
  const failedNow = live?.deployments.some(
    (d) => d.rolloutState === 'FAILED' && d.taskDefinitionArn === desiredTaskDefinitionArn,
  );
  return failedNow || previouslyFailedArn === desiredTaskDefinitionArn ? desiredTaskDefinitionArn : undefined;
}

export function planService(
  desired: DesiredService,
  live: LiveService | undefined,
  instanceId: string,
  blockedTaskDefinitionArn?: string,
): ServicePlan {
  if (!live || live.status === 'INACTIVE') return { action: 'create', desired };
  if (live.status === 'DRAINING') {
    return {
      action: 'wait',
      message: `service ${live.serviceName} is draining after a delete; it will be recreated`,
    };
  }
  if (!isOwnedBy(live.tags, instanceId)) {
    return {
      action: 'conflict',
      message: `service ${live.serviceName} exists but is not owned by controller instance ${instanceId}`,
    };
  }
  const changes: { -readonly [K in keyof ServiceChanges]: ServiceChanges[K] } = {};
  if (
    live.taskDefinitionArn !== desired.taskDefinitionArn &&
    desired.taskDefinitionArn !== blockedTaskDefinitionArn
  ) {
    changes.taskDefinitionArn = desired.taskDefinitionArn;
  }
  if (live.desiredCount !== desired.desiredCount) changes.desiredCount = desired.desiredCount;
  if (live.tags[ownershipTagKeys.contentHash] !== desired.configurationHash) {
    changes.configuration = desired.configuration;
  }
  return Object.keys(changes).length === 0 ? { action: 'none' } : { action: 'update', desired, changes };
}

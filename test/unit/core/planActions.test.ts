/**
 * The diff: what to do, given what should exist and what does. `none` means no mutating call at all.
 */
import { describe, expect, it } from 'vitest';
import {
  desiredSecurityGroup,
  desiredService,
  desiredTaskDefinition,
} from '../../../controller/core/desiredState.js';
import type { EgressRule } from '../../../controller/core/observedState.js';
import {
  planSecurityGroup,
  planService,
  planTaskDefinition,
  planTaskDefinitionAfterLookup,
} from '../../../controller/core/planActions.js';
import {
  controllerContext,
  liveSecurityGroup,
  liveService,
  ownedTags,
  resolvedPool,
  taskDefinitionArn,
} from './poolFixtures.js';

const instanceId = controllerContext.instanceId;
const https: EgressRule = { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' };
const postgres: EgressRule = { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '10.0.0.0/16' };
/** What EC2 puts on every new group. */
const allowAll: EgressRule = { protocol: 'all', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' };
const ipv6AllowAll = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

describe('planSecurityGroup', () => {
  const desired = desiredSecurityGroup(
    resolvedPool({
      network: {
        egress: [
          { port: 5432, cidr: '10.0.0.0/16' },
          { port: 443, cidr: '0.0.0.0/0' },
        ],
      },
    }),
    controllerContext,
  );

  it('creates the group when none with its name exists', () => {
    // act
    const plan = planSecurityGroup(desired, undefined, instanceId);
    // assess
    expect(plan).toEqual({ action: 'create', desired });
  });

  it('reports a conflict for a same-named group without ownership tags', () => {
    // prepare
    const live = liveSecurityGroup({ tags: { Name: 'someone elses' }, egress: [https, postgres] });
    // act
    const plan = planSecurityGroup(desired, live, instanceId);
    // assess
    expect(plan).toMatchObject({ action: 'conflict', groupId: live.groupId });
    expect(plan.action === 'conflict' && plan.message).toContain('not owned by controller instance dev');
  });

  it('reports a conflict for a group owned by another controller instance, and leaves its rules alone', () => {
    // prepare
    const live = liveSecurityGroup({
      tags: { ...ownedTags, 'prefect-ecs-operator:instance': 'prod' },
      egress: [allowAll],
    });
    // act
    const plan = planSecurityGroup(desired, live, instanceId);
    // assess
    expect(plan.action).toBe('conflict');
    expect(plan).not.toHaveProperty('changes');
  });

  it('does nothing when the rules are equal, whatever their order', () => {
    // prepare
    const live = liveSecurityGroup({ egress: [postgres, https] });
    const reversed = liveSecurityGroup({ egress: [https, postgres] });
    // act / assess
    expect(planSecurityGroup(desired, live, instanceId)).toEqual({ action: 'none', groupId: live.groupId });
    expect(planSecurityGroup(desired, reversed, instanceId)).toEqual({
      action: 'none',
      groupId: live.groupId,
    });
  });

  it('revokes the default allow-all rules (IPv4 and IPv6) of a new group and authorizes the spec rules', () => {
    // prepare
    const live = liveSecurityGroup({ egress: [allowAll], foreignEgress: [ipv6AllowAll] });
    // act
    const plan = planSecurityGroup(desired, live, instanceId);
    // assess
    expect(plan).toEqual({
      action: 'syncEgress',
      groupId: live.groupId,
      changes: { revoke: [allowAll], revokeForeign: [ipv6AllowAll], authorize: [https, postgres] },
    });
  });

  it('revokes only the extra rules and authorizes only the missing ones', () => {
    // prepare
    const extra: EgressRule = { protocol: 'udp', fromPort: 53, toPort: 53, cidr: '10.0.0.2/32' };
    const live = liveSecurityGroup({ egress: [https, extra] });
    // act
    const plan = planSecurityGroup(desired, live, instanceId);
    // assess
    expect(plan).toEqual({
      action: 'syncEgress',
      groupId: live.groupId,
      changes: { revoke: [extra], revokeForeign: [], authorize: [postgres] },
    });
  });

  it('revokes foreign permissions (IPv6, prefix lists) even when the IPv4 rules match', () => {
    // prepare
    const prefixList = {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      PrefixListIds: [{ PrefixListId: 'pl-1' }],
    };
    const live = liveSecurityGroup({ egress: [https, postgres], foreignEgress: [prefixList] });
    // act
    const plan = planSecurityGroup(desired, live, instanceId);
    // assess
    expect(plan).toEqual({
      action: 'syncEgress',
      groupId: live.groupId,
      changes: { revoke: [], revokeForeign: [prefixList], authorize: [] },
    });
  });

  it('replaces a rule whose description changed', () => {
    // prepare
    const described = { ...https, description: 'old text' };
    const live = liveSecurityGroup({ egress: [described, postgres] });
    // act
    const plan = planSecurityGroup(desired, live, instanceId);
    // assess
    expect(plan).toMatchObject({
      action: 'syncEgress',
      changes: { revoke: [described], authorize: [https] },
    });
  });
});

describe('planTaskDefinition', () => {
  const desired = desiredTaskDefinition(resolvedPool(), controllerContext);

  it('reuses the revision recorded in status when its hash is the desired one, without a lookup', () => {
    // act
    const plan = planTaskDefinition(desired, {
      taskDefinitionArn: taskDefinitionArn(3),
      taskDefinitionHash: desired.contentHash,
    });
    // assess
    expect(plan).toEqual({ action: 'reuse', taskDefinitionArn: taskDefinitionArn(3) });
  });

  it('looks up the latest revision when the recorded hash differs', () => {
    // act
    const plan = planTaskDefinition(desired, {
      taskDefinitionArn: taskDefinitionArn(3),
      taskDefinitionHash: '0000000000000000',
    });
    // assess
    expect(plan).toEqual({ action: 'lookup' });
  });

  it('looks up the latest revision when status records none', () => {
    // act / assess
    expect(planTaskDefinition(desired, {})).toEqual({ action: 'lookup' });
    expect(planTaskDefinition(desired, { taskDefinitionHash: desired.contentHash })).toEqual({
      action: 'lookup',
    });
  });
});

describe('planTaskDefinitionAfterLookup', () => {
  const desired = desiredTaskDefinition(resolvedPool(), controllerContext);

  it('reuses the latest revision when its hash tag matches (registered by a run that crashed)', () => {
    // act
    const plan = planTaskDefinitionAfterLookup(desired, {
      taskDefinitionArn: taskDefinitionArn(4),
      contentHash: desired.contentHash,
    });
    // assess
    expect(plan).toEqual({ action: 'reuse', taskDefinitionArn: taskDefinitionArn(4) });
  });

  it('registers when the latest revision has another hash', () => {
    // act
    const plan = planTaskDefinitionAfterLookup(desired, {
      taskDefinitionArn: taskDefinitionArn(4),
      contentHash: 'ffffffffffffffff',
    });
    // assess
    expect(plan).toEqual({ action: 'register', desired });
  });

  it('registers when the latest revision carries no hash tag (registered by someone else)', () => {
    // act
    const plan = planTaskDefinitionAfterLookup(desired, { taskDefinitionArn: taskDefinitionArn(4) });
    // assess
    expect(plan).toEqual({ action: 'register', desired });
  });

  it('registers when the family has no revision', () => {
    // act / assess
    expect(planTaskDefinitionAfterLookup(desired, undefined)).toEqual({ action: 'register', desired });
  });
});

describe('planService', () => {
  const desired = desiredService(resolvedPool(), controllerContext, {
    securityGroupId: 'sg-0123456789abcdef0',
    taskDefinitionArn: taskDefinitionArn(1),
    desiredCount: 2,
  });
  const inSync = liveService({
    tags: { ...ownedTags, 'prefect-ecs-operator:content-hash': desired.configurationHash },
  });

  it('creates the service when it is missing', () => {
    // act / assess
    expect(planService(desired, undefined, instanceId)).toEqual({ action: 'create', desired });
  });

  it('creates the service when only an INACTIVE tombstone remains', () => {
    // act / assess
    expect(planService(desired, { ...inSync, status: 'INACTIVE' }, instanceId)).toEqual({
      action: 'create',
      desired,
    });
  });

  it('waits while a deleted service is DRAINING', () => {
    // act
    const plan = planService(desired, { ...inSync, status: 'DRAINING' }, instanceId);
    // assess
    expect(plan.action).toBe('wait');
    expect(plan.action === 'wait' && plan.message).toContain('dev-analytics');
  });

  it('reports a conflict for a same-named service this instance does not own', () => {
    // prepare
    const foreign = { ...inSync, tags: { ...inSync.tags, 'prefect-ecs-operator:instance': 'prod' } };
    const untagged = { ...inSync, tags: {} };
    // act / assess
    expect(planService(desired, foreign, instanceId).action).toBe('conflict');
    expect(planService(desired, untagged, instanceId).action).toBe('conflict');
  });

  it('does nothing when task definition, count and configuration hash match', () => {
    // act / assess
    expect(planService(desired, inSync, instanceId)).toEqual({ action: 'none' });
  });

  it('updates only the task definition when only it differs', () => {
    // prepare
    const live = { ...inSync, taskDefinitionArn: taskDefinitionArn(0) };
    // act
    const plan = planService(desired, live, instanceId);
    // assess
    expect(plan).toEqual({ action: 'update', desired, changes: { taskDefinitionArn: taskDefinitionArn(1) } });
  });

  it('updates only the desired count when only it differs, also back to zero', () => {
    // prepare
    const scaledToZero = desiredService(resolvedPool(), controllerContext, {
      securityGroupId: 'sg-0123456789abcdef0',
      taskDefinitionArn: taskDefinitionArn(1),
      desiredCount: 0,
    });
    // act
    const up = planService(desired, { ...inSync, desiredCount: 5 }, instanceId);
    const down = planService(scaledToZero, inSync, instanceId);
    // assess
    expect(up).toEqual({ action: 'update', desired, changes: { desiredCount: 2 } });
    expect(down).toEqual({ action: 'update', desired: scaledToZero, changes: { desiredCount: 0 } });
  });

  it('updates the configuration when the hash tag differs or is missing', () => {
    // prepare
    const stale = { ...inSync, tags: { ...inSync.tags, 'prefect-ecs-operator:content-hash': 'stale' } };
    const untagged = { ...inSync, tags: ownedTags };
    // act / assess
    for (const live of [stale, untagged]) {
      expect(planService(desired, live, instanceId)).toEqual({
        action: 'update',
        desired,
        changes: { configuration: desired.configuration },
      });
    }
  });

  it('puts every differing field into one update', () => {
    // prepare
    const live = { ...inSync, taskDefinitionArn: taskDefinitionArn(0), desiredCount: 0, tags: ownedTags };
    // act
    const plan = planService(desired, live, instanceId);
    // assess
    expect(plan).toEqual({
      action: 'update',
      desired,
      changes: {
        taskDefinitionArn: taskDefinitionArn(1),
        desiredCount: 2,
        configuration: desired.configuration,
      },
    });
  });
});

describe('a revision whose rollout failed', () => {
  it('is not deployed again, while count changes still apply', async () => {
    const { blockedTaskDefinition, planService } = await import('../../../controller/core/planActions.js');
    const failedArn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/test-a:2';
    const goodArn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/test-a:1';
    const live = {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/c/test-a',
      serviceName: 'test-a',
      status: 'ACTIVE',
      desiredCount: 1,
      runningCount: 1,
      pendingCount: 0,
      taskDefinitionArn: goodArn,
      tags: { 'prefect-ecs-operator:instance': 'test', 'prefect-ecs-operator:content-hash': 'h' },
      deployments: [
        { status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinitionArn: goodArn },
        { status: 'ACTIVE', rolloutState: 'FAILED', taskDefinitionArn: failedArn },
      ],
    };
    const desired = {
      serviceName: 'test-a',
      cluster: 'c',
      taskDefinitionArn: failedArn,
      desiredCount: 3,
      configurationHash: 'h',
      tags: [],
    } as unknown as Parameters<typeof planService>[0];

    const blocked = blockedTaskDefinition(failedArn, live, undefined);
    const plan = planService(desired, live, 'test', blocked);

    expect(blocked).toBe(failedArn);
    expect(plan).toMatchObject({ action: 'update', changes: { desiredCount: 3 } });
    expect(plan.action === 'update' ? plan.changes.taskDefinitionArn : 'not an update').toBeUndefined();
    // Remembered in status, it stays blocked after ECS forgets the failed deployment...
    expect(blockedTaskDefinition(failedArn, { ...live, deployments: [] }, failedArn)).toBe(failedArn);
    // ...and a new revision is free to roll out.
    expect(blockedTaskDefinition(`${failedArn}0`, live, failedArn)).toBeUndefined();
  });
});

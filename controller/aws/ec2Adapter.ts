/**
 * EC2 adapter: the workers' security groups. Reads find groups by name (one pool) or by the controller
 * instance's tag (every pool in one paged call); writes create groups and converge their egress rules.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
  type EC2Client,
  type Filter,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { Protocol } from '../api/poolDefaults.js';
import { ownershipTagKeys } from '../api/resourceNames.js';
import type { DesiredSecurityGroup } from '../core/desiredState.js';
import type { EgressRule, LiveSecurityGroup } from '../core/observedState.js';
import { AwsAdapterError, isErrorNamed, SecurityGroupInUseError } from './awsErrors.js';

const protocolNames: Readonly<Record<string, Protocol>> = {
  '-1': 'all',
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
};

function toIpProtocol(protocol: Protocol): string {
  return protocol === 'all' ? '-1' : protocol;
}

/** Splits EC2's grouped permissions into one rule per CIDR; what the controller cannot express is kept apart. */
export function toLiveSecurityGroup(group: SecurityGroup): LiveSecurityGroup {
  const egress: EgressRule[] = [];
  const foreignEgress: IpPermission[] = [];
  for (const permission of group.IpPermissionsEgress ?? []) {
    const protocol = protocolNames[permission.IpProtocol ?? ''];
    if (!protocol) {
      foreignEgress.push(permission);
      continue;
    }
    const fromPort = protocol === 'all' ? -1 : (permission.FromPort ?? -1);
    const toPort = protocol === 'all' ? -1 : (permission.ToPort ?? -1);
    for (const range of permission.IpRanges ?? []) {
      if (!range.CidrIp) continue;
      egress.push({
        protocol,
        fromPort,
        toPort,
        cidr: range.CidrIp,
        ...(range.Description ? { description: range.Description } : {}),
      });
    }
    const { Ipv6Ranges, PrefixListIds, UserIdGroupPairs } = permission;
    if (Ipv6Ranges?.length || PrefixListIds?.length || UserIdGroupPairs?.length) {
      foreignEgress.push({
        IpProtocol: permission.IpProtocol,
        FromPort: permission.FromPort,
        ToPort: permission.ToPort,
        ...(Ipv6Ranges?.length ? { Ipv6Ranges } : {}),
        ...(PrefixListIds?.length ? { PrefixListIds } : {}),
        ...(UserIdGroupPairs?.length ? { UserIdGroupPairs } : {}),
      });
    }
  }
  const tags: Record<string, string> = {};
  for (const tag of group.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
  return {
    groupId: group.GroupId ?? '',
    groupName: group.GroupName ?? '',
    vpcId: group.VpcId ?? '',
    tags,
    egress,
    foreignEgress,
  };
}

function toIpPermission(rule: EgressRule): IpPermission {
  return {
    IpProtocol: toIpProtocol(rule.protocol),
    ...(rule.protocol === 'all' ? {} : { FromPort: rule.fromPort, ToPort: rule.toPort }),
    IpRanges: [{ CidrIp: rule.cidr, ...(rule.description ? { Description: rule.description } : {}) }],
  };
}

export class Ec2Adapter {
  constructor(private readonly ec2: EC2Client) {}

  private async describe(filters: Filter[]): Promise<LiveSecurityGroup[]> {
    const groups: LiveSecurityGroup[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: filters, MaxResults: 1000, NextToken: nextToken }),
      );
      groups.push(...(page.SecurityGroups ?? []).map(toLiveSecurityGroup));
      nextToken = page.NextToken;
    } while (nextToken);
    return groups;
  }

  async findSecurityGroupByName(vpcId: string, groupName: string): Promise<LiveSecurityGroup | undefined> {
    const groups = await this.describe([
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: 'group-name', Values: [groupName] },
    ]);
    return groups[0];
  }

  /** Every group of this controller instance in the VPC, by name: one call per 1,000 groups. */
  async listOwnedSecurityGroups(vpcId: string, instanceId: string): Promise<Map<string, LiveSecurityGroup>> {
    const groups = await this.describe([
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: `tag:${ownershipTagKeys.instance}`, Values: [instanceId] },
    ]);
    return new Map(groups.map((group) => [group.groupName, group]));
  }

  async createSecurityGroup(desired: DesiredSecurityGroup): Promise<LiveSecurityGroup> {
    try {
      const response = await this.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: desired.groupName,
          Description: desired.description,
          VpcId: desired.vpcId,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: desired.tags.map((t) => ({ Key: t.key, Value: t.value })),
            },
          ],
        }),
      );
      if (!response.GroupId)
        throw new AwsAdapterError('CreateSecurityGroup returned no id', { code: 'EmptyResponse' });
    } catch (error) {
      // Created by a run that crashed before recording it: find it instead of failing.
      if (!isErrorNamed(error, 'InvalidGroup.Duplicate')) throw error;
    }
    const created = await this.findSecurityGroupByName(desired.vpcId, desired.groupName);
    if (!created)
      throw new AwsAdapterError(`security group ${desired.groupName} vanished after create`, {
        code: 'NotFound',
      });
    return created;
  }

  async authorizeEgress(groupId: string, rules: readonly EgressRule[]): Promise<void> {
    if (rules.length === 0) return;
    await this.ec2.send(
      new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: rules.map(toIpPermission) }),
    );
  }

  async revokeEgress(
    groupId: string,
    rules: readonly EgressRule[],
    foreign: readonly unknown[] = [],
  ): Promise<void> {
    const permissions = [...rules.map(toIpPermission), ...(foreign as IpPermission[])];
    if (permissions.length === 0) return;
    await this.ec2.send(
      new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: permissions }),
    );
  }

  /** Returns false when the group was already gone. */
  async deleteSecurityGroup(groupId: string): Promise<boolean> {
    try {
      await this.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
      return true;
    } catch (error) {
      if (isErrorNamed(error, 'InvalidGroup.NotFound')) return false;
      if (isErrorNamed(error, 'DependencyViolation')) throw new SecurityGroupInUseError(groupId, error);
      throw error;
    }
  }
}

/**
 * Ownership (issue #5, DESIGN §4): garbage collection deletes only what carries this controller
 * instance's tags and has no spec item. Resources of another controller instance, and look-alikes that
 * merely share this instance's naming, survive any number of drift passes unchanged, and no mutating call
 * ever names them; a real orphan of this instance (its spec and status items lost) is collected whole.
 *
 * The look-alikes and the other instance's resources are made with raw SDK calls, not by the controller.
 */
import {
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  AuthorizeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownershipTagKeys, managedByTagValue } from '../../controller/api/resourceNames.js';
import { createAlarmHandler } from '../../controller/handlers/alarmHandler.js';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { alarmStateChangeEvent } from '../support/alarmEvents.js';
import { AwsInputLog, inputText } from '../support/awsInputLog.js';
import { autoPoolManifest, processPoolManifest } from '../support/poolManifests.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { attachSpecWriteGuard, type SpecWriteGuard } from '../support/specWriteGuard.js';
import { startTestAws, testInstanceId, type TestAws } from '../support/testEnvironment.js';
import { createUserTable, type UserTable } from '../support/userTable.js';

let aws: TestAws;
let harness: ReconcilerHarness;
let user: UserTable;
let guard: SpecWriteGuard;
let inputs: AwsInputLog;

/** Something made outside the controller that it must leave alone, and how to see whether it changed. */
interface Bystander {
  readonly what: string;
  /** Identifiers a mutating call would carry if it targeted this (names, ids, ARNs). */
  readonly identifiers: readonly string[];
  snapshot(): Promise<unknown>;
}

const bystanders: Bystander[] = [];
const before = new Map<string, unknown>();
const orphanTaskDefinitionArns: string[] = [];

beforeAll(async () => {
  aws = await startTestAws();
  harness = createReconcilerHarness(aws);
  user = createUserTable(aws);
  guard = attachSpecWriteGuard(harness.clients.dynamodb);
  inputs = new AwsInputLog().attach(harness.clients.ecs, harness.clients.ec2, harness.clients.cloudwatch);
});

afterAll(async () => {
  expect(guard?.violations()).toEqual([]);
  user?.destroy();
  await aws?.stop();
});

type Tags = Record<string, string>;

function ownedBy(instance: string, pool: string): Tags {
  return {
    [ownershipTagKeys.managedBy]: managedByTagValue,
    [ownershipTagKeys.instance]: instance,
    [ownershipTagKeys.pool]: pool,
  };
}

function sortedTags(tags: readonly { key?: string; value?: string }[] | undefined): [string, string][] {
  return (tags ?? []).map((t): [string, string] => [t.key ?? '', t.value ?? '']).sort();
}

async function securityGroup(name: string, tags: Tags): Promise<Bystander> {
  const { ec2 } = harness.clients;
  const created = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: `look-alike ${name}`,
      VpcId: aws.config.vpcId,
      ...(Object.keys(tags).length > 0
        ? {
            TagSpecifications: [
              {
                ResourceType: 'security-group',
                Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
              },
            ],
          }
        : {}),
    }),
  );
  const groupId = created.GroupId as string;
  // A rule of its own, beside the default allow-all, so a "sync" of its egress would show.
  await ec2.send(
    new AuthorizeSecurityGroupEgressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.9.0.0/16' }] },
      ],
    }),
  );
  return {
    what: `security group ${name}`,
    identifiers: [groupId],
    async snapshot() {
      const found = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
      const group = found.SecurityGroups?.[0];
      return group
        ? {
            name: group.GroupName,
            tags: (group.Tags ?? []).map((t) => [t.Key, t.Value]).sort(),
            egress: JSON.stringify(group.IpPermissionsEgress),
            ingress: JSON.stringify(group.IpPermissions),
          }
        : 'gone';
    },
  };
}

async function taskDefinition(family: string, tags: Tags): Promise<Bystander & { arn: string }> {
  const { ecs } = harness.clients;
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      executionRoleArn: aws.config.executionRoleArn,
      containerDefinitions: [{ name: 'app', image: 'busybox:latest', essential: true }],
      ...(Object.keys(tags).length > 0
        ? { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) }
        : {}),
    }),
  );
  const arn = registered.taskDefinition?.taskDefinitionArn as string;
  return {
    what: `task definition ${arn.split('/').pop()}`,
    identifiers: [arn],
    arn,
    async snapshot() {
      const found = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
      );
      return { status: found.taskDefinition?.status, tags: sortedTags(found.tags) };
    },
  };
}

async function service(
  name: string,
  taskDefinitionArn: string,
  groupId: string,
  tags: Tags,
): Promise<Bystander> {
  const { ecs } = harness.clients;
  const created = await ecs.send(
    new CreateServiceCommand({
      cluster: aws.config.clusterName,
      serviceName: name,
      taskDefinition: taskDefinitionArn,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...aws.config.subnetIds],
          securityGroups: [groupId],
          assignPublicIp: 'DISABLED',
        },
      },
      ...(Object.keys(tags).length > 0
        ? { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) }
        : {}),
    }),
  );
  const arn = created.service?.serviceArn as string;
  return {
    what: `service ${name}`,
    identifiers: [name, arn],
    async snapshot() {
      const found = await ecs.send(
        new DescribeServicesCommand({ cluster: aws.config.clusterName, services: [name], include: ['TAGS'] }),
      );
      const live = found.services?.[0];
      return {
        status: live?.status,
        desiredCount: live?.desiredCount,
        taskDefinition: live?.taskDefinition,
        tags: sortedTags(live?.tags),
        network: JSON.stringify(live?.networkConfiguration),
      };
    },
  };
}

async function alarm(name: string, tags: Tags, state?: 'ALARM'): Promise<Bystander> {
  const { cloudwatch } = harness.clients;
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      AlarmDescription: `look-alike ${name}`,
      Namespace: 'Someone/Else',
      MetricName: 'Queue',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 7,
      ComparisonOperator: 'GreaterThanThreshold',
      ...(Object.keys(tags).length > 0
        ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }
        : {}),
    }),
  );
  if (state) {
    const reasonData = JSON.stringify({ version: '1.0', recentDatapoints: [40], threshold: 7 });
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: name,
        StateValue: state,
        StateReason: 'test',
        StateReasonData: reasonData,
      }),
    );
  }
  const described = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  const arn = described.MetricAlarms?.[0]?.AlarmArn as string;
  return {
    what: `alarm ${name}`,
    identifiers: [name, arn],
    async snapshot() {
      const found = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
      const live = found.MetricAlarms?.[0];
      if (!live) return 'gone';
      const tagged = await cloudwatch.send(new ListAlarmTagsCommand({ ResourceARN: arn }));
      return {
        namespace: live.Namespace,
        metric: live.MetricName,
        threshold: live.Threshold,
        actions: live.AlarmActions,
        description: live.AlarmDescription,
        tags: (tagged.Tags ?? []).map((t) => [t.Key, t.Value]).sort(),
      };
    },
  };
}

/** A pool's full set of look-alike resources: security group, task definition, service, alarms. */
async function lookAlikePool(stem: string, tags: Tags, alarmRoles: readonly string[]): Promise<void> {
  const group = await securityGroup(`${stem}-workers`, tags);
  const definition = await taskDefinition(stem, tags);
  const svc = await service(stem, definition.arn, group.identifiers[0] as string, tags);
  bystanders.push(group, definition, svc);
  for (const role of alarmRoles)
    bystanders.push(await alarm(`${stem}-${role}`, tags, role.includes('scale-out') ? 'ALARM' : undefined));
}

async function serviceStatus(name: string): Promise<string | undefined> {
  const found = await harness.clients.ecs.send(
    new DescribeServicesCommand({ cluster: aws.config.clusterName, services: [name] }),
  );
  return found.services?.[0]?.status;
}

describe('garbage collection and ownership', () => {
  it('sets the scene: another instance, look-alikes of this one, a live pool and a real orphan', async () => {
    // Another controller instance's pool x, fully tagged as its own.
    await lookAlikePool('other-x', ownedBy('other', 'x'), ['backlog-scale-out', 'memory-high']);
    // Resources named like this instance's pool "ghost", which has no spec item: untagged...
    await lookAlikePool(`${testInstanceId}-ghost`, {}, ['memory-high', 'backlog-scale-out']);
    // ...tagged by someone else entirely...
    await lookAlikePool(
      `${testInstanceId}-lookalike`,
      { team: 'data', [ownershipTagKeys.pool]: 'lookalike' },
      ['cpu-scale-in'],
    );
    // ...and tagged as the other instance's, though named like this one's.
    await lookAlikePool(`${testInstanceId}-spoof`, ownedBy('other', 'spoof'), ['no-workers']);

    // A live pool of this instance, with a look-alike alarm beside its own (fixed mode has no scaling alarms).
    await user.putSpec(processPoolManifest('keeper'));
    bystanders.push(await alarm(`${testInstanceId}-keeper-backlog-scale-out`, {}, 'ALARM'));

    // A live pool whose scaling alarm's name someone else took first: a conflict, never a takeover.
    bystanders.push(await alarm(`${testInstanceId}-squatted-backlog-scale-out`, { team: 'data' }));
    await user.putSpec(autoPoolManifest('squatted'));

    // Someone registered a task definition in the orphan's family before the controller did.
    const squatter = await taskDefinition(`${testInstanceId}-orphan`, { team: 'data' });
    bystanders.push(squatter);

    // Each as it was made, before the controller ever ran.
    for (const bystander of bystanders) before.set(bystander.what, await bystander.snapshot());

    // The orphan: created by the controller, then its spec and status items lost.
    await user.putSpec(autoPoolManifest('orphan', { minWorkers: 1 }));
    const schedule = createScheduleHandler(() => harness.deps);
    await schedule({});
    expect(await serviceStatus(`${testInstanceId}-orphan`)).toBe('ACTIVE');
    const family = await harness.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: `${testInstanceId}-orphan` }),
    );
    orphanTaskDefinitionArns.push(family.taskDefinition?.taskDefinitionArn as string);
    expect(orphanTaskDefinitionArns[0]).not.toBe(squatter.arn);
    await user.deleteItem('orphan', 'spec');
    await user.deleteItem('orphan', 'status');

    expect(bystanders.length).toBeGreaterThanOrEqual(20);
    expect([...before.values()].filter((snapshot) => snapshot === 'gone')).toEqual([]);
  });

  it('collects the orphan whole over a few drift passes, and touches nothing else', async () => {
    inputs.clear();
    const schedule = createScheduleHandler(() => harness.deps);
    const handleAlarm = createAlarmHandler(() => harness.deps);

    for (let pass = 0; pass < 3; pass++) {
      await schedule({});
      // Alarm events for look-alikes arrive too (their names parse as this instance's pools).
      for (const name of ['ghost', 'spoof', 'keeper', 'squatted']) {
        await handleAlarm(
          alarmStateChangeEvent({
            alarmName: `${testInstanceId}-${name}-backlog-scale-out`,
            datapoint: 40,
            time: harness.clock.now(),
            id: `event-${pass}-${name}`,
            region: aws.config.region,
          }),
        );
      }
      harness.clock.advance(120_000);
    }

    // The orphan is gone: service, security group, alarms, its own task definition revision.
    const orphan = `${testInstanceId}-orphan`;
    expect(await serviceStatus(orphan)).not.toBe('ACTIVE');
    const groups = await harness.clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [`${orphan}-workers`] }] }),
    );
    expect(groups.SecurityGroups ?? []).toEqual([]);
    const alarms = await harness.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${orphan}-` }),
    );
    expect((alarms.MetricAlarms ?? []).map((a) => a.AlarmName)).toEqual([]);
    const revision = await harness.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: orphanTaskDefinitionArns[0] }),
    );
    expect(revision.taskDefinition?.status).toBe('INACTIVE');
    // The live pools are untouched by collection; the one whose alarm name was taken says so.
    expect(await serviceStatus(`${testInstanceId}-keeper`)).toBe('ACTIVE');
    // (moto starts no tasks, so a pool with workers stays Provisioning; its resources are in sync.)
    expect((await user.readStatus('keeper'))?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Provisioned', status: 'True' }),
    );
    expect((await user.readStatus('squatted'))?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Provisioned', status: 'False', reason: 'NameConflict' }),
    );

    // Every bystander is exactly as it was...
    const changed: string[] = [];
    for (const bystander of bystanders) {
      const now = await bystander.snapshot();
      if (JSON.stringify(now) !== JSON.stringify(before.get(bystander.what)))
        changed.push(
          `${bystander.what}: ${JSON.stringify(before.get(bystander.what))} → ${JSON.stringify(now)}`,
        );
    }
    expect(changed).toEqual([]);
    // ...and no mutating call even named one.
    const aimed = inputs.resourceMutations().flatMap((call) => {
      const text = inputText(call);
      return bystanders
        .filter((b) => b.identifiers.some((id) => text.includes(`"${id}"`)))
        .map((b) => `${call.operation} → ${b.what}`);
    });
    expect(aimed).toEqual([]);
    expect(inputs.resourceMutations().map((call) => call.operation)).toEqual(
      expect.arrayContaining([
        'DeleteService',
        'DeleteSecurityGroup',
        'DeleteAlarms',
        'DeregisterTaskDefinition',
      ]),
    );

    // Collection leaves no status items behind for pools that never had one.
    const statusKeys = (await user.scanAll()).filter((item) => item.sk === 'status').map((item) => item.pk);
    expect(statusKeys.sort()).toEqual(['keeper', 'squatted']);
  }, 60_000);
});

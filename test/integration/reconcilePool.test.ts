/**
 * The reconciler against moto: what a reconcile creates, changes and leaves alone, asserted on the
 * state of the world (moto) and on the status item.
 */
import { DescribeSecurityGroupsCommand, RevokeSecurityGroupEgressCommand } from '@aws-sdk/client-ec2';
import {
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcilePool } from '../../controller/reconciler/reconcilePool.js';
import { processPoolManifest } from '../support/poolManifests.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { startTestAws, type TestAws } from '../support/testEnvironment.js';

let aws: TestAws;
let harness: ReconcilerHarness;
let poolCounter = 0;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws?.stop();
});
beforeEach(() => {
  harness = createReconcilerHarness(aws);
});

/** Each test gets its own pool name, so tests in this file never see each other's resources. */
function newPoolName(): string {
  poolCounter += 1;
  return `pool-${poolCounter}`;
}

async function describeService(name: string) {
  const response = await harness.clients.ecs.send(
    new DescribeServicesCommand({
      cluster: aws.config.clusterName,
      services: [`test-${name}`],
      include: ['TAGS'],
    }),
  );
  return response.services?.find((s) => s.status === 'ACTIVE');
}

async function describeSecurityGroup(name: string) {
  const response = await harness.clients.ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'group-name', Values: [`test-${name}-workers`] }],
    }),
  );
  return response.SecurityGroups?.[0];
}

async function taskDefinitionRevisions(name: string): Promise<string[]> {
  const response = await harness.clients.ecs.send(
    new ListTaskDefinitionsCommand({ familyPrefix: `test-${name}` }),
  );
  return response.taskDefinitionArns ?? [];
}

describe('reconcilePool', () => {
  it('creates the security group, task definition and service of a new pool and reports them in status', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name, { workers: 2, spot: 25 }));

    const result = await reconcilePool(harness.deps, name);

    expect(result.outcome).toBe('done');
    expect([...result.actions].sort()).toEqual([
      'CreateSecurityGroup',
      'CreateService',
      'PutMetricAlarm(2)',
      'RegisterTaskDefinition',
    ]);
    // A fixed pool gets only the health alarms: nothing scales it.
    expect((await harness.readStatus(name))?.resources.alarmNames).toEqual([
      `test-${name}-no-workers`,
      `test-${name}-memory-high`,
    ]);

    const group = await describeSecurityGroup(name);
    expect(group?.VpcId).toBe(aws.config.vpcId);
    expect(group?.IpPermissionsEgress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
      }),
    ]);
    expect(group?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'prefect-ecs-operator:instance', Value: 'test' },
        { Key: 'prefect-ecs-operator:pool', Value: name },
        { Key: 'CostCenter', Value: '1234' },
      ]),
    );

    const service = await describeService(name);
    expect(service?.desiredCount).toBe(2);
    expect(service?.networkConfiguration?.awsvpcConfiguration).toEqual({
      subnets: [...aws.config.subnetIds].sort(),
      securityGroups: [group?.GroupId],
      assignPublicIp: 'DISABLED',
    });
    expect(service?.tags).toEqual(
      expect.arrayContaining([{ key: 'prefect-ecs-operator:pool', value: name }]),
    );

    const { taskDefinition } = await harness.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: service?.taskDefinition }),
    );
    const container = taskDefinition?.containerDefinitions?.[0];
    expect(taskDefinition?.cpu).toBe('512');
    expect(taskDefinition?.memory).toBe('1024');
    expect(taskDefinition?.runtimePlatform?.cpuArchitecture).toBe('ARM64');
    expect(taskDefinition?.executionRoleArn).toBe(aws.config.executionRoleArn);
    expect(container?.command).toEqual([
      'prefect',
      'worker',
      'start',
      '--pool',
      name,
      '--type',
      'process',
      '--with-healthcheck',
      '--work-queue',
      'default',
      '--limit',
      '4',
    ]);
    expect(container?.secrets).toEqual([
      { name: 'DB_PASSWORD', valueFrom: expect.stringContaining('secret:prefect/db-password') },
      { name: 'PREFECT_API_KEY', valueFrom: expect.stringContaining('secret:prefect/api-key') },
    ]);
    // Secrets never travel as plain environment values.
    expect(container?.environment?.map((e) => e.name)).not.toContain('PREFECT_API_KEY');
    expect(container?.environment).toEqual(
      expect.arrayContaining([
        { name: 'LOG_LEVEL', value: 'INFO' },
        { name: 'PREFECT_API_URL', value: 'https://api.prefect.cloud/api/accounts/a/workspaces/w' },
      ]),
    );
    expect(container?.logConfiguration?.options).toEqual({
      'awslogs-group': aws.config.logGroupName,
      'awslogs-region': 'us-east-1',
      'awslogs-stream-prefix': name,
    });
    expect(container?.healthCheck?.command?.join(' ')).toContain('localhost:8080/health');

    const status = await harness.readStatus(name);
    expect(status?.observedGeneration).toBe(1);
    expect(status?.resources).toMatchObject({
      serviceArn: service?.serviceArn,
      taskDefinitionArn: service?.taskDefinition,
      securityGroupId: group?.GroupId,
    });
    expect(status?.workers.desired).toBe(2);
    // moto starts no tasks: a new service reports none running, so the pool is still provisioning.
    expect(status?.phase).toBe('Provisioning');
    expect(status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Valid', status: 'True', reason: 'SpecValid' }),
        expect.objectContaining({ type: 'Provisioned', status: 'True', reason: 'ResourcesInSync' }),
        expect.objectContaining({ type: 'Ready', status: 'False', reason: 'WorkersStarting' }),
      ]),
    );
    expect(status?.lastError).toBeNull();
  });

  it('makes no mutating AWS call when an unchanged pool is reconciled again', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name));
    await reconcilePool(harness.deps, name);
    harness.recorder.clear();

    const second = await reconcilePool(harness.deps, name);

    expect(second.actions).toEqual([]);
    expect(harness.recorder.mutatingCalls()).toEqual([]);
    expect(await taskDefinitionRevisions(name)).toHaveLength(1);
  });

  it('registers a new revision and moves the service to it when the image changes', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name));
    await reconcilePool(harness.deps, name);
    const before = await describeService(name);

    await harness.putSpec(processPoolManifest(name, { image: 'prefecthq/prefect:3.1-python3.12' }));
    const result = await reconcilePool(harness.deps, name);

    const after = await describeService(name);
    expect(result.actions).toEqual([
      'RegisterTaskDefinition',
      expect.stringContaining('UpdateService(taskDefinition'),
    ]);
    expect(after?.taskDefinition).not.toBe(before?.taskDefinition);
    const { taskDefinition } = await harness.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: after?.taskDefinition }),
    );
    expect(taskDefinition?.containerDefinitions?.[0]?.image).toBe('prefecthq/prefect:3.1-python3.12');
    expect(await taskDefinitionRevisions(name)).toHaveLength(2);
    const status = await harness.readStatus(name);
    expect(status?.observedGeneration).toBe(2);
    expect(status?.resources.taskDefinitionArn).toBe(after?.taskDefinition);
  });

  it('registers a revision with the new size when cpu and memory change', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name));
    await reconcilePool(harness.deps, name);

    await harness.putSpec(processPoolManifest(name, { cpu: 1024, memory: 4096 }));
    await reconcilePool(harness.deps, name);

    const service = await describeService(name);
    const { taskDefinition } = await harness.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: service?.taskDefinition }),
    );
    expect(taskDefinition).toMatchObject({ cpu: '1024', memory: '4096' });
  });

  it('changes only the desired count when the fixed worker count changes', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name, { workers: 1 }));
    await reconcilePool(harness.deps, name);
    harness.recorder.clear();

    await harness.putSpec(processPoolManifest(name, { workers: 3 }));
    const result = await reconcilePool(harness.deps, name);

    expect(result.actions).toEqual(['UpdateService(desiredCount 1→3)']);
    expect(harness.awsMutations()).toEqual(['UpdateService']);
    expect((await describeService(name))?.desiredCount).toBe(3);
    // moto reports running = desired after an update, so the pool reads as Ready.
    const status = await harness.readStatus(name);
    expect(status?.workers).toEqual({ desired: 3, running: 3, pending: 0 });
    expect(status?.phase).toBe('Ready');
  });

  it('marks an invalid spec Invalid with path-specific messages and creates nothing', async () => {
    const name = newPoolName();
    const manifest = processPoolManifest(name, { cpu: 512, memory: 512 });
    (manifest.spec as { worker: { env: Record<string, string> } }).worker.env.GITHUB_TOKEN = 'ghp_plaintext';

    await harness.putSpec(manifest);
    harness.recorder.clear();
    const invalid = await reconcilePool(harness.deps, name);

    expect(invalid.phase).toBe('Invalid');
    expect(harness.awsMutations()).toEqual([]);
    expect(harness.recorder.calls.filter((c) => c.service === 'ECS' || c.service === 'EC2')).toEqual([]);
    expect(await describeService(name)).toBeUndefined();
    expect(await describeSecurityGroup(name)).toBeUndefined();
    const status = await harness.readStatus(name);
    expect(status?.phase).toBe('Invalid');
    expect(status?.validationErrors).toEqual(
      expect.arrayContaining([
        {
          path: 'spec.worker.memory',
          message: expect.stringContaining('not a valid Fargate size for cpu 512'),
        },
        { path: 'spec.worker.env.GITHUB_TOKEN', message: expect.stringContaining('spec.worker.secrets') },
      ]),
    );
    expect(JSON.stringify(status)).not.toContain('ghp_plaintext');
  });

  it('restores a service deleted outside the controller', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name));
    await reconcilePool(harness.deps, name);
    await harness.clients.ecs.send(
      new DeleteServiceCommand({ cluster: aws.config.clusterName, service: `test-${name}`, force: true }),
    );

    const result = await reconcilePool(harness.deps, name);

    expect(result.actions).toEqual(['CreateService']);
    expect(result.driftCorrections).toBe(1);
    expect((await describeService(name))?.desiredCount).toBe(1);
  });

  it('restores a desired count changed outside the controller', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name, { workers: 2 }));
    await reconcilePool(harness.deps, name);
    await harness.clients.ecs.send(
      new UpdateServiceCommand({ cluster: aws.config.clusterName, service: `test-${name}`, desiredCount: 7 }),
    );

    const result = await reconcilePool(harness.deps, name);

    expect(result.actions).toEqual(['UpdateService(desiredCount 7→2)']);
    expect((await describeService(name))?.desiredCount).toBe(2);
  });

  it('restores security group egress changed outside the controller', async () => {
    const name = newPoolName();
    await harness.putSpec(
      processPoolManifest(name, {
        egress: [
          { port: 443, cidr: '0.0.0.0/0' },
          { fromPort: 5432, toPort: 5433, cidr: '10.42.0.0/16', description: 'database' },
        ],
      }),
    );
    await reconcilePool(harness.deps, name);
    const group = await describeSecurityGroup(name);
    await harness.clients.ec2.send(
      new RevokeSecurityGroupEgressCommand({
        GroupId: group?.GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );

    const result = await reconcilePool(harness.deps, name);

    expect(result.actions).toEqual(['UpdateSecurityGroupEgress']);
    const restored = await describeSecurityGroup(name);
    const rules = (restored?.IpPermissionsEgress ?? [])
      .map((p) => `${p.IpProtocol}:${p.FromPort}-${p.ToPort}`)
      .sort();
    expect(rules).toEqual(['tcp:443-443', 'tcp:5432-5433']);
  });

  it('deletes every resource of a pool whose spec item is deleted, then its status', async () => {
    const name = newPoolName();
    await harness.putSpec(processPoolManifest(name));
    await reconcilePool(harness.deps, name);

    await harness.deleteSpec(name);
    const result = await reconcilePool(harness.deps, name);

    expect(result.outcome).toBe('done');
    expect([...result.actions].sort()).toEqual([
      'DeleteAlarms',
      'DeleteSecurityGroup',
      'DeleteService',
      'DeregisterTaskDefinition',
    ]);
    const alarms = await harness.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `test-${name}-` }),
    );
    expect(alarms.MetricAlarms).toEqual([]);
    expect(await describeService(name)).toBeUndefined();
    expect(await describeSecurityGroup(name)).toBeUndefined();
    expect(await harness.readStatus(name)).toBeUndefined();
  });
});

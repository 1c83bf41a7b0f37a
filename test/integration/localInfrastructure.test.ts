import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolTableKeys, poolTableStreamView } from '../../controller/api/tableContract.js';
import {
  controllerConfigToEnvironment,
  loadControllerConfig,
} from '../../controller/config/controllerConfig.js';
import {
  localControllerConfig,
  localInfrastructureTagKey,
  provisionLocalInfrastructure,
} from '../../controller/local/localInfrastructure.js';
import { startMotoServer, type MotoServer } from '../../controller/local/motoServer.js';
import { startTestAws, testInstanceId, type TestAws } from '../support/testEnvironment.js';

function clientsFor(endpoint: string) {
  const config = { endpoint, region: 'us-east-1' };
  return {
    ec2: new EC2Client(config),
    ecs: new ECSClient(config),
    dynamodb: new DynamoDBClient(config),
    streams: new DynamoDBStreamsClient(config),
    logs: new CloudWatchLogsClient(config),
    iam: new IAMClient(config),
    secrets: new SecretsManagerClient(config),
  };
}

describe('provisionLocalInfrastructure', () => {
  let aws: TestAws;
  let clients: ReturnType<typeof clientsFor>;

  beforeAll(async () => {
    aws = await startTestAws();
    clients = clientsFor(aws.endpoint);
  });

  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await aws?.stop();
  });

  it('creates two private subnets in different Availability Zones of the 10.42.0.0/16 VPC', async () => {
    // Prepare / act: provisioned in beforeAll.
    const { infra } = aws;

    const [vpcs, subnets] = await Promise.all([
      clients.ec2.send(new DescribeVpcsCommand({ VpcIds: [infra.vpcId] })),
      clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: infra.subnetIds })),
    ]);

    // Assess
    expect(vpcs.Vpcs?.[0]?.CidrBlock).toBe('10.42.0.0/16');
    expect(subnets.Subnets).toHaveLength(2);
    expect(subnets.Subnets?.every((subnet) => subnet.VpcId === infra.vpcId)).toBe(true);
    expect(subnets.Subnets?.every((subnet) => subnet.MapPublicIpOnLaunch === false)).toBe(true);
    expect(new Set(subnets.Subnets?.map((subnet) => subnet.AvailabilityZone)).size).toBe(2);
  });

  it('creates an ACTIVE cluster offering FARGATE and FARGATE_SPOT', async () => {
    const { infra } = aws;

    const described = await clients.ecs.send(new DescribeClustersCommand({ clusters: [infra.clusterName] }));

    const cluster = described.clusters?.[0];
    expect(cluster?.status).toBe('ACTIVE');
    expect(cluster?.capacityProviders).toEqual(expect.arrayContaining(['FARGATE', 'FARGATE_SPOT']));
  });

  it('creates the pool table keyed by pk and sk with a stream of old and new images', async () => {
    const { infra } = aws;

    const { Table: table } = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: infra.tableName }),
    );

    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table?.KeySchema).toEqual([
      { AttributeName: poolTableKeys.partitionKey, KeyType: 'HASH' },
      { AttributeName: poolTableKeys.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: poolTableStreamView });
    expect(table?.LatestStreamArn).toBe(infra.tableStreamArn);
  });

  it('streams a spec item written to the pool table', async () => {
    // Prepare
    const { infra } = aws;
    const shards = await clients.streams.send(new DescribeStreamCommand({ StreamArn: infra.tableStreamArn }));
    const shardId = shards.StreamDescription?.Shards?.[0]?.ShardId;

    // Act
    await clients.dynamodb.send(
      new PutItemCommand({
        TableName: infra.tableName,
        Item: {
          pk: { S: 'streamed' },
          sk: { S: poolTableKeys.specSortKey },
          kind: { S: 'PrefectWorkerPool' },
        },
      }),
    );
    const { ShardIterator } = await clients.streams.send(
      new GetShardIteratorCommand({
        StreamArn: infra.tableStreamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const { Records } = await clients.streams.send(new GetRecordsCommand({ ShardIterator }));

    // Assess
    expect(Records?.map((record) => [record.eventName, record.dynamodb?.Keys?.pk?.S])).toContainEqual([
      'INSERT',
      'streamed',
    ]);
  });

  it('stores a readable dummy Prefect API key under the allowed secret prefix', async () => {
    const { infra } = aws;

    const secret = await clients.secrets.send(
      new GetSecretValueCommand({ SecretId: infra.exampleSecretArn }),
    );

    expect(infra.allowedSecretArnPrefix).toBe(
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect/',
    );
    expect(infra.exampleSecretArn.startsWith(`${infra.allowedSecretArnPrefix}api-key-`)).toBe(true);
    expect(secret.SecretString).toMatch(/\S/);
  });

  it('creates the worker log group and two roles that ECS tasks can assume', async () => {
    const { infra } = aws;

    const [groups, ...roles] = await Promise.all([
      clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: infra.logGroupName })),
      ...[infra.executionRoleArn, infra.workerTaskRoleArn].map((arn) =>
        clients.iam.send(new GetRoleCommand({ RoleName: arn.split('/').at(-1) })),
      ),
    ]);

    expect(groups.logGroups?.map((group) => group.logGroupName)).toContain(infra.logGroupName);
    for (const { Role: role } of roles) {
      // moto returns the trust policy URL-encoded, as the IAM API itself does.
      const trust = decodeURIComponent(role?.AssumeRolePolicyDocument ?? '');
      expect(JSON.parse(trust).Statement[0].Principal.Service).toBe('ecs-tasks.amazonaws.com');
    }
  });

  it('gives a controller config that survives the trip through the Lambda environment', () => {
    const { config, infra } = aws;

    const reloaded = loadControllerConfig(controllerConfigToEnvironment(config));

    expect(reloaded).toEqual(config);
    expect(config).toMatchObject({
      instanceId: testInstanceId,
      vpcId: infra.vpcId,
      subnetIds: infra.subnetIds,
      allowedTaskRoleArns: [infra.workerTaskRoleArn],
      defaultWorkerTaskRoleArn: infra.workerTaskRoleArn,
    });
  });

  it('reuses everything when provisioned again with the same prefix', async () => {
    // Act
    const again = await provisionLocalInfrastructure({ endpoint: aws.endpoint, instanceId: testInstanceId });

    // Assess
    expect(again).toEqual(aws.infra);
    const vpcs = await clients.ec2.send(
      new DescribeVpcsCommand({
        Filters: [
          { Name: `tag:${localInfrastructureTagKey}`, Values: [`prefect-ecs-operator-${testInstanceId}`] },
        ],
      }),
    );
    expect(vpcs.Vpcs).toHaveLength(1);
  });

  it('provisions a second, separate set of infrastructure under another prefix', async () => {
    const other = await provisionLocalInfrastructure({ endpoint: aws.endpoint, instanceId: 'other' });

    expect(other.vpcId).not.toBe(aws.infra.vpcId);
    expect(other.tableName).not.toBe(aws.infra.tableName);
    expect(other.clusterName).not.toBe(aws.infra.clusterName);
    // The secret is shared by name: both instances may use it.
    expect(other.exampleSecretArn).toBe(aws.infra.exampleSecretArn);
  });
});

describe('provisionLocalInfrastructure after a moto reset', () => {
  let moto: MotoServer;

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'testing';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
    moto = await startMotoServer();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it('creates everything anew instead of returning what the reset removed', async () => {
    // Prepare
    const before = await provisionLocalInfrastructure({ endpoint: moto.endpoint });
    await moto.reset();

    // Act
    const after = await provisionLocalInfrastructure({ endpoint: moto.endpoint });

    // Assess
    expect(after.vpcId).not.toBe(before.vpcId);
    const ec2 = new EC2Client({ endpoint: moto.endpoint, region: 'us-east-1' });
    try {
      const { Subnets } = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: after.subnetIds }));
      expect(Subnets).toHaveLength(2);
    } finally {
      ec2.destroy();
    }
    expect(() => localControllerConfig(after, 'local')).not.toThrow();
  });
});

/**
 * The local stand-in for the CDK base stack (VPC, cluster, logs, table, roles, a Prefect secret),
 * created in moto so the local runner and the integration tests have the same things to point the
 * controller at as a deployment has. Everything is found by name or tag before it is created, so
 * provisioning again against the same moto reuses what is there.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException as TableNotFoundException,
  UpdateTableCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Tag as Ec2Tag,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  ECSClient,
  PutClusterCapacityProvidersCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateRoleCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ResourceExistsException,
  ResourceNotFoundException as SecretNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { poolTableKeys, poolTableStreamView } from '../api/tableContract.js';
import {
  controllerConfigToEnvironment,
  loadControllerConfig,
  type ControllerConfig,
} from '../config/controllerConfig.js';

export interface LocalInfrastructure {
  readonly region: string;
  readonly vpcId: string;
  /** Two private subnets in two Availability Zones. */
  readonly subnetIds: string[];
  readonly clusterName: string;
  readonly logGroupName: string;
  readonly tableName: string;
  readonly tableStreamArn: string;
  readonly executionRoleArn: string;
  readonly workerTaskRoleArn: string;
  /** `arn:aws:secretsmanager:<region>:<account>:secret:prefect/` */
  readonly allowedSecretArnPrefix: string;
  /** `prefect/api-key`, holding a dummy key, under the allowed prefix. */
  readonly exampleSecretArn: string;
}

export interface LocalInfrastructureOptions {
  /** moto's address, e.g. from startMotoServer(). */
  readonly endpoint: string;
  /** Default us-east-1. */
  readonly region?: string;
  /** Prefix of every name; default `prefect-ecs-operator-<instanceId>`. */
  readonly namePrefix?: string;
  /** Default `local`. */
  readonly instanceId?: string;
}

/** Provisioning found something it cannot reuse (e.g. a table with another key schema). */
export class LocalInfrastructureError extends Error {
  override readonly name = 'LocalInfrastructureError';
}

/**
 * Marks base resources with a tag key of their own, not the controller's ownership tags, so the
 * controller's garbage collection can never mistake the base for an orphaned pool resource.
 */
export const localInfrastructureTagKey = 'prefect-ecs-operator:local-infrastructure';

export const exampleSecretName = 'prefect/api-key';
const secretPrefixPath = 'prefect/';
const vpcCidr = '10.42.0.0/16';
const subnetCidrs = ['10.42.0.0/20', '10.42.16.0/20'] as const;
const ecsTasksTrustPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

export async function provisionLocalInfrastructure(
  options: LocalInfrastructureOptions,
): Promise<LocalInfrastructure> {
  const region = options.region ?? 'us-east-1';
  const instanceId = options.instanceId ?? 'local';
  const prefix = options.namePrefix ?? `prefect-ecs-operator-${instanceId}`;
  const clientConfig = {
    endpoint: options.endpoint,
    region,
    // moto accepts any signature; explicit dummies keep the SDK from searching (and waiting on) the
    // instance metadata service when the environment has no credentials.
    ...(process.env.AWS_ACCESS_KEY_ID
      ? {}
      : { credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }),
  };
  const clients = {
    ec2: new EC2Client(clientConfig),
    ecs: new ECSClient(clientConfig),
    dynamodb: new DynamoDBClient(clientConfig),
    iam: new IAMClient(clientConfig),
    logs: new CloudWatchLogsClient(clientConfig),
    secrets: new SecretsManagerClient(clientConfig),
  };
  const tags = { [localInfrastructureTagKey]: prefix };
  const names = {
    cluster: prefix,
    logGroup: `/${prefix}/workers`,
    table: `${prefix}-pools`,
    executionRole: `${prefix}-task-execution`,
    workerTaskRole: `${prefix}-worker-task`,
  };

  try {
    // Nothing here depends on anything else (beyond subnets on their VPC and the execution role's
    // policy on the role), so it all runs at once.
    const [network, , , table, executionRoleArn, workerTaskRoleArn, exampleSecretArn] = await Promise.all([
      ensureNetwork(clients.ec2, prefix, tags),
      ensureCluster(clients.ecs, names.cluster, tags),
      ensureLogGroup(clients.logs, names.logGroup, tags),
      createPoolTable(clients.dynamodb, names.table, { tags }),
      ensureRole(clients.iam, names.executionRole, tags).then(async (arn) => {
        await putExecutionRolePolicy(
          clients.iam,
          names.executionRole,
          region,
          accountOfArn(arn),
          names.logGroup,
        );
        return arn;
      }),
      ensureRole(clients.iam, names.workerTaskRole, tags),
      ensureSecret(clients.secrets, exampleSecretName, tags),
    ]);
    const allowedSecretArnPrefix = secretArnPrefix(region, accountOfArn(executionRoleArn));
    return {
      region,
      vpcId: network.vpcId,
      subnetIds: network.subnetIds,
      clusterName: names.cluster,
      logGroupName: names.logGroup,
      tableName: names.table,
      tableStreamArn: table.streamArn,
      executionRoleArn,
      workerTaskRoleArn,
      allowedSecretArnPrefix,
      exampleSecretArn,
    };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
}

/** The controller configuration that points at this infrastructure, checked like the Lambda's own. */
export function localControllerConfig(
  infra: LocalInfrastructure,
  instanceId: string,
  overrides: Partial<Pick<ControllerConfig, 'prefectApiAccess' | 'healthTopicArn'>> = {},
): ControllerConfig {
  const unchecked: ControllerConfig = {
    instanceId,
    region: infra.region,
    tableName: infra.tableName,
    clusterName: infra.clusterName,
    vpcId: infra.vpcId,
    subnetIds: infra.subnetIds,
    logGroupName: infra.logGroupName,
    executionRoleArn: infra.executionRoleArn,
    allowedTaskRoleArns: [infra.workerTaskRoleArn],
    defaultWorkerTaskRoleArn: infra.workerTaskRoleArn,
    allowedSecretArnPrefix: infra.allowedSecretArnPrefix,
    // Local runs never reach the internet: Prefect is off unless a local URL is given.
    healthTopicArn: overrides.healthTopicArn,
    prefectApiAccess: overrides.prefectApiAccess ?? { kind: 'disabled' },
    reconcileConcurrency: 8,
    deadlineSafetyMs: 10_000,
  };
  // Round-tripping through the environment applies the deployed validation, so an id format moto
  // invents that a real deployment would reject fails here, not deep inside a test.
  return loadControllerConfig(controllerConfigToEnvironment(unchecked));
}

/**
 * Creates the pool table of the table contract (pk/sk strings, on-demand, stream with old and new
 * images), or returns the existing one, enabling its stream if it has none.
 */
export async function createPoolTable(
  dynamodb: DynamoDBClient,
  tableName: string,
  options: { tags?: Record<string, string> } = {},
): Promise<{ tableArn: string; streamArn: string }> {
  let table = await describeTable(dynamodb, tableName);
  if (!table) {
    try {
      const created = await dynamodb.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: poolTableKeys.partitionKey, AttributeType: 'S' },
            { AttributeName: poolTableKeys.sortKey, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: poolTableKeys.partitionKey, KeyType: 'HASH' },
            { AttributeName: poolTableKeys.sortKey, KeyType: 'RANGE' },
          ],
          StreamSpecification: { StreamEnabled: true, StreamViewType: poolTableStreamView },
          Tags: toKeyValueTags(options.tags ?? {}),
        }),
      );
      table = created.TableDescription;
    } catch (error) {
      // Someone created it between our describe and create: use theirs.
      if (!(error instanceof ResourceInUseException)) throw error;
      table = await describeTable(dynamodb, tableName);
    }
  }
  table = await waitUntilTableActive(dynamodb, tableName, table);
  checkKeySchema(tableName, table);

  const stream = table.StreamSpecification;
  if (!stream?.StreamEnabled || !table.LatestStreamArn) {
    const updated = await dynamodb.send(
      new UpdateTableCommand({
        TableName: tableName,
        StreamSpecification: { StreamEnabled: true, StreamViewType: poolTableStreamView },
      }),
    );
    table = await waitUntilTableActive(dynamodb, tableName, updated.TableDescription);
  } else if (stream.StreamViewType !== poolTableStreamView) {
    throw new LocalInfrastructureError(
      `table ${tableName} streams ${stream.StreamViewType}, the controller needs ${poolTableStreamView}`,
    );
  }
  if (!table.TableArn || !table.LatestStreamArn) {
    throw new LocalInfrastructureError(`table ${tableName} has no ARN or stream ARN after creation`);
  }
  return { tableArn: table.TableArn, streamArn: table.LatestStreamArn };
}

async function describeTable(
  dynamodb: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof TableNotFoundException) return undefined;
    throw error;
  }
}

/** moto answers ACTIVE at once; real DynamoDB takes seconds, which is why this polls at all. */
async function waitUntilTableActive(
  dynamodb: DynamoDBClient,
  tableName: string,
  known: TableDescription | undefined,
  timeoutMs = 120_000,
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  let table = known;
  while (table?.TableStatus !== 'ACTIVE') {
    if (Date.now() > deadline) {
      throw new LocalInfrastructureError(`table ${tableName} did not become ACTIVE within ${timeoutMs} ms`);
    }
    if (table) await sleep(500);
    table = await describeTable(dynamodb, tableName);
  }
  return table;
}

function checkKeySchema(tableName: string, table: TableDescription): void {
  const key = (type: 'HASH' | 'RANGE') => table.KeySchema?.find((k) => k.KeyType === type)?.AttributeName;
  if (key('HASH') !== poolTableKeys.partitionKey || key('RANGE') !== poolTableKeys.sortKey) {
    throw new LocalInfrastructureError(
      `table ${tableName} exists with key (${key('HASH')}, ${key('RANGE')}), ` +
        `the table contract needs (${poolTableKeys.partitionKey}, ${poolTableKeys.sortKey})`,
    );
  }
}

async function ensureNetwork(
  ec2: EC2Client,
  prefix: string,
  tags: Record<string, string>,
): Promise<{ vpcId: string; subnetIds: string[] }> {
  const [vpcId, zones] = await Promise.all([
    ensureVpc(ec2, `${prefix}-vpc`, tags),
    twoAvailabilityZones(ec2),
  ]);
  const subnetIds = await Promise.all(
    subnetCidrs.map((cidr, index) =>
      ensureSubnet(ec2, vpcId, `${prefix}-private-${index + 1}`, cidr, zones[index] as string, tags),
    ),
  );
  return { vpcId, subnetIds };
}

async function ensureVpc(ec2: EC2Client, name: string, tags: Record<string, string>): Promise<string> {
  const existing = await ec2.send(new DescribeVpcsCommand({ Filters: byName(name, tags) }));
  const found = existing.Vpcs?.[0]?.VpcId;
  if (found) return found;
  const created = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: vpcCidr,
      TagSpecifications: [{ ResourceType: 'vpc', Tags: toEc2Tags(name, tags) }],
    }),
  );
  return required(created.Vpc?.VpcId, 'CreateVpc returned no VpcId');
}

async function twoAvailabilityZones(ec2: EC2Client): Promise<[string, string]> {
  const answer = await ec2.send(
    new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] }),
  );
  const zones = (answer.AvailabilityZones ?? [])
    .filter((zone) => (zone.ZoneType ?? 'availability-zone') === 'availability-zone')
    .map((zone) => zone.ZoneName)
    .filter((name): name is string => typeof name === 'string')
    .sort();
  const [first, second] = zones;
  if (!first || !second)
    throw new LocalInfrastructureError('the region offers fewer than two Availability Zones');
  return [first, second];
}

async function ensureSubnet(
  ec2: EC2Client,
  vpcId: string,
  name: string,
  cidr: string,
  zone: string,
  tags: Record<string, string>,
): Promise<string> {
  const existing = await ec2.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, ...byName(name, tags)] }),
  );
  const found = existing.Subnets?.[0]?.SubnetId;
  if (found) return found;
  // Private: no route to an internet gateway and no public IPs on launch (the default for new subnets).
  const created = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: cidr,
      AvailabilityZone: zone,
      TagSpecifications: [{ ResourceType: 'subnet', Tags: toEc2Tags(name, tags) }],
    }),
  );
  return required(created.Subnet?.SubnetId, 'CreateSubnet returned no SubnetId');
}

async function ensureCluster(ecs: ECSClient, name: string, tags: Record<string, string>): Promise<void> {
  // Describe first: moto's CreateCluster on an existing name replaces the cluster (dropping its tags
  // and capacity providers) where AWS would return the existing one.
  const existing = await ecs.send(new DescribeClustersCommand({ clusters: [name] }));
  let cluster = existing.clusters?.find((c) => c.status === 'ACTIVE');
  if (!cluster) {
    const created = await ecs.send(
      new CreateClusterCommand({
        clusterName: name,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      }),
    );
    cluster = created.cluster;
  }
  const providers = cluster?.capacityProviders ?? [];
  if (providers.includes('FARGATE') && providers.includes('FARGATE_SPOT')) return;
  try {
    await ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: name,
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      }),
    );
  } catch {
    // Capacity providers only shape placement, which moto does not simulate; an emulator that
    // rejects the call still gives a usable cluster.
  }
}

async function ensureLogGroup(
  logs: CloudWatchLogsClient,
  name: string,
  tags: Record<string, string>,
): Promise<void> {
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
}

/** A role ECS tasks can assume; returns its ARN. */
async function ensureRole(iam: IAMClient, name: string, tags: Record<string, string>): Promise<string> {
  const existing = await getRoleArn(iam, name);
  if (existing) return existing;
  try {
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: ecsTasksTrustPolicy,
        Tags: toKeyValueTags(tags),
      }),
    );
    return required(created.Role?.Arn, 'CreateRole returned no Arn');
  } catch (error) {
    if (!(error instanceof EntityAlreadyExistsException)) throw error;
    return required(await getRoleArn(iam, name), `role ${name} exists but cannot be read`);
  }
}

/** Not used by moto, which authorizes nothing; it documents what the real execution role is granted. */
async function putExecutionRolePolicy(
  iam: IAMClient,
  roleName: string,
  region: string,
  account: string,
  logGroupName: string,
): Promise<void> {
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'worker-logs-and-secrets',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `arn:aws:logs:${region}:${account}:log-group:${logGroupName}:*`,
          },
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: `${secretArnPrefix(region, account)}*`,
          },
        ],
      }),
    }),
  );
}

async function getRoleArn(iam: IAMClient, name: string): Promise<string | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.Arn;
  } catch (error) {
    if (error instanceof NoSuchEntityException) return undefined;
    throw error;
  }
}

/** The Prefect API key secret pools reference; returns its full ARN (with the random suffix). */
async function ensureSecret(
  secrets: SecretsManagerClient,
  name: string,
  tags: Record<string, string>,
): Promise<string> {
  const existing = await describeSecretArn(secrets, name);
  if (existing) return existing;
  try {
    const created = await secrets.send(
      new CreateSecretCommand({
        Name: name,
        Description: 'Dummy Prefect API key for local runs',
        SecretString: 'pnu_local_dummy_api_key',
        Tags: toKeyValueTags(tags),
      }),
    );
    return required(created.ARN, 'CreateSecret returned no ARN');
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    return required(await describeSecretArn(secrets, name), `secret ${name} exists but cannot be read`);
  }
}

async function describeSecretArn(secrets: SecretsManagerClient, name: string): Promise<string | undefined> {
  try {
    return (await secrets.send(new DescribeSecretCommand({ SecretId: name }))).ARN;
  } catch (error) {
    if (error instanceof SecretNotFoundException) return undefined;
    throw error;
  }
}

function secretArnPrefix(region: string, account: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${secretPrefixPath}`;
}

function accountOfArn(arn: string): string {
  const account = arn.split(':')[4];
  if (!account || !/^\d{12}$/.test(account)) {
    throw new LocalInfrastructureError(`cannot read an account id from ${arn}`);
  }
  return account;
}

function byName(name: string, tags: Record<string, string>): { Name: string; Values: string[] }[] {
  return [
    { Name: 'tag:Name', Values: [name] },
    ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
  ];
}

function toEc2Tags(name: string, tags: Record<string, string>): Ec2Tag[] {
  return [{ Key: 'Name', Value: name }, ...toKeyValueTags(tags)];
}

function toKeyValueTags(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

function required<T>(value: T | undefined, problem: string): T {
  if (value === undefined) throw new LocalInfrastructureError(problem);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

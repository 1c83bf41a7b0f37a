import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  ECSClient,
  ListClustersCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
// Every SDK client depends on @aws-sdk/core; its protocols stand in for a CBOR-speaking client.
import { AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awsQuotaBuckets, quotaLowerBoundSeconds, type QuotaBucket } from '../support/awsQuotas.js';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js';
import { startTestAws, type TestAws } from '../support/testEnvironment.js';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The error a rejected promise carries, for assertions on its name and metadata. */
async function failureOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

function httpStatusOf(error: Record<string, unknown>): number | undefined {
  return (error.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const taskDefinition = {
  family: 'fault-proxy-quota',
  containerDefinitions: [{ name: 'main', image: 'busybox', memory: 128 }],
};

function bucketNamed(name: string): QuotaBucket {
  const bucket = awsQuotaBuckets.find((candidate) => candidate.name === name);
  if (bucket === undefined) throw new Error(`no quota bucket ${name}`);
  return bucket;
}

describe('fault proxy between the SDK and moto', () => {
  let aws: TestAws;
  let proxy: FaultProxy;
  let config: { endpoint: string; region: string; credentials: typeof credentials; maxAttempts: number };
  let dynamodb: DynamoDBClient;
  let ecs: ECSClient;
  let ec2: EC2Client;
  let cloudwatch: CloudWatchClient;
  let secrets: SecretsManagerClient;

  beforeAll(async () => {
    aws = await startTestAws();
    proxy = await startFaultProxy(aws.endpoint, { seed: 7 });
    // One attempt: every injected fault reaches the test instead of being retried away.
    config = { endpoint: proxy.endpoint, region: aws.infra.region, credentials, maxAttempts: 1 };
    dynamodb = new DynamoDBClient(config);
    ecs = new ECSClient(config);
    ec2 = new EC2Client(config);
    cloudwatch = new CloudWatchClient(config);
    secrets = new SecretsManagerClient(config);
  });

  afterEach(() => {
    proxy.clearFaults();
    proxy.stopQuotas();
    proxy.resetLog();
  });

  afterAll(async () => {
    for (const client of [dynamodb, ecs, ec2, cloudwatch, secrets]) client?.destroy();
    await proxy?.close();
    await aws?.stop();
  });

  it('logs the service and operation of every protocol the clients speak', async () => {
    await dynamodb.send(new DescribeTableCommand({ TableName: aws.infra.tableName }));
    await ecs.send(new DescribeClustersCommand({ clusters: [aws.infra.clusterName] }));
    await ec2.send(new DescribeVpcsCommand({ VpcIds: [aws.infra.vpcId] }));
    await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'none-' }));
    await secrets.send(new DescribeSecretCommand({ SecretId: aws.infra.exampleSecretArn }));

    expect(
      proxy.log.map(({ service, operation, protocol, status, forwarded }) => ({
        service,
        operation,
        protocol,
        status,
        forwarded,
      })),
    ).toEqual([
      { service: 'DynamoDB', operation: 'DescribeTable', protocol: 'json', status: 200, forwarded: true },
      { service: 'ECS', operation: 'DescribeClusters', protocol: 'json', status: 200, forwarded: true },
      { service: 'EC2', operation: 'DescribeVpcs', protocol: 'ec2-query', status: 200, forwarded: true },
      { service: 'CloudWatch', operation: 'DescribeAlarms', protocol: 'json', status: 200, forwarded: true },
      {
        service: 'SecretsManager',
        operation: 'DescribeSecret',
        protocol: 'json',
        status: 200,
        forwarded: true,
      },
    ]);
  });

  it('identifies Smithy RPC v2 CBOR calls and answers them with CBOR errors the SDK decodes', async () => {
    // The CloudWatch SDK in use speaks JSON 1.0 (and moto 5.2 serves CloudWatch in no CBOR); a client
    // on the RPC v2 CBOR protocol stands for a newer SDK, and only injected answers are asserted.
    const cborCloudWatch = new CloudWatchClient({ ...config, protocol: AwsSmithyRpcV2CborProtocol });
    proxy.inject({ service: 'CloudWatch', fault: 'throttle', count: 1 });
    proxy.inject({ service: 'CloudWatch', fault: 'server-error', count: 1 });

    const throttled = await failureOf(cborCloudWatch.send(new DescribeAlarmsCommand({})));
    const failed = await failureOf(
      cborCloudWatch.send(new PutMetricDataCommand({ Namespace: 'n', MetricData: [] })),
    );
    cborCloudWatch.destroy();

    expect({ name: throttled.name, status: httpStatusOf(throttled) }).toEqual({
      name: 'Throttling',
      status: 400,
    });
    expect({ name: failed.name, status: httpStatusOf(failed) }).toEqual({
      name: 'InternalServiceFault',
      status: 500,
    });
    expect(proxy.log.map(({ service, operation, protocol }) => ({ service, operation, protocol }))).toEqual([
      { service: 'CloudWatch', operation: 'DescribeAlarms', protocol: 'rpcv2-cbor' },
      { service: 'CloudWatch', operation: 'PutMetricData', protocol: 'rpcv2-cbor' },
    ]);
  });

  it('throttles by count with each service’s own throttling error, then lets calls pass', async () => {
    const cases = [
      {
        operation: 'DescribeTable',
        expected: { name: 'ThrottlingException', status: 400 },
        call: () => dynamodb.send(new DescribeTableCommand({ TableName: aws.infra.tableName })),
      },
      {
        operation: 'ListClusters',
        expected: { name: 'ThrottlingException', status: 400 },
        call: () => ecs.send(new ListClustersCommand({})),
      },
      {
        operation: 'DescribeVpcs',
        expected: { name: 'RequestLimitExceeded', status: 503 },
        call: () => ec2.send(new DescribeVpcsCommand({ VpcIds: [aws.infra.vpcId] })),
      },
      {
        operation: 'DescribeAlarms',
        expected: { name: 'Throttling', status: 400 },
        call: () => cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'none-' })),
      },
    ];
    for (const { operation, expected, call } of cases) {
      proxy.inject({ operation, fault: 'throttle', count: 1 });

      const error = await failureOf(call());
      await call();

      expect({ name: error.name, status: httpStatusOf(error) }, operation).toEqual(expected);
    }
    expect(proxy.throttledCount()).toBe(4);
    expect(proxy.throttledCount({ service: 'EC2' })).toBe(1);
    expect(proxy.log.filter((call) => call.injected === undefined && call.status === 200)).toHaveLength(4);
  });

  it('lets the SDK’s default retries absorb a single throttle in a second attempt', async () => {
    const retrying = new ECSClient({ ...config, maxAttempts: 3 });
    proxy.inject({ service: 'ECS', operation: 'DescribeClusters', fault: 'throttle', count: 1 });

    const response = await retrying.send(new DescribeClustersCommand({ clusters: [aws.infra.clusterName] }));
    retrying.destroy();

    expect(response.clusters?.[0]?.clusterName).toBe(aws.infra.clusterName);
    expect(response.$metadata.attempts).toBe(2);
    expect(proxy.log.map(({ status, injected }) => ({ status, injected }))).toEqual([
      { status: 400, injected: 'throttle' },
      { status: 200, injected: undefined },
    ]);
  });

  it('answers server errors with the service’s 500 and 503 codes', async () => {
    proxy.inject({ service: 'DynamoDB', operation: 'GetItem', fault: 'server-error', count: 1 });
    proxy.inject({ service: 'ECS', fault: 'server-error', status: 503, count: 1 });

    const internal = await failureOf(
      dynamodb.send(
        new GetItemCommand({ TableName: aws.infra.tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
      ),
    );
    const unavailable = await failureOf(ecs.send(new ListClustersCommand({})));

    expect({ name: internal.name, status: httpStatusOf(internal) }).toEqual({
      name: 'InternalServerError',
      status: 500,
    });
    expect({ name: unavailable.name, status: httpStatusOf(unavailable) }).toEqual({
      name: 'ServiceUnavailable',
      status: 503,
    });
  });

  it('delays an answer by the rule’s milliseconds', async () => {
    proxy.inject({ operation: 'ListClusters', fault: 'delay', ms: 250, count: 1 });

    const started = performance.now();
    const response = await ecs.send(new ListClustersCommand({}));
    const elapsed = performance.now() - started;

    expect(response.clusterArns).toEqual(
      expect.arrayContaining([expect.stringContaining(aws.infra.clusterName)]),
    );
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(proxy.log[0]).toMatchObject({ injected: 'delay', status: 200, forwarded: true });
    expect(proxy.log[0]?.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('holds a timed-out call until the client gives up, leaving moto untouched and answering', async () => {
    // The handler's requestTimeout only warns unless throwOnRequestTimeout is set.
    const impatient = new ECSClient({
      ...config,
      requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
    });
    proxy.inject({ operation: 'CreateCluster', fault: 'timeout', count: 1 });

    const started = performance.now();
    const error = await failureOf(impatient.send(new CreateClusterCommand({ clusterName: 'never-created' })));
    const elapsed = performance.now() - started;
    const after = await impatient.send(new DescribeClustersCommand({ clusters: ['never-created'] }));
    impatient.destroy();

    expect(error.name).toBe('TimeoutError');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    expect(after.clusters).toEqual([]);
    expect(proxy.log[0]).toMatchObject({
      operation: 'CreateCluster',
      injected: 'timeout',
      status: 0,
      forwarded: false,
    });
  });

  it('with after: applies the call in moto, then loses the answer', async () => {
    proxy.inject({ operation: 'CreateCluster', fault: 'throttle', after: true, count: 1 });
    proxy.inject({ operation: 'CreateSecurityGroup', fault: 'connection-reset', after: true, count: 1 });

    const throttled = await failureOf(ecs.send(new CreateClusterCommand({ clusterName: 'created-anyway' })));
    const reset = await failureOf(
      ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: 'created-anyway',
          Description: 'answer lost',
          VpcId: aws.infra.vpcId,
        }),
      ),
    );
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['created-anyway'] }));
    const groups = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['created-anyway'] }] }),
    );

    expect(throttled.name).toBe('ThrottlingException');
    // The SDK reports a reset connection as a TimeoutError with the socket's code (and retries it).
    expect({ name: reset.name, code: reset.code }).toEqual({ name: 'TimeoutError', code: 'ECONNRESET' });
    expect(clusters.clusters?.map((cluster) => cluster.status)).toEqual(['ACTIVE']);
    expect(groups.SecurityGroups).toHaveLength(1);
    expect(proxy.log.slice(0, 2)).toEqual([
      expect.objectContaining({
        operation: 'CreateCluster',
        injected: 'throttle',
        status: 400,
        forwarded: true,
      }),
      expect.objectContaining({
        operation: 'CreateSecurityGroup',
        injected: 'connection-reset',
        status: 0,
        forwarded: true,
      }),
    ]);
  });

  it('fires rate rules from a seeded generator: the same seed throttles the same calls', async () => {
    const throttledCalls = async (target: FaultProxy): Promise<number[]> => {
      const client = new ECSClient({ ...config, endpoint: target.endpoint });
      target.inject({ service: 'ECS', operation: 'ListClusters', fault: 'throttle', rate: 0.2 });
      // The calls the rate rule spares get a 503 from a second rule, so 400 calls need not wait on moto.
      target.inject({ service: 'ECS', operation: 'ListClusters', fault: 'server-error', status: 503 });
      const throttled: number[] = [];
      for (let call = 0; call < 200; call++) {
        const error = await failureOf(client.send(new ListClustersCommand({})));
        if (error.name === 'ThrottlingException') throttled.push(call);
      }
      client.destroy();
      return throttled;
    };
    const first = await startFaultProxy(aws.endpoint, { seed: 2026 });
    const second = await startFaultProxy(aws.endpoint, { seed: 2026 });

    // Each run is sequential, so each proxy sees its calls in the same order; the runs overlap.
    const [firstRun, secondRun] = await Promise.all([
      throttledCalls(first).finally(() => first.close()),
      throttledCalls(second).finally(() => second.close()),
    ]);

    // 200 draws at 0.2: mean 40, standard deviation ~5.7.
    expect(firstRun.length).toBeGreaterThanOrEqual(20);
    expect(firstRun.length).toBeLessThanOrEqual(60);
    expect(secondRun).toEqual(firstRun);
  });

  describe('playing AWS quotas', () => {
    const taskDefinitionModify = bucketNamed('ecs-task-definition-modify');

    it('throttles a burst beyond the bucket with ECS’s ThrottlingException', async () => {
      proxy.playQuotas([taskDefinitionModify], { speed: 10 });

      const started = performance.now();
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, () => ecs.send(new RegisterTaskDefinitionCommand(taskDefinition))),
      );
      const throttled = results.filter(
        (result) => result.status === 'rejected' && (result.reason as Error).name === 'ThrottlingException',
      ).length;
      const registered = results.filter((result) => result.status === 'fulfilled').length;
      const seconds = (performance.now() - started) / 1000;

      // Burst 20, and 10 more tokens a second at speed 10 while the calls are in flight.
      expect(registered).toBeGreaterThanOrEqual(20);
      expect(registered).toBeLessThanOrEqual(20 + Math.ceil(seconds * 10));
      expect(throttled).toBeGreaterThan(0);
      expect(throttled).toBe(40 - registered);
      expect(proxy.throttledCount({ operation: 'RegisterTaskDefinition' })).toBe(throttled);
      expect(proxy.log.filter((call) => call.quota === 'ecs-task-definition-modify')).toHaveLength(throttled);
    });

    it('paces a quota-bound workload to the lower bound at the scaled speed', async () => {
      const speed = 20;
      const calls = 40;
      proxy.playQuotas([taskDefinitionModify], { speed });

      const started = performance.now();
      for (let registered = 0; registered < calls;) {
        try {
          await ecs.send(new RegisterTaskDefinitionCommand(taskDefinition));
          registered++;
        } catch (error) {
          if ((error as Error).name !== 'ThrottlingException') throw error;
          await sleep(10);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      const lowerBound = quotaLowerBoundSeconds(
        { RegisterTaskDefinition: calls },
        [taskDefinitionModify],
        speed,
      );

      // Burst 20, then 1/s × 20: the 20 calls beyond the burst take a second.
      expect(lowerBound).toBe(1);
      expect(seconds).toBeGreaterThanOrEqual(lowerBound * 0.95);
      expect(seconds).toBeLessThan(lowerBound + 1.5);
    });

    it('computes the lower bound as the slowest bucket’s (calls − burst) / (rate × speed)', () => {
      // ECS service modify is one shared bucket: 70 calls − 50 burst at 5/s.
      expect(quotaLowerBoundSeconds({ CreateService: 30, UpdateService: 40 })).toBe(4);
      // EC2 mutating buckets are per operation: 60 − 50 at 5/s each, in parallel.
      expect(quotaLowerBoundSeconds({ CreateSecurityGroup: 60, DeleteSecurityGroup: 60 })).toBe(2);
      // CloudWatch: 1,000 pools × 2 alarms at 3/s (DESIGN §6.2), burst 3.
      expect(quotaLowerBoundSeconds({ PutMetricAlarm: 2000 })).toBeCloseTo(665.67, 2);
      expect(quotaLowerBoundSeconds({ PutMetricAlarm: 2000 }, awsQuotaBuckets, 10)).toBeCloseTo(66.567, 3);
      // The slowest bucket decides; calls within a burst cost nothing.
      expect(quotaLowerBoundSeconds({ 'ECS.TagResource': 120, RegisterTaskDefinition: 25 })).toBe(10);
      expect(quotaLowerBoundSeconds({ DescribeServices: 100, DeleteAlarms: 3, GetItem: 10_000 })).toBe(0);
    });
  });
});

import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPoolTable } from '../../controller/local/localInfrastructure.js';
import { startMotoServer, type MotoServer } from '../../controller/local/motoServer.js';
import { AwsCallRecorder, isMutatingOperation } from '../support/awsCallRecorder.js';

describe('AwsCallRecorder', () => {
  let moto: MotoServer;
  let ecs: ECSClient;
  let dynamodb: DynamoDBClient;
  let recorder: AwsCallRecorder;

  beforeAll(async () => {
    moto = await startMotoServer();
    const config = {
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    ecs = new ECSClient(config);
    dynamodb = new DynamoDBClient(config);
  });

  afterAll(async () => {
    ecs?.destroy();
    dynamodb?.destroy();
    await moto?.stop();
  });

  beforeEach(() => {
    recorder = new AwsCallRecorder();
  });

  afterEach(() => {
    recorder.detach();
  });

  it('records a Describe call as not mutating', async () => {
    // Prepare
    recorder.attach(ecs);

    // Act
    await ecs.send(new DescribeClustersCommand({ clusters: ['absent'] }));

    // Assess
    expect(recorder.calls).toEqual([{ service: 'ECS', operation: 'DescribeClusters', mutating: false }]);
    expect(recorder.mutatingCalls()).toEqual([]);
  });

  it('records a Create call as mutating', async () => {
    recorder.attach(ecs);

    await ecs.send(new CreateClusterCommand({ clusterName: 'recorded' }));

    expect(recorder.calls).toEqual([{ service: 'ECS', operation: 'CreateCluster', mutating: true }]);
    expect(recorder.mutatingCalls()).toHaveLength(1);
  });

  it('records a call that AWS answers with an error', async () => {
    recorder.attach(dynamodb);

    const described = dynamodb.send(new DescribeTableCommand({ TableName: 'absent' }));

    await expect(described).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(recorder.calls).toEqual([{ service: 'DynamoDB', operation: 'DescribeTable', mutating: false }]);
  });

  it('records DynamoDBDocumentClient calls once each, under their DynamoDB operation names', async () => {
    // Prepare
    const tableName = 'recorded-pools';
    await createPoolTable(dynamodb, tableName);
    const documents = DynamoDBDocumentClient.from(dynamodb);
    // Attached through both: they share one middleware stack.
    recorder.attach(dynamodb, documents);

    // Act
    await documents.send(new PutCommand({ TableName: tableName, Item: { pk: 'a', sk: 'spec' } }));
    await documents.send(new GetCommand({ TableName: tableName, Key: { pk: 'a', sk: 'spec' } }));

    // Assess
    expect(recorder.calls).toEqual([
      { service: 'DynamoDB', operation: 'PutItem', mutating: true },
      { service: 'DynamoDB', operation: 'GetItem', mutating: false },
    ]);
  });

  it('stops recording once detached', async () => {
    // Prepare
    recorder.attach(ecs);
    recorder.detach();

    // Act
    await ecs.send(new DescribeClustersCommand({ clusters: ['absent'] }));

    // Assess
    expect(recorder.calls).toEqual([]);
  });

  it('counts calls by service, operation or predicate and forgets them on clear', async () => {
    // Prepare
    recorder.attach(ecs, dynamodb);
    await ecs.send(new DescribeClustersCommand({ clusters: ['absent'] }));
    await ecs.send(new DescribeClustersCommand({ clusters: ['absent'] }));
    await dynamodb.send(new DescribeTableCommand({ TableName: 'absent' })).catch(() => undefined);

    // Act
    const counts = {
      all: recorder.count(),
      ecs: recorder.count({ service: 'ECS' }),
      describeTable: recorder.count({ operation: 'DescribeTable', mutating: false }),
      predicate: recorder.count((call) => call.operation.startsWith('Describe')),
    };
    recorder.clear();

    // Assess
    expect(counts).toEqual({ all: 3, ecs: 2, describeTable: 1, predicate: 3 });
    expect(recorder.count()).toBe(0);
  });

  it.each([
    ['DescribeServices', false],
    ['ListTagsForResource', false],
    ['GetMetricData', false],
    ['Query', false],
    ['Scan', false],
    ['BatchGetItem', false],
    ['TransactGetItems', false],
    ['BatchWriteItem', true],
    ['UpdateService', true],
    ['PutMetricAlarm', true],
    ['SetAlarmState', true],
    ['TagResource', true],
  ])('classifies %s as mutating: %s', (operation, mutating) => {
    expect(isMutatingOperation(operation)).toBe(mutating);
  });
});

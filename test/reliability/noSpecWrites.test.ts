/**
 * No data loss (issue #5): the controller never writes a spec item (README "The table contract"). First
 * the guard itself (test/support/specWriteGuard.ts) is shown to catch every way of writing one; then a
 * pool's whole life — created, changed, broken, scaled, drifted, deleted, and an orphan collected — runs
 * through the three handlers with the guard on the controller's DynamoDB client, and every spec item is
 * still exactly what its user wrote.
 */
import { DynamoDBClient, PutItemCommand, ExecuteStatementCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlarmHandler } from '../../controller/handlers/alarmHandler.js';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { createStreamHandler } from '../../controller/handlers/streamHandler.js';
import { setAlarmStateAndEvent } from '../support/alarmEvents.js';
import { autoPoolManifest, processPoolManifest } from '../support/poolManifests.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import {
  attachSpecWriteGuard,
  tableWritesOf,
  isSpecWrite,
  type SpecWriteGuard,
} from '../support/specWriteGuard.js';
import { specRecord } from '../support/streamRecords.js';
import { startTestAws, testInstanceId, type TestAws } from '../support/testEnvironment.js';
import { createUserTable, type UserTable } from '../support/userTable.js';

let aws: TestAws;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws?.stop();
});

describe('the spec write guard', () => {
  const Table = 'pools';

  it.each([
    ['PutItem (DocumentClient)', 'PutItemCommand', { TableName: Table, Item: { pk: 'a', sk: 'spec' } }, 1],
    [
      'PutItem (low level)',
      'PutItemCommand',
      { TableName: Table, Item: { pk: { S: 'a' }, sk: { S: 'spec' } } },
      1,
    ],
    ['UpdateItem', 'UpdateItemCommand', { TableName: Table, Key: { pk: 'a', sk: 'spec' } }, 1],
    ['DeleteItem', 'DeleteItemCommand', { TableName: Table, Key: { pk: { S: 'a' }, sk: { S: 'spec' } } }, 1],
    [
      'BatchWriteItem',
      'BatchWriteItemCommand',
      {
        RequestItems: {
          [Table]: [
            { PutRequest: { Item: { pk: 'a', sk: 'status' } } },
            { PutRequest: { Item: { pk: 'b', sk: 'spec' } } },
            { DeleteRequest: { Key: { pk: { S: 'c' }, sk: { S: 'spec' } } } },
          ],
        },
      },
      2,
    ],
    [
      'TransactWriteItems',
      'TransactWriteItemsCommand',
      {
        TransactItems: [
          { ConditionCheck: { TableName: Table, Key: { pk: 'a', sk: 'spec' } } },
          { Put: { TableName: Table, Item: { pk: 'a', sk: 'status' } } },
          { Update: { TableName: Table, Key: { pk: 'a', sk: 'spec' } } },
          { Delete: { TableName: Table, Key: { pk: 'b', sk: 'spec' } } },
        ],
      },
      2,
    ],
    [
      'PartiQL UPDATE',
      'ExecuteStatementCommand',
      { Statement: `UPDATE "${Table}" SET x = 1 WHERE pk = 'a'` },
      1,
    ],
    ['PartiQL SELECT', 'ExecuteStatementCommand', { Statement: `SELECT * FROM "${Table}"` }, 0],
    ['a status write', 'PutItemCommand', { TableName: Table, Item: { pk: 'a', sk: 'status' } }, 0],
    ['a lease release', 'DeleteItemCommand', { TableName: Table, Key: { pk: 'a', sk: 'lease' } }, 0],
    ['a read', 'QueryCommand', { TableName: Table, KeyConditionExpression: 'pk = :pk' }, 0],
  ])('recognizes spec writes in %s', (_name, command, input, expected) => {
    expect(tableWritesOf(command, input).filter(isSpecWrite)).toHaveLength(expected);
  });

  it('sees spec writes sent through a real client, whichever way they are made, accepted or not', async () => {
    const low = new DynamoDBClient({ endpoint: aws.endpoint, region: aws.config.region });
    const client = DynamoDBDocumentClient.from(low);
    const guard = attachSpecWriteGuard(client, low);
    const TableName = aws.config.tableName;
    const key = { pk: 'guarded', sk: 'spec' };
    try {
      await client.send(new PutCommand({ TableName, Item: { ...key, kind: 'x' } }));
      await client.send(
        new UpdateCommand({
          TableName,
          Key: key,
          UpdateExpression: 'SET kind = :k',
          ExpressionAttributeValues: { ':k': 'y' },
        }),
      );
      await client.send(
        new BatchWriteCommand({
          RequestItems: { [TableName]: [{ PutRequest: { Item: { ...key, kind: 'z' } } }] },
        }),
      );
      await client.send(new TransactWriteCommand({ TransactItems: [{ Delete: { TableName, Key: key } }] }));
      await low.send(new PutItemCommand({ TableName, Item: { pk: { S: 'guarded' }, sk: { S: 'spec' } } }));
      await client.send(new DeleteCommand({ TableName, Key: key }));
      // Refused by DynamoDB (the condition fails), still an attempt to write a spec item.
      await expect(
        client.send(new PutCommand({ TableName, Item: key, ConditionExpression: 'attribute_exists(pk)' })),
      ).rejects.toThrow();
      await low.send(
        new ExecuteStatementCommand({
          Statement: `DELETE FROM "${TableName}" WHERE pk = 'guarded' AND sk = 'spec'`,
        }),
      );
      // Not spec writes.
      await client.send(new PutCommand({ TableName, Item: { pk: 'guarded', sk: 'status' } }));
      await client.send(new DeleteCommand({ TableName, Key: { pk: 'guarded', sk: 'status' } }));

      expect(guard.violations().map((v) => v.operation)).toEqual([
        'PutItem',
        'UpdateItem',
        'BatchWriteItem',
        'TransactWriteItems',
        'PutItem',
        'DeleteItem',
        'PutItem',
        'ExecuteStatement',
      ]);
      expect(guard.writes()).toHaveLength(10);
    } finally {
      guard.detach();
      client.destroy();
    }
  });
});

describe('a pool’s whole life through the handlers', () => {
  let harness: ReconcilerHarness;
  let user: UserTable;
  let guard: SpecWriteGuard;
  /** What each user last wrote into each spec item. */
  const written = new Map<string, Record<string, unknown>>();

  beforeAll(() => {
    harness = createReconcilerHarness(aws);
    user = createUserTable(aws);
    guard = attachSpecWriteGuard(harness.clients.dynamodb);
  });
  afterAll(() => {
    guard.detach();
    user.destroy();
  });

  async function put(manifest: Record<string, unknown>, key?: string) {
    const pk = key ?? (manifest.metadata as { name: string }).name;
    await user.putSpec(manifest, pk);
    written.set(pk, { ...manifest, pk, sk: 'spec' });
    return pk;
  }

  it('never writes a spec item, and leaves every spec item as its user wrote it', async () => {
    const stream = createStreamHandler(() => harness.deps);
    const schedule = createScheduleHandler(() => harness.deps);
    const alarm = createAlarmHandler(() => harness.deps);

    // Created, through the stream.
    const fixed = await put(processPoolManifest('life-fixed'));
    const auto = await put(autoPoolManifest('life-auto', { minWorkers: 1 }));
    const orphan = await put(processPoolManifest('life-orphan'));
    await stream({ Records: [specRecord(fixed), specRecord(auto), specRecord(orphan)] });
    // Changed; then broken; then mended.
    await put(processPoolManifest('life-fixed', { workers: 3, cpu: 1024, memory: 2048 }));
    await stream({ Records: [specRecord(fixed, 'MODIFY')] });
    await put({ ...processPoolManifest('life-fixed'), spec: { prefect: 42 } });
    await stream({ Records: [specRecord(fixed, 'MODIFY')] });
    await put(processPoolManifest('life-fixed', { workers: 2 }));
    await stream({ Records: [specRecord(fixed, 'MODIFY')] });
    // Scaled by an alarm and by a manual request; drifted by hand; ticked over.
    await alarm(
      await setAlarmStateAndEvent(harness.clients.cloudwatch, {
        alarmName: `${testInstanceId}-${auto}-backlog-scale-out`,
        datapoint: 30,
        time: harness.clock.now(),
        id: 'e1',
        region: aws.config.region,
      }),
    );
    await user.client.send(
      new PutCommand({
        TableName: aws.config.tableName,
        Item: {
          pk: auto,
          sk: 'scale',
          workers: 2,
          requestedAt: harness.clock.now().toISOString(),
          requestedBy: 'me@here',
        },
      }),
    );
    await harness.clients.ecs.send(
      new UpdateServiceCommand({
        cluster: aws.config.clusterName,
        service: `${testInstanceId}-${fixed}`,
        desiredCount: 7,
      }),
    );
    harness.clock.advance(10 * 60_000);
    await schedule({});
    // Deleted by its user; and an orphan whose spec and status were lost, collected.
    await user.deleteSpec(auto);
    written.delete(auto);
    await stream({ Records: [specRecord(auto, 'REMOVE')] });
    await user.deleteItem(orphan, 'spec');
    await user.deleteItem(orphan, 'status');
    written.delete(orphan);
    for (let pass = 0; pass < 3; pass++) {
      harness.clock.advance(30_000);
      await schedule({});
    }

    expect(guard.violations()).toEqual([]);
    expect(guard.writes().length).toBeGreaterThan(10);
    // Every spec item is byte for byte what its user last put (the controller's writes went elsewhere).
    const specs = (await user.scanAll()).filter((item) => item.sk === 'spec');
    expect(Object.fromEntries(specs.map((item) => [item.pk, item]))).toEqual(Object.fromEntries(written));
    expect((await user.readStatus(fixed))?.phase).not.toBe('Invalid');
    expect(await user.readStatus(auto)).toBeUndefined();
    const services = await harness.clients.ecs.send(
      new DescribeServicesCommand({
        cluster: aws.config.clusterName,
        services: [fixed, auto, orphan].map((pool) => `${testInstanceId}-${pool}`),
      }),
    );
    expect((services.services ?? []).filter((s) => s.status === 'ACTIVE').map((s) => s.serviceName)).toEqual([
      `${testInstanceId}-${fixed}`,
    ]);
  }, 60_000);
});

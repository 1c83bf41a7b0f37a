/**
 * The Lambda handlers, thin as they are, against moto: partial batch failures for the stream, the drift
 * pass for the schedule, and both stopping before the invocation runs out of time.
 */
import { DescribeSecurityGroupsCommand, RevokeSecurityGroupEgressCommand } from '@aws-sdk/client-ec2';
import { DeleteServiceCommand, DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { AttributeValue, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { createStreamHandler } from '../../controller/handlers/streamHandler.js';
import { processPoolManifest } from '../support/poolManifests.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { reprovision, startTestAws, type TestAws } from '../support/testEnvironment.js';

let aws: TestAws;
let harness: ReconcilerHarness;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws?.stop();
});
beforeEach(async () => {
  await aws.moto.reset();
  // A reset clears the base infrastructure too; provisioning again is quick.
  aws = { ...aws, ...(await reprovision(aws)) };
  harness = createReconcilerHarness(aws);
});

let sequence = 0;
function streamRecord(
  keys: Record<string, AttributeValue> | undefined,
  eventName = 'INSERT',
): DynamoDBRecord {
  sequence += 1;
  return {
    eventID: `event-${sequence}`,
    eventName: eventName as DynamoDBRecord['eventName'],
    eventSource: 'aws:dynamodb',
    dynamodb: { ...(keys ? { Keys: keys } : {}), SequenceNumber: String(sequence).padStart(21, '0') },
  };
}

function specRecord(pool: string, eventName = 'INSERT'): DynamoDBRecord {
  return streamRecord({ pk: { S: pool }, sk: { S: 'spec' } }, eventName);
}

function contextWithRemaining(ms: number): Context {
  return { getRemainingTimeInMillis: () => ms } as unknown as Context;
}

async function serviceExists(pool: string): Promise<boolean> {
  const response = await harness.clients.ecs.send(
    new DescribeServicesCommand({ cluster: aws.config.clusterName, services: [`test-${pool}`] }),
  );
  return (response.services ?? []).some((s) => s.status === 'ACTIVE');
}

describe('stream handler', () => {
  it('reports only the poison record as failed and still reconciles the good ones', async () => {
    await harness.putSpec(processPoolManifest('good-a'));
    await harness.putSpec(processPoolManifest('good-b'));
    const poison = streamRecord({ pk: { N: '12' } });
    const event: DynamoDBStreamEvent = { Records: [specRecord('good-a'), poison, specRecord('good-b')] };

    const response = await createStreamHandler(() => harness.deps)(event);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.dynamodb?.SequenceNumber }]);
    expect(await serviceExists('good-a')).toBe(true);
    expect(await serviceExists('good-b')).toBe(true);
  });

  it('reconciles a pool once for several records about it', async () => {
    await harness.putSpec(processPoolManifest('repeated'));
    const event: DynamoDBStreamEvent = {
      Records: [specRecord('repeated'), specRecord('repeated', 'MODIFY'), specRecord('repeated', 'MODIFY')],
    };

    const response = await createStreamHandler(() => harness.deps)(event);

    expect(response.batchItemFailures).toEqual([]);
    expect(harness.results.filter((r) => r.pool === 'repeated')).toHaveLength(1);
  });

  it('treats an invalid spec as handled: status Invalid, no retry', async () => {
    await harness.putSpec(
      {
        apiVersion: 'prefect-ecs-operator/v1',
        kind: 'PrefectWorkerPool',
        metadata: { name: 'bad' },
        spec: 'nope',
      },
      'bad',
    );

    const response = await createStreamHandler(() => harness.deps)({ Records: [specRecord('bad')] });

    expect(response.batchItemFailures).toEqual([]);
    expect((await harness.readStatus('bad'))?.phase).toBe('Invalid');
  });

  it('ignores status records that get past the event filter', async () => {
    const response = await createStreamHandler(() => harness.deps)({
      Records: [streamRecord({ pk: { S: 'whatever' }, sk: { S: 'status' } })],
    });

    expect(response.batchItemFailures).toEqual([]);
    expect(harness.results).toEqual([]);
  });

  it('leaves records it had no time to start for Lambda to deliver again', async () => {
    await harness.putSpec(processPoolManifest('late'));
    const record = specRecord('late');

    const response = await createStreamHandler(() => harness.deps)(
      { Records: [record] },
      contextWithRemaining(1_000),
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb?.SequenceNumber }]);
    expect(await serviceExists('late')).toBe(false);
  });
});

describe('schedule handler', () => {
  it('restores everything changed or deleted outside the controller, with batched reads', async () => {
    const pools = Array.from({ length: 12 }, (_, i) => `drift-${i}`);
    for (const pool of pools) await harness.putSpec(processPoolManifest(pool, { workers: 2 }));
    const schedule = createScheduleHandler(() => harness.deps);
    await schedule({});
    // Someone deletes one service, scales another and opens up a security group.
    await harness.clients.ecs.send(
      new DeleteServiceCommand({ cluster: aws.config.clusterName, service: 'test-drift-0', force: true }),
    );
    await harness.clients.ecs.send(
      new UpdateServiceCommand({ cluster: aws.config.clusterName, service: 'test-drift-1', desiredCount: 9 }),
    );
    const groups = await harness.clients.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [{ Name: 'group-name', Values: ['test-drift-2-workers'] }],
      }),
    );
    await harness.clients.ec2.send(
      new RevokeSecurityGroupEgressCommand({
        GroupId: groups.SecurityGroups?.[0]?.GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    harness.recorder.clear();

    const summary = await schedule({});

    expect(summary).toMatchObject({ pools: 12, reconciled: 12, changed: 3, errors: 0, deferred: 0 });
    // 12 services read 10 per call, then each of the 3 drifted pools is read again under its lease.
    expect(harness.recorder.count({ operation: 'DescribeServices' })).toBe(2 + 3);
    expect(harness.recorder.count({ operation: 'DescribeSecurityGroups' })).toBe(1 + 3);
    // The 9 unchanged pools took no lease: only the 3 that changed wrote one.
    expect(harness.recorder.count({ operation: 'PutItem' })).toBeLessThanOrEqual(3 + 3);
    expect(await serviceExists('drift-0')).toBe(true);
    const scaled = await harness.clients.ecs.send(
      new DescribeServicesCommand({ cluster: aws.config.clusterName, services: ['test-drift-1'] }),
    );
    expect(scaled.services?.[0]?.desiredCount).toBe(2);
    const restored = await harness.clients.ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [groups.SecurityGroups?.[0]?.GroupId ?? ''] }),
    );
    expect(restored.SecurityGroups?.[0]?.IpPermissionsEgress).toHaveLength(1);
  });

  it('makes no mutating call at all over unchanged pools', async () => {
    for (const pool of ['steady-a', 'steady-b', 'steady-c']) await harness.putSpec(processPoolManifest(pool));
    const schedule = createScheduleHandler(() => harness.deps);
    await schedule({});
    await schedule({}); // settles status (moto reports the first create as still starting)
    harness.recorder.clear();

    await schedule({});

    expect(harness.recorder.mutatingCalls()).toEqual([]);
  });

  it('stops starting pools when the invocation runs short of time and leaves them for the next run', async () => {
    for (const pool of ['tight-a', 'tight-b']) await harness.putSpec(processPoolManifest(pool));

    const summary = await createScheduleHandler(() => harness.deps)({}, contextWithRemaining(500));

    expect(summary).toMatchObject({ pools: 2, reconciled: 0, deferred: 2 });
    expect(await serviceExists('tight-a')).toBe(false);
  });
});

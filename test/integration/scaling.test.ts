/**
 * Scaling and Prefect against moto and the Prefect stub: the work pool in Prefect, the backlog in
 * CloudWatch, alarm events to UpdateService, cooldowns and stabilization on a clock the test moves,
 * scale from zero and to zero, no scale-in under running flow runs, and Prefect outages.
 */
import { GetMetricStatisticsCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAlarmHandler, type AlarmStateChangeEvent } from '../../controller/handlers/alarmHandler.js';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { reconcilePool } from '../../controller/reconciler/reconcilePool.js';
import { setAlarmStateAndEvent } from '../support/alarmEvents.js';
import { autoPoolManifest } from '../support/poolManifests.js';
import { startPrefectStub, type PrefectStub } from '../support/prefectStub.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { startTestAws, type TestAws } from '../support/testEnvironment.js';

const apiKey = 'pnu_local_dummy_api_key';
let aws: TestAws;
let prefect: PrefectStub;
let harness: ReconcilerHarness;
let counter = 0;

beforeAll(async () => {
  [aws, prefect] = await Promise.all([startTestAws(), startPrefectStub()]);
});
afterAll(async () => {
  await Promise.all([aws?.stop(), prefect?.close()]);
});
beforeEach(() => {
  prefect.reset();
  prefect.requireAuth({ bearer: apiKey });
  harness = createReconcilerHarness(aws, { prefectApiAccess: { kind: 'override', url: prefect.url } });
});

function poolName(): string {
  counter += 1;
  return `scale-${counter}`;
}

function manifest(name: string, options: Parameters<typeof autoPoolManifest>[1] = {}) {
  return autoPoolManifest(name, { apiKeySecretArn: aws.infra.exampleSecretArn, ...options });
}

async function desiredCount(name: string): Promise<number | undefined> {
  const response = await harness.clients.ecs.send(
    new DescribeServicesCommand({ cluster: aws.config.clusterName, services: [`test-${name}`] }),
  );
  return response.services?.find((s) => s.status === 'ACTIVE')?.desiredCount;
}

/** Sets the alarm in moto (as CloudWatch would) and returns the EventBridge event AWS would send. */
function fireAlarm(
  name: string,
  role: string,
  datapoint: number,
  value: 'ALARM' | 'OK' = 'ALARM',
): Promise<AlarmStateChangeEvent> {
  return setAlarmStateAndEvent(harness.clients.cloudwatch, {
    alarmName: `test-${name}-${role}`,
    value,
    datapoint,
    time: harness.clock.now(),
  });
}

async function createPool(name: string, options: Parameters<typeof autoPoolManifest>[1] = {}) {
  await harness.putSpec(manifest(name, options));
  return reconcilePool(harness.deps, name);
}

describe('the work pool in Prefect', () => {
  it('is created with the spec type, concurrency limit and paused state, then patched, never recreated', async () => {
    const name = poolName();
    await createPool(name, { concurrencyLimit: 10 });

    const created = prefect.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/work_pools/'));
    expect(created).toHaveLength(1);
    expect(JSON.parse(String(created[0]?.body))).toEqual({
      name,
      type: 'process',
      is_paused: false,
      concurrency_limit: 10,
    });
    expect(prefect.workPools.get(name)).toMatchObject({ type: 'process', concurrency_limit: 10 });
    expect((await harness.readStatus(name))?.conditions).toContainEqual(
      expect.objectContaining({ type: 'PrefectSynced', status: 'True', reason: 'WorkPoolSynced' }),
    );

    await harness.putSpec(manifest(name, { concurrencyLimit: 20 }));
    await reconcilePool(harness.deps, name);

    expect(
      prefect.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/work_pools/')),
    ).toHaveLength(1);
    expect(prefect.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);
    const patches = prefect.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => JSON.parse(String(r.body)))).toEqual([{ concurrency_limit: 20 }]);
    expect(prefect.workPools.get(name)?.concurrency_limit).toBe(20);
  });

  it('reports Prefect down as PrefectSynced False while the ECS side is reconciled regardless', async () => {
    const name = poolName();
    prefect.setDown(true);

    await createPool(name);

    prefect.setDown(false);
    expect(await desiredCount(name)).toBe(0);
    const status = await harness.readStatus(name);
    expect(status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Provisioned', status: 'True' }),
        expect.objectContaining({ type: 'PrefectSynced', status: 'False', reason: 'Unreachable' }),
      ]),
    );
    expect(status?.phase).toBe('Degraded');

    // Once Prefect answers again, the next reconcile syncs it and the pool recovers.
    await reconcilePool(harness.deps, name);
    expect((await harness.readStatus(name))?.phase).toBe('Ready');
  });

  it.each([
    [401, 'Unauthorized'],
    [403, 'Forbidden'],
    [422, 'Unprocessable'],
  ])('names a %i from Prefect in the PrefectSynced reason', async (statusCode, reason) => {
    const name = poolName();
    prefect.failNext(1, statusCode, { detail: 'refused' });

    await createPool(name);

    expect((await harness.readStatus(name))?.conditions).toContainEqual(
      expect.objectContaining({ type: 'PrefectSynced', status: 'False', reason }),
    );
    expect(await desiredCount(name)).toBe(0);
  });
});

describe('scaling', () => {
  it('scales out in proportion to the backlog when the backlog alarm fires, and says why', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 1 });
    prefect.setBacklog(name, 23);
    const handleAlarm = createAlarmHandler(() => harness.deps);

    const outcome = await handleAlarm(await fireAlarm(name, 'backlog-scale-out', 23));

    expect(outcome).toMatchObject({ handled: true, result: { decision: { outcome: 'scale', desired: 5 } } });
    expect(await desiredCount(name)).toBe(5);
    const status = await harness.readStatus(name);
    expect(status?.scaling).toMatchObject({
      desiredWorkers: 5,
      lastScaleDirection: 'out',
      lastScaleReason: expect.stringContaining('backlog 23'),
    });
    expect(status?.scaling?.recentDecisions?.[0]).toMatchObject({
      trigger: 'backlog-scale-out',
      code: 'BacklogAboveTarget',
      from: 1,
      to: 5,
    });
  });

  it('starts workers for a pool at zero on the next tick once backlog appears, and publishes the backlog', async () => {
    const name = poolName();
    await createPool(name);
    prefect.setBacklog(name, 23);

    await createScheduleHandler(() => harness.deps)({});

    expect(await desiredCount(name)).toBe(5);
    expect((await harness.readStatus(name))?.scaling?.recentDecisions?.[0]).toMatchObject({
      trigger: 'scale-from-zero',
      code: 'ScaleFromZero',
    });
    const metric = await harness.clients.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'PrefectEcsOperator/Pools',
        MetricName: 'Backlog',
        Dimensions: [
          { Name: 'ControllerInstance', Value: 'test' },
          { Name: 'Pool', Value: name },
        ],
        // Around the harness clock: the metric is stamped with the controller's time, not the machine's.
        StartTime: new Date(harness.clock.now().getTime() - 3_600_000),
        EndTime: new Date(harness.clock.now().getTime() + 3_600_000),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    expect(metric.Datapoints?.map((d) => d.Maximum)).toContain(23);
  });

  it('scales in only after the stabilization window, down to zero when min is 0', async () => {
    const name = poolName();
    await createPool(name);
    prefect.setBacklog(name, 12);
    const schedule = createScheduleHandler(() => harness.deps);
    await schedule({}); // scale from zero to 3
    expect(await desiredCount(name)).toBe(3);
    prefect.setBacklog(name, 0);
    const handleAlarm = createAlarmHandler(() => harness.deps);

    harness.clock.advance(120_000);
    const early = await handleAlarm(await fireAlarm(name, 'backlog-scale-in', 0));

    expect(early).toMatchObject({ result: { decision: { outcome: 'defer', code: 'StabilizationWindow' } } });
    expect(await desiredCount(name)).toBe(3);

    harness.clock.advance(200_000);
    const late = await handleAlarm(await fireAlarm(name, 'backlog-scale-in', 0));

    expect(late).toMatchObject({
      result: { decision: { outcome: 'scale', desired: 0, code: 'ScaleToZero' } },
    });
    expect(await desiredCount(name)).toBe(0);
  });

  it('does not scale in a process pool while flow runs are running in it, and does once none are', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 0 });
    prefect.setBacklog(name, 10);
    await createScheduleHandler(() => harness.deps)({});
    expect(await desiredCount(name)).toBe(2);
    prefect.setBacklog(name, 0);
    prefect.setRunning(name, 2);
    harness.clock.advance(600_000);
    const handleAlarm = createAlarmHandler(() => harness.deps);

    const busy = await handleAlarm(await fireAlarm(name, 'backlog-scale-in', 0));

    expect(busy).toMatchObject({ result: { decision: { outcome: 'defer', code: 'FlowRunsRunning' } } });
    expect(await desiredCount(name)).toBe(2);

    prefect.setRunning(name, 0);
    const idle = await handleAlarm(await fireAlarm(name, 'backlog-scale-in', 0));

    expect(idle).toMatchObject({ result: { decision: { outcome: 'scale', desired: 0 } } });
    expect(await desiredCount(name)).toBe(0);
  });

  it('lets an ecs-type pool scale in while flow runs run: they are separate tasks', async () => {
    const name = poolName();
    await createPool(name, { type: 'ecs', minWorkers: 2 });
    prefect.setBacklog(name, 40);
    const handleAlarm = createAlarmHandler(() => harness.deps);
    await handleAlarm(await fireAlarm(name, 'backlog-scale-out', 20));
    expect(await desiredCount(name)).toBe(8);
    prefect.setBacklog(name, 0);
    prefect.setRunning(name, 5);
    harness.clock.advance(600_000);

    // While the scale-out alarm still fires, scale-in waits for it...
    const contested = await handleAlarm(await fireAlarm(name, 'backlog-scale-in', 0));
    expect(contested).toMatchObject({
      result: { decision: { outcome: 'defer', code: 'ScaleOutSignalActive' } },
    });

    // ...and once it is OK, running flow runs do not hold an ecs-type pool back.
    await fireAlarm(name, 'backlog-scale-out', 0, 'OK');
    await handleAlarm(await fireAlarm(name, 'backlog-scale-in', 0));

    expect(await desiredCount(name)).toBe(2);
  });

  it('keeps scaling on schedule ticks while an alarm stays in ALARM, once each cooldown has passed', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 1, maxWorkers: 20 });
    prefect.setBacklog(name, 10);
    const handleAlarm = createAlarmHandler(() => harness.deps);
    await handleAlarm(await fireAlarm(name, 'backlog-scale-out', 10));
    expect(await desiredCount(name)).toBe(2);
    const schedule = createScheduleHandler(() => harness.deps);
    // More work arrives; the alarm stays in ALARM, so no new event comes.
    prefect.setBacklog(name, 40);

    harness.clock.advance(30_000);
    await schedule({});
    expect(await desiredCount(name)).toBe(2); // scale-out cooldown (60 s) still running

    harness.clock.advance(40_000);
    await schedule({});
    expect(await desiredCount(name)).toBe(8);
    expect((await harness.readStatus(name))?.scaling?.recentDecisions?.[0]).toMatchObject({
      trigger: 'backlog-scale-out (still in ALARM)',
      outcome: 'scale',
      to: 8,
    });
  });

  it('keeps the scaler count when the drift pass runs, and restores it over a change made outside', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 1 });
    prefect.setBacklog(name, 15);
    await createAlarmHandler(() => harness.deps)(await fireAlarm(name, 'backlog-scale-out', 15));
    expect(await desiredCount(name)).toBe(3);
    await harness.clients.ecs.send(
      new UpdateServiceCommand({ cluster: aws.config.clusterName, service: `test-${name}`, desiredCount: 1 }),
    );
    // Reset the alarm so the tick does not scale on its own.
    await fireAlarm(name, 'backlog-scale-out', 3, 'OK');

    await createScheduleHandler(() => harness.deps)({});

    expect(await desiredCount(name)).toBe(3);
  });

  it('keeps a paused pool at zero whatever its alarms say', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 2, paused: true });
    prefect.setBacklog(name, 50);

    const outcome = await createAlarmHandler(() => harness.deps)(
      await fireAlarm(name, 'backlog-scale-out', 50),
    );

    expect(outcome).toMatchObject({ result: { decision: { outcome: 'hold', code: 'Paused' } } });
    expect(await desiredCount(name)).toBe(0);
    expect(prefect.workPools.get(name)?.is_paused).toBe(true);
  });

  it('creates the four scaling alarms and the health alarms of an auto pool with minimum workers', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 1 });

    const alarms = await harness.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `test-${name}-` }),
    );

    expect(alarms.MetricAlarms?.map((a) => a.AlarmName).sort()).toEqual(
      [
        'backlog-scale-in',
        'backlog-scale-out',
        'cpu-scale-in',
        'cpu-scale-out',
        'memory-high',
        'no-workers',
      ].map((role) => `test-${name}-${role}`),
    );
    const scaleOut = alarms.MetricAlarms?.find((a) => a.AlarmName?.endsWith('backlog-scale-out'));
    expect(scaleOut).toMatchObject({
      Namespace: 'PrefectEcsOperator/Pools',
      MetricName: 'BacklogPerWorker',
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('the Prefect API key', () => {
  it('travels only in the Authorization header', async () => {
    const name = poolName();
    await createPool(name);
    prefect.setBacklog(name, 3);
    await createScheduleHandler(() => harness.deps)({});

    expect(prefect.requests.length).toBeGreaterThan(2);
    for (const request of prefect.requests) {
      const { authorization, ...otherHeaders } = request.headers;
      expect(authorization).toBe(`Bearer ${apiKey}`);
      expect(JSON.stringify([request.path, request.body, otherHeaders])).not.toContain(apiKey);
    }
    expect(JSON.stringify(await harness.readStatus(name))).not.toContain(apiKey);
  });
});

describe('a manual scale request (poolctl scale)', () => {
  async function requestScale(name: string, workers: number, requestedAt: string) {
    await harness.clients.dynamodb.send(
      new PutCommand({
        TableName: aws.config.tableName,
        Item: { pk: name, sk: 'scale', workers, requestedAt, requestedBy: 'alice@laptop' },
      }),
    );
  }

  async function pendingRequest(name: string) {
    const response = await harness.clients.dynamodb.send(
      new GetCommand({
        TableName: aws.config.tableName,
        Key: { pk: name, sk: 'scale' },
        ConsistentRead: true,
      }),
    );
    return response.Item;
  }

  it('is honoured within bounds on the next tick, recorded as manual, and consumed', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 1, maxWorkers: 6 });
    await requestScale(name, 4, '2026-11-28T09:00:00.000Z');

    await createScheduleHandler(() => harness.deps)({});

    expect(await desiredCount(name)).toBe(4);
    expect((await harness.readStatus(name))?.scaling?.recentDecisions?.[0]).toMatchObject({
      trigger: 'manual',
      code: 'ManualScale',
      from: 1,
      to: 4,
      reason: expect.stringContaining('alice@laptop'),
    });
    expect(await pendingRequest(name)).toBeUndefined();
  });

  it('is refused outside the bounds, and the refusal is recorded', async () => {
    const name = poolName();
    await createPool(name, { minWorkers: 1, maxWorkers: 3 });
    await requestScale(name, 9, '2026-11-28T09:00:00.000Z');

    await createScheduleHandler(() => harness.deps)({});

    expect(await desiredCount(name)).toBe(1);
    expect((await harness.readStatus(name))?.scaling?.recentDecisions?.[0]).toMatchObject({
      trigger: 'manual',
      outcome: 'hold',
      code: 'OutOfBounds',
    });
    expect(await pendingRequest(name)).toBeUndefined();
  });
});

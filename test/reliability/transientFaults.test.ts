/**
 * Transient faults (issue #5): 50 pools applied at once while a fifth of the controller's calls to ECS,
 * EC2, CloudWatch and DynamoDB fail with throttling or a 5xx — and a few "succeed" in AWS but lose their
 * answer — converge through the schedule alone, and once they have, no status carries an error and the
 * world holds exactly one security group, service and task definition revision per pool.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { leaseTtlMs, reconcilePool, specHashOf } from '../../controller/reconciler/reconcilePool.js';
import type { PrefectWorkerPoolStatus } from '../../controller/core/poolStatus.js';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CrashInjector, describeCall } from '../support/crashInjector.js';
import { startFaultProxy, type FaultProxy } from '../support/faultProxy.js';
import { autoPoolManifest, processPoolManifest } from '../support/poolManifests.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { startTestAws, type TestAws } from '../support/testEnvironment.js';
import { captureWorld, findDuplicates, findLeftovers } from '../support/worldSnapshot.js';

let aws: TestAws;
let proxy: FaultProxy;

beforeAll(async () => {
  aws = await startTestAws();
  proxy = await startFaultProxy(aws.endpoint, { seed: 20_26 });
});
afterAll(async () => {
  await proxy?.close();
  await aws?.stop();
});

const faultyServices = /^(ECS|EC2|CloudWatch|DynamoDB)$/;
const faultRate = 0.2;
const maxTicks = 30;
/** Schedule ticks are a minute apart, as deployed: a lease whose release failed expires within two. */
const tickMs = 60_000;

/**
 * A fifth of the calls fail: half throttled, half a 5xx (500 and 503 alike). Rules are tried in order
 * and each draws once, so the later rates are raised to make each kind its share of all calls.
 */
function injectTransientFaults(): void {
  const throttle = faultRate / 2;
  const internal = faultRate / 4 / (1 - throttle);
  const unavailable = faultRate / 4 / ((1 - throttle) * (1 - internal));
  // Lost answers first: the call takes effect in moto, the controller sees a 500 (and the SDK may retry).
  for (const operation of [
    'RegisterTaskDefinition',
    'CreateService',
    'UpdateService',
    'CreateSecurityGroup',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupEgress',
    'PutMetricAlarm',
    'PutItem',
    'DeleteItem',
  ]) {
    proxy.inject({
      fault: 'server-error',
      after: true,
      service: faultyServices,
      operation,
      rate: 0.1,
      count: 2,
    });
  }
  proxy.inject({ fault: 'throttle', service: faultyServices, rate: throttle });
  proxy.inject({ fault: 'server-error', status: 500, service: faultyServices, rate: internal });
  proxy.inject({ fault: 'server-error', status: 503, service: faultyServices, rate: unavailable });
}

const poolNames = [
  ...Array.from({ length: 25 }, (_, i) => `tf-fixed-${String(i).padStart(2, '0')}`),
  ...Array.from({ length: 25 }, (_, i) => `tf-auto-${String(i).padStart(2, '0')}`),
];

function manifestFor(pool: string): Record<string, unknown> {
  // Ready at zero workers: moto starts no tasks, so "converged" means Ready, not "workers starting".
  return pool.startsWith('tf-fixed')
    ? processPoolManifest(pool, { workers: 0 })
    : autoPoolManifest(pool, { minWorkers: 0 });
}

interface StoredItems {
  readonly specs: Map<string, Record<string, unknown>>;
  readonly statuses: Map<string, PrefectWorkerPoolStatus>;
}

async function readTable(harness: ReconcilerHarness): Promise<StoredItems> {
  const specs = new Map<string, Record<string, unknown>>();
  const statuses = new Map<string, PrefectWorkerPoolStatus>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await harness.clients.dynamodb.send(
      new ScanCommand({ TableName: aws.config.tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    for (const item of (page.Items ?? []) as Record<string, unknown>[]) {
      if (item.sk === 'spec') specs.set(String(item.pk), item);
      if (item.sk === 'status') statuses.set(String(item.pk), item.status as PrefectWorkerPoolStatus);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { specs, statuses };
}

/** Pools whose status says Ready for the spec as it is now. */
function convergedPools({ specs, statuses }: StoredItems): string[] {
  return poolNames.filter((pool) => {
    const status = statuses.get(pool);
    const spec = specs.get(pool);
    return status?.phase === 'Ready' && spec !== undefined && status.observedSpecHash === specHashOf(spec);
  });
}

describe('transient faults', () => {
  it('converges 50 pools while 20% of calls are throttled or fail, with no error left and no twin', async () => {
    // prepare: the pools, put around the proxy; the controller's clients go through it.
    const direct = createReconcilerHarness(aws);
    await Promise.all(poolNames.map((pool) => direct.putSpec(manifestFor(pool))));
    const controller = createReconcilerHarness({ ...aws, endpoint: proxy.endpoint });
    // Failed reconciles are logged as errors: expected here by the hundred.
    const deps = { ...controller.deps, logger: new Logger({ logLevel: 'SILENT' }) };
    const schedule = createScheduleHandler(() => deps);
    proxy.resetLog();
    injectTransientFaults();

    // act: schedule ticks until every pool is Ready, as EventBridge would run them.
    let ticks = 0;
    let failedTicks = 0;
    let converged: string[] = [];
    while (ticks < maxTicks) {
      ticks += 1;
      // An invocation may fail as a whole (its table scan or a bulk read failed twice): the next
      // tick starts over, as the next EventBridge schedule would.
      await schedule({}).catch(() => {
        failedTicks += 1;
      });
      controller.clock.advance(tickMs);
      converged = convergedPools(await readTable(direct));
      if (converged.length === poolNames.length) break;
    }
    proxy.clearFaults();
    const calls = proxy.log.length;
    const injected = proxy.log.filter((call) => call.injected);
    const lostAnswers = injected.filter((call) => call.forwarded).length;
    const byKind = (kind: string) => injected.filter((call) => call.injected === kind).length;
    console.log(
      `transient faults: ${injected.length} of ${calls} calls failed (${(
        (100 * injected.length) /
        calls
      ).toFixed(1)}%: ${byKind('throttle')} throttled, ${byKind('server-error')} 5xx, ` +
        `${lostAnswers} of them after taking effect); converged in ${ticks} ticks ` +
        `(${failedTicks} of them failed as a whole)`,
    );

    // assess: every pool converged, nothing left to do, no error anywhere, one of everything.
    expect(converged).toEqual(poolNames);
    expect(injected.length / calls).toBeGreaterThan(0.15);
    expect(lostAnswers).toBeGreaterThan(0);

    // A quiet tick afterwards changes nothing in AWS and takes no lease: the pools converged.
    const quiet = new CrashInjector();
    const { ecs, ec2, cloudwatch, dynamodb } = controller.clients;
    quiet.attach(ecs, ec2, cloudwatch, dynamodb);
    await schedule({});
    expect(
      quiet.mutatingCalls
        .filter((call) => !(call.operation === 'PutItem' && call.item === 'status'))
        .map(describeCall),
    ).toEqual([]);

    const { statuses } = await readTable(direct);
    for (const pool of poolNames) {
      const status = statuses.get(pool);
      expect(status?.lastError, `${pool} lastError`).toBeNull();
      expect(
        status?.conditions.filter((c) => c.status === 'False' || c.reason === 'Retrying'),
        `${pool} conditions`,
      ).toEqual([]);
    }

    // Leases of the run have all expired by a lease period after it (a release that failed leaves one).
    const later = new Date(controller.clock.now().getTime() + leaseTtlMs);
    const world = await captureWorld(direct.clients, aws.config, { now: later });
    expect(findDuplicates(world)).toEqual([]);
    expect(findLeftovers(world)).toEqual([]);
    expect(
      Object.keys(world.pools)
        .filter((pool) => pool.startsWith('tf-'))
        .sort(),
    ).toEqual([...poolNames].sort());
    for (const pool of poolNames) {
      const state = world.pools[pool];
      expect(
        {
          groups: state?.securityGroups.length,
          services: state?.services.map((s) => `${s.status} ${s.taskDefinition} ${s.desiredCount}`),
          revisions: state?.taskDefinitionRevisions,
          alarms: state?.alarms.map((alarm) => alarm.name).sort(),
          status: state?.status?.phase,
        },
        pool,
      ).toEqual({
        groups: 1,
        services: ['ACTIVE desired 0'],
        revisions: ['desired'],
        // Memory for every pool, and the four scaling alarms for auto pools (none needs no-workers at 0).
        alarms: state?.status?.resources.alarmNames,
        status: 'Ready',
      });
      expect(state?.alarms).toHaveLength(pool.startsWith('tf-fixed') ? 1 : 5);
    }
  }, 90_000);
});

describe('single faults', () => {
  /** A controller whose calls go through the proxy, with failures logged nowhere (they are the point). */
  function faultyController(): { harness: ReconcilerHarness; deps: ReconcilerHarness['deps'] } {
    const harness = createReconcilerHarness({ ...aws, endpoint: proxy.endpoint });
    return { harness, deps: { ...harness.deps, logger: new Logger({ logLevel: 'SILENT' }) } };
  }

  it('registers no twin revision when RegisterTaskDefinition takes effect but its answer is lost', async () => {
    // prepare: a pool, and the next RegisterTaskDefinition answered with a 500 after it registered.
    const pool = 'tx-lost-register';
    const direct = createReconcilerHarness(aws);
    await direct.putSpec(processPoolManifest(pool, { workers: 0 }));
    const { deps } = faultyController();
    proxy.resetLog();
    proxy.inject({ fault: 'server-error', after: true, operation: 'RegisterTaskDefinition', count: 1 });

    // act: the reconcile that lost the answer (no SDK retry of it), then the next one.
    const first = await reconcilePool(deps, pool);
    const second = await reconcilePool(deps, pool);

    // assess: one revision, found by the second reconcile instead of registered again.
    proxy.clearFaults();
    const world = await captureWorld(direct.clients, aws.config, { now: direct.clock.now(), pools: [pool] });
    expect(world.pools[pool]?.taskDefinitionRevisions).toEqual(['desired']);
    expect(world.pools[pool]?.status).toMatchObject({ phase: 'Ready', lastError: null });
    expect(first.error?.message).toContain('may still have taken effect');
    expect(first.retryable).toBe(true);
    expect(second.actions).not.toContain('RegisterTaskDefinition');
  });

  it('keeps the schedule going when the garbage-collection listing or a backlog write fails', async () => {
    // prepare: an auto pool reconciled once (no backlog recorded yet), then the garbage-collection listing
    // and every status write failing, SDK retry included.
    const pool = 'tx-schedule';
    const direct = createReconcilerHarness(aws);
    await direct.putSpec(autoPoolManifest(pool, { minWorkers: 0 }));
    const { deps } = faultyController();
    await reconcilePool(deps, pool);
    proxy.resetLog();
    proxy.inject({ fault: 'throttle', operation: 'ListServices', count: 2 });
    proxy.inject({ fault: 'throttle', operation: 'PutItem', count: 2 });

    // act
    const summary = await createScheduleHandler(() => deps)({});

    // assess: the invocation completed; the backlog is recorded by the next tick.
    proxy.clearFaults();
    expect(summary.pools).toBeGreaterThan(0);
    expect(proxy.throttledCount({ operation: 'ListServices' })).toBe(2);
    expect(proxy.throttledCount({ operation: 'PutItem' })).toBe(2);
    await createScheduleHandler(() => deps)({});
    expect((await direct.readStatus(pool))?.backlog).toMatchObject({ count: null });
  });
});

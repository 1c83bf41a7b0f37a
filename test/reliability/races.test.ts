/**
 * Races (issue #5): two, three and four controllers — each its own process with its own clients, as
 * separate Lambda containers are — work on the same 20 pools at once: drift passes, stream reconciles
 * (delivered to more than one of them, as at-least-once delivery may), alarm events delivered twice and
 * manual scale requests, over several rounds with spec changes in between. Whatever the interleaving:
 * no twin resource, one task definition revision per rendered content, no status update lost, status
 * revisions only ever going up, and after a quiet pass every status speaks of the latest spec and every
 * scaling decision is in force.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { InitializeMiddleware } from '@smithy/types';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePool } from '../../controller/api/validatePool.js';
import { desiredTaskDefinition } from '../../controller/core/desiredState.js';
import type { PrefectWorkerPoolStatus } from '../../controller/core/poolStatus.js';
import { createAlarmHandler, type AlarmStateChangeEvent } from '../../controller/handlers/alarmHandler.js';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { createStreamHandler } from '../../controller/handlers/streamHandler.js';
import { specHashOf } from '../../controller/reconciler/reconcilePool.js';
import type { ReconcilerDependencies } from '../../controller/reconciler/reconcilerDependencies.js';
import { CrashInjector, type MutatingCall } from '../support/crashInjector.js';
import { startAtomicDynamoProxy, type AtomicDynamoProxy } from '../support/atomicDynamoProxy.js';
import { autoPoolManifest, processPoolManifest } from '../support/poolManifests.js';
import {
  createReconcilerHarness,
  ManualClock,
  type ReconcilerHarness,
} from '../support/reconcilerHarness.js';
import { startTestAws, type TestAws } from '../support/testEnvironment.js';
import { captureWorld, findDuplicates, findLeftovers } from '../support/worldSnapshot.js';

let aws: TestAws;
/** moto with atomic DynamoDB conditional writes, as DynamoDB has them (see atomicDynamoProxy). */
let atomic: AtomicDynamoProxy;
let viaProxy: TestAws;

beforeAll(async () => {
  aws = await startTestAws();
  atomic = await startAtomicDynamoProxy(aws.endpoint);
  viaProxy = { ...aws, endpoint: atomic.endpoint };
});
afterAll(async () => {
  await atomic?.close();
  await aws?.stop();
  if (outcomes.length > 0) console.log(['races', ...outcomes.map((line) => `  ${line}`)].join('\n'));
});

const outcomes: string[] = [];

const fixedPools = Array.from({ length: 10 }, (_, i) => `rc-fixed-${String(i).padStart(2, '0')}`);
const autoPools = Array.from({ length: 10 }, (_, i) => `rc-auto-${String(i).padStart(2, '0')}`);
const allPools = [...fixedPools, ...autoPools];
/** Auto pools scaled by people (poolctl scale) and by backlog alarms, each round. */
const manualPools = autoPools.slice(0, 5);
const alarmPools = autoPools.slice(5);
const backlogPerWorker = 5;

function manifestFor(pool: string, imageVersion: number): Record<string, unknown> {
  const image = `prefecthq/prefect:3.${imageVersion}-python3.12`;
  if (pool.startsWith('rc-fixed')) return processPoolManifest(pool, { workers: 1, image });
  const manifest = autoPoolManifest(pool, { minWorkers: 1, maxWorkers: 10, backlogPerWorker });
  (manifest.spec as { worker: Record<string, unknown> }).worker.image = image;
  return manifest;
}

/** Which pools get a new image before round r (a different third each time). */
function changedIn(round: number): string[] {
  return allPools.filter((_, i) => i % 3 === round % 3);
}

/** The worker count each round's scale request or alarm asks for. */
const manualTarget = (round: number) => round + 2;
const alarmTarget = (round: number) => round + 3;

/** A status write that took effect: which pool, which revision. */
interface StatusWrite {
  readonly pool: string;
  readonly revision: number;
}

/** Records every status write that succeeded through a client, with the revision it wrote. */
function recordStatusWrites(harness: ReconcilerHarness, into: StatusWrite[], name: string): void {
  // The document client's stack is typed with DynamoDB's own inputs; this reads only the command's input.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const middleware: InitializeMiddleware<any, any> = (next, context) => async (args) => {
    const result = await next(args);
    const input = (args as { input?: { Item?: Record<string, unknown> } }).input;
    if (context.commandName === 'PutItemCommand' && input?.Item?.sk === 'status') {
      into.push({ pool: String(input.Item.pk), revision: Number(input.Item.revision) });
    }
    return result;
  };
  harness.clients.dynamodb.middlewareStack.add(middleware, { step: 'initialize', name, tags: ['TEST'] });
}

interface Controller {
  readonly harness: ReconcilerHarness;
  readonly deps: ReconcilerDependencies;
  readonly counter: CrashInjector;
  readonly schedule: ReturnType<typeof createScheduleHandler>;
  readonly stream: ReturnType<typeof createStreamHandler>;
  readonly alarm: ReturnType<typeof createAlarmHandler>;
}

let controllers = 0;

/** A controller process: its own clients, the shared clock (time is the same in every container). */
function startController(clock: ManualClock, writes: StatusWrite[]): Controller {
  const harness = createReconcilerHarness(viaProxy);
  const counter = new CrashInjector();
  const { ecs, ec2, cloudwatch, dynamodb, secrets } = harness.clients;
  counter.attach(ecs, ec2, cloudwatch, dynamodb, secrets);
  recordStatusWrites(harness, writes, `statusWrites-${++controllers}`);
  // Lost races are logged; expected here.
  const deps = { ...harness.deps, clock, logger: new Logger({ logLevel: 'SILENT' }) };
  return {
    harness,
    deps,
    counter,
    schedule: createScheduleHandler(() => deps),
    stream: createStreamHandler(() => deps),
    alarm: createAlarmHandler(() => deps),
  };
}

let sequence = 0;
function specRecords(pools: readonly string[]): { Records: DynamoDBRecord[] } {
  return {
    Records: pools.map((pool) => {
      sequence += 1;
      return {
        eventID: `event-${sequence}`,
        eventName: 'MODIFY',
        eventSource: 'aws:dynamodb',
        dynamodb: {
          Keys: { pk: { S: pool }, sk: { S: 'spec' } },
          SequenceNumber: String(sequence).padStart(21, '0'),
        },
      };
    }),
  };
}

/** The EventBridge event of a backlog scale-out alarm whose datapoint asks for `target` workers. */
function backlogAlarmEvent(pool: string, target: number, current: number, at: Date): AlarmStateChangeEvent {
  const alarmName = `test-${pool}-backlog-scale-out`;
  // The datapoint is backlog per worker (zero counting as one): backlog = target × backlogPerWorker.
  const datapoint = (target * backlogPerWorker) / Math.max(current, 1);
  const reasonData = JSON.stringify({ version: '1.0', recentDatapoints: [datapoint], threshold: 5 });
  return {
    version: '0',
    id: `event-${alarmName}-${at.getTime()}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: at.toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: 'ALARM', reason: 'test', reasonData },
      previousState: { value: 'OK' },
    },
  };
}

interface TableState {
  readonly specs: Map<string, Record<string, unknown>>;
  readonly statuses: Map<string, { revision: number; status: PrefectWorkerPoolStatus }>;
  readonly scaleRequests: number;
}

async function readTable(harness: ReconcilerHarness): Promise<TableState> {
  const specs = new Map<string, Record<string, unknown>>();
  const statuses = new Map<string, { revision: number; status: PrefectWorkerPoolStatus }>();
  let scaleRequests = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await harness.clients.dynamodb.send(
      new ScanCommand({ TableName: aws.config.tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    for (const item of (page.Items ?? []) as Record<string, unknown>[]) {
      if (item.sk === 'spec') specs.set(String(item.pk), item);
      if (item.sk === 'scale') scaleRequests += 1;
      if (item.sk === 'status') {
        statuses.set(String(item.pk), {
          revision: Number(item.revision),
          status: item.status as PrefectWorkerPoolStatus,
        });
      }
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { specs, statuses, scaleRequests };
}

/**
 * Reads the table over and over while a round runs, as a watcher would, and remembers any status
 * revision that went down or any status that vanished (nothing deletes a pool here).
 */
function watchRevisions(harness: ReconcilerHarness, seen: Map<string, number>, regressions: string[]) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { statuses } = await readTable(harness);
      for (const [pool, seenRevision] of seen) {
        const now = statuses.get(pool)?.revision;
        if (now === undefined || now < seenRevision) regressions.push(`${pool}: ${seenRevision} → ${now}`);
      }
      for (const [pool, { revision }] of statuses) seen.set(pool, Math.max(revision, seen.get(pool) ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

const refusedWrites = (fleet: readonly Controller[]) =>
  fleet.reduce(
    (sum, controller) =>
      sum +
      controller.counter.mutatingCalls.filter(
        (call) => call.operation === 'PutItem' && call.item === 'status' && call.outcome === 'error',
      ).length,
    0,
  );
const leaseHeldCount = (fleet: readonly Controller[]) =>
  fleet.reduce((sum, controller) => sum + controller.harness.results.filter((r) => r.leaseHeld).length, 0);

/**
 * Lambda's retries: an invocation that fails is made again (an asynchronous one up to twice, a stream
 * batch's failed records until they succeed; twice is enough here), after a short pause.
 */
async function retried<T>(invoke: () => Promise<T>, onRetry: () => void = () => {}): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await invoke();
    } catch (error) {
      if (attempt > 2) throw error;
      onRetry();
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    }
  }
}

const count = (calls: readonly MutatingCall[], operation: string, outcome?: MutatingCall['outcome']) =>
  calls.filter((call) => call.operation === operation && (!outcome || call.outcome === outcome)).length;

/**
 * Controllers at work in each round: four create the pools at once, then two, three and four change
 * and scale them, a third of the images and every auto pool's worker count each round.
 */
const roundPlan = [4, 2, 3, 4] as const;
const rounds = roundPlan.length - 1;

describe('races', () => {
  it('two to four controllers at once over 20 pools: no twins, no lost status update, every decision in force', async () => {
    // prepare: 20 pools and four controller processes sharing one clock.
    const direct = createReconcilerHarness(aws);
    const clock = new ManualClock();
    const writes: StatusWrite[] = [];
    const fleet = Array.from({ length: Math.max(...roundPlan) }, () => startController(clock, writes));
    const applied = new Map<string, Set<string>>(allPools.map((pool) => [pool, new Set<string>()]));
    const imageVersion = new Map(allPools.map((pool) => [pool, 0]));
    const putSpec = async (pool: string) => {
      const manifest = manifestFor(pool, imageVersion.get(pool) ?? 0);
      await direct.putSpec(manifest);
      const validation = validatePool(
        { pk: pool, sk: 'spec', ...manifest },
        { ...aws.config, expectedName: pool },
      );
      if (!validation.valid) throw new Error(`invalid test manifest for ${pool}`);
      applied.get(pool)?.add(desiredTaskDefinition(validation.pool, aws.config).contentHash);
    };
    await Promise.all(allPools.map(putSpec));

    const seen = new Map<string, number>();
    const regressions: string[] = [];
    let reportedScales = 0;
    const redeliveries = { stream: 0, alarm: 0 };
    const redeliveriesTotal = { stream: 0, alarm: 0 };

    // act: rounds of everything at once.
    for (const [round, controllerCount] of roundPlan.entries()) {
      const active = fleet.slice(0, controllerCount);
      const changed = round === 0 ? allPools : changedIn(round);
      if (round > 0) {
        for (const pool of changed) imageVersion.set(pool, round);
        await Promise.all(changed.map(putSpec));
        await Promise.all(
          manualPools.map((pool) =>
            direct.clients.dynamodb.send(
              new PutCommand({
                TableName: aws.config.tableName,
                Item: {
                  pk: pool,
                  sk: 'scale',
                  workers: manualTarget(round),
                  requestedAt: clock.now().toISOString(),
                  requestedBy: 'alice@laptop',
                },
              }),
            ),
          ),
        );
      }
      const writesBefore = writes.length;
      const refusedBefore = refusedWrites(fleet);
      const heldBefore = leaseHeldCount(fleet);
      let decisions = 0;
      const stopWatching = watchRevisions(direct, seen, regressions);
      const work: Promise<unknown>[] = [];
      active.forEach((controller, i) => {
        work.push(
          controller.schedule({}).then((summary) => {
            decisions += summary.scaled;
          }),
        );
        // The stream: the changed pools' records, delivered twice (at least once is not once), and
        // the records a batch reports failed delivered again, as Lambda does.
        if (i < 2) {
          work.push(
            retried(async () => {
              const response = await controller.stream(specRecords(changed));
              const failed = response.batchItemFailures.length;
              redeliveries.stream += failed > 0 ? 1 : 0;
              if (failed > 0) throw new Error(`${failed} records failed`);
            }).catch(() => undefined),
          );
        }
        if (round === 0) return;
        // Each alarm event reaches two controllers: EventBridge delivers at least once. An invocation
        // that throws (its decision lost the status race three times) is invoked again, as Lambda's
        // asynchronous invocation does, up to twice.
        for (const [j, pool] of alarmPools.entries()) {
          if (j % controllerCount !== i && (j + 1) % controllerCount !== i) continue;
          const current = round === 1 ? 1 : alarmTarget(round - 1);
          const event = backlogAlarmEvent(pool, alarmTarget(round), current, clock.now());
          work.push(
            retried(
              () => controller.alarm(event),
              () => (redeliveries.alarm += 1),
            ).then((outcome) => {
              if (outcome.handled && outcome.result.decision?.outcome === 'scale') decisions += 1;
            }),
          );
        }
      });
      await Promise.all(work);
      await stopWatching();
      reportedScales += decisions;
      redeliveriesTotal.stream += redeliveries.stream;
      redeliveriesTotal.alarm += redeliveries.alarm;
      redeliveries.stream = 0;
      redeliveries.alarm = 0;
      outcomes.push(
        `round ${round}: ${controllerCount} controllers, ${changed.length} specs changed, ` +
          `${round === 0 ? 0 : autoPools.length} scale requests; ${writes.length - writesBefore} status writes, ` +
          `${refusedWrites(fleet) - refusedBefore} refused (lost race, retried), ` +
          `${leaseHeldCount(fleet) - heldBefore} reconciles found the lease held, ${decisions} scaling decisions` +
          `; redelivered: ${redeliveries.stream} stream batches, ${redeliveries.alarm} alarm events`,
      );
      // Past the scale-out cooldown before the next round's decisions (never while a lease is held).
      clock.advance(61_000);
    }

    // A quiet pass by one more controller: whatever a lost race left for later is done now.
    const quiet = startController(clock, writes);
    await quiet.schedule({});
    await quiet.schedule({});

    // assess
    const calls = [...fleet, quiet].flatMap((controller) => controller.counter.mutatingCalls);
    const table = await readTable(direct);
    const world = await captureWorld(direct.clients, aws.config, { now: clock.now() });

    // No twins: one create per pool, one revision per rendered content, nothing left over.
    expect(findDuplicates(world)).toEqual([]);
    expect(findLeftovers(world)).toEqual([]);
    expect(count(calls, 'CreateService')).toBe(allPools.length);
    expect(count(calls, 'CreateSecurityGroup')).toBe(allPools.length);
    const distinctContents = [...applied.values()].reduce((sum, hashes) => sum + hashes.size, 0);
    expect(count(calls, 'RegisterTaskDefinition')).toBe(distinctContents);
    expect(count(calls, 'RegisterTaskDefinition', 'error')).toBe(0);
    for (const pool of allPools) {
      expect(world.pools[pool]?.taskDefinitionRevisions, pool).toHaveLength(applied.get(pool)?.size ?? 0);
      expect(
        world.pools[pool]?.services.map((s) => s.taskDefinition),
        pool,
      ).toEqual(['desired']);
    }

    // Status: the latest spec, no error; revisions written once each, never seen going down.
    expect(regressions).toEqual([]);
    for (const pool of allPools) {
      const stored = table.statuses.get(pool);
      const spec = table.specs.get(pool);
      expect(stored?.status.observedSpecHash, `${pool} status speaks of the latest spec`).toBe(
        spec && specHashOf(spec),
      );
      expect(stored?.status.lastError, pool).toBeNull();
      expect(stored?.status.conditions.find((c) => c.type === 'Provisioned')?.status, pool).toBe('True');
      const revisions = writes.filter((w) => w.pool === pool).map((w) => w.revision);
      // Every successful write has its own revision, 1, 2, 3...: none overwrote another.
      expect(
        [...revisions].sort((a, b) => a - b),
        pool,
      ).toEqual(Array.from({ length: revisions.length }, (_, i) => i + 1));
      expect(stored?.revision, pool).toBe(revisions.length);
    }

    // Scaling: the last decision is in force, in status and in ECS, and no reported decision is lost.
    const services = await direct.clients.ecs.send(
      new DescribeServicesCommand({
        cluster: aws.config.clusterName,
        services: autoPools.map((pool) => `test-${pool}`),
      }),
    );
    const desiredCounts = new Map(services.services?.map((s) => [s.serviceName, s.desiredCount]));
    let recordedScales = 0;
    for (const pool of autoPools) {
      const scaling = table.statuses.get(pool)?.status.scaling;
      const expected = manualPools.includes(pool) ? manualTarget(rounds) : alarmTarget(rounds);
      expect(scaling?.desiredWorkers, `${pool} scaler count`).toBe(expected);
      expect(desiredCounts.get(`test-${pool}`), `${pool} service desired count`).toBe(expected);
      recordedScales += (scaling?.recentDecisions ?? []).filter((d) => d.outcome === 'scale').length;
    }
    expect(table.scaleRequests).toBe(0);
    expect(recordedScales).toBe(reportedScales);
    expect(reportedScales).toBe(autoPools.length * rounds);

    outcomes.push(
      `after a quiet pass: ${writes.length} status writes in all, ` +
        `${count(calls, 'RegisterTaskDefinition')} revisions registered for ${distinctContents} distinct contents, ` +
        `${count(calls, 'CreateService')} services and ${count(calls, 'CreateSecurityGroup')} security groups ` +
        `created for ${allPools.length} pools, ${recordedScales} scaling decisions recorded of ${reportedScales} reported, ` +
        `${redeliveriesTotal.stream} stream batches and ${redeliveriesTotal.alarm} alarm events redelivered, ` +
        `${atomic.queued} DynamoDB requests held back for atomicity; no twin, nothing left behind`,
    );
  }, 90_000);
});

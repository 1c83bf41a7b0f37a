/**
 * Crash at every step (issue #5): for creating, updating and deleting a pool, the controller's process
 * dies right after its k-th mutating call — for every k the uninterrupted run makes, AWS writes and its
 * own status and lease writes alike — and a fresh controller recovers once the dead one's lease has
 * expired. The world it leaves (moto and the status item) must equal the uninterrupted run's, with no
 * twin and no orphan; a drift pass afterwards (with garbage collection) must find nothing to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { leaseTtlMs, reconcilePool } from '../../controller/reconciler/reconcilePool.js';
import {
  CrashInjector,
  crashPointsOf,
  describeCall,
  type CrashPoint,
  type MutatingCall,
} from '../support/crashInjector.js';
import { autoPoolManifest, processPoolManifest } from '../support/poolManifests.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { startTestAws, type TestAws } from '../support/testEnvironment.js';
import {
  captureWorld,
  findDuplicates,
  findLeftovers,
  ignoringExpiredLease,
  type PoolWorld,
} from '../support/worldSnapshot.js';

let aws: TestAws;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws?.stop();
  if (report.length > 0) {
    const total = report.reduce((sum, row) => sum + row.points, 0);
    console.log(
      [
        'crash at every step: injection points',
        ...report.map(
          (row) => `  ${row.scenario.padEnd(13)} ${String(row.points).padStart(3)}  ${row.steps}`,
        ),
        `  ${'total'.padEnd(13)} ${String(total).padStart(3)}`,
      ].join('\n'),
    );
  }
});

const report: { scenario: string; points: number; steps: string }[] = [];

interface Scenario {
  readonly name: string;
  /** Pool names are `<prefix>-<run>`: short, and never a substring of another pool's name. */
  readonly prefix: string;
  /** Brings the pool to where the interrupted action starts (a created pool for update and delete). */
  prepare(harness: ReconcilerHarness, pool: string): Promise<void>;
  /** What a trigger would run for it: a reconcile by name, as the stream handler does. */
  act(harness: ReconcilerHarness, pool: string): Promise<unknown>;
  /** ECS CreateService calls the whole run should make, crashed and recovery runs together. */
  readonly createsService: boolean;
}

const reconcile = (harness: ReconcilerHarness, pool: string) => reconcilePool(harness.deps, pool);

async function createExisting(harness: ReconcilerHarness, manifest: Record<string, unknown>, pool: string) {
  await harness.putSpec(manifest);
  await reconcilePool(harness.deps, pool);
}

const scenarios: readonly Scenario[] = [
  {
    name: 'create fixed',
    prefix: 'crf',
    createsService: true,
    prepare: (harness, pool) => harness.putSpec(processPoolManifest(pool, { workers: 1 })),
    act: reconcile,
  },
  {
    name: 'create auto',
    prefix: 'cra',
    createsService: true,
    prepare: (harness, pool) => harness.putSpec(autoPoolManifest(pool, { minWorkers: 1 })),
    act: reconcile,
  },
  {
    name: 'update',
    prefix: 'upd',
    createsService: false,
    async prepare(harness, pool) {
      await createExisting(harness, processPoolManifest(pool, { workers: 1 }), pool);
      // Image, size, egress and worker count at once: a new revision, egress revoked and authorized,
      // and the service moved to the revision with a new count.
      await harness.putSpec(
        processPoolManifest(pool, {
          image: 'prefecthq/prefect:3.1-python3.12',
          cpu: 1024,
          memory: 4096,
          egress: [
            { port: 8443, cidr: '0.0.0.0/0' },
            { fromPort: 5432, toPort: 5433, cidr: '10.42.0.0/16', description: 'database' },
          ],
          workers: 2,
        }),
      );
    },
    act: reconcile,
  },
  {
    name: 'delete',
    prefix: 'del',
    createsService: false,
    async prepare(harness, pool) {
      await createExisting(harness, autoPoolManifest(pool, { minWorkers: 1 }), pool);
      await harness.deleteSpec(pool);
    },
    act: reconcile,
  },
];

function attachCounter(harness: ReconcilerHarness, crashAfter?: CrashPoint): CrashInjector {
  const injector = new CrashInjector(crashAfter);
  const { ecs, ec2, cloudwatch, dynamodb, secrets } = harness.clients;
  injector.attach(ecs, ec2, cloudwatch, dynamodb, secrets);
  return injector;
}

/** A controller started after the crashed one's lease ran out: a new process, new clients, later clock. */
function laterHarness(): ReconcilerHarness {
  const harness = createReconcilerHarness(aws);
  harness.clock.advance(leaseTtlMs + 1_000);
  return harness;
}

interface Recovery {
  readonly calls: readonly MutatingCall[];
  /** Mutating calls of the second reconcile: none, if the first converged. */
  readonly secondPass: readonly MutatingCall[];
}

/** Two reconciles by a fresh controller, as the next stream retry and the next drift pass would. */
async function recover(pool: string): Promise<Recovery> {
  const harness = laterHarness();
  const counter = attachCounter(harness);
  await reconcilePool(harness.deps, pool);
  const afterFirst = counter.mutatingCalls.length;
  await reconcilePool(harness.deps, pool);
  return { calls: counter.mutatingCalls, secondPass: counter.mutatingCalls.slice(afterFirst) };
}

async function snapshotOf(pool: string): Promise<PoolWorld> {
  const harness = laterHarness();
  const world = await captureWorld(harness.clients, aws.config, { now: harness.clock.now(), pools: [pool] });
  const state = world.pools[pool];
  if (!state) throw new Error(`no snapshot for ${pool}`);
  return state;
}

/**
 * The schedule (drift pass over every pool, garbage collection, scaling pass) after recovery: it may
 * record what the scaling pass observes (the backlog, in status), but changes nothing in AWS and takes
 * no lease; a second pass then makes no mutating call at all.
 */
async function expectScheduleChangesNothing(): Promise<void> {
  const harness = laterHarness();
  const schedule = createScheduleHandler(() => harness.deps);
  const first = attachCounter(harness);
  const summary = await schedule({});
  expect(summary.errors).toBe(0);
  expect(
    first.mutatingCalls.filter((call) => !(call.operation === 'PutItem' && call.item === 'status')),
  ).toEqual([]);
  first.detach();
  const second = attachCounter(harness);
  await schedule({});
  expect(second.mutatingCalls.map(describeCall)).toEqual([]);
}

const countOf = (calls: readonly MutatingCall[], operation: string) =>
  calls.filter((call) => call.operation === operation).length;

describe('crash at every step', () => {
  it.each(scenarios)(
    'recovers from a crash after any mutating call of $name to the uninterrupted end state',
    async (scenario) => {
      // The uninterrupted run, counted: one injection point per mutating call it makes.
      const baselinePool = `${scenario.prefix}-base`;
      await scenario.prepare(createReconcilerHarness(aws), baselinePool);
      const uninterrupted = createReconcilerHarness(aws);
      const counter = attachCounter(uninterrupted);
      await scenario.act(uninterrupted, baselinePool);
      const steps = [...counter.mutatingCalls];
      expect(steps.length).toBeGreaterThan(0);
      expect(steps.every((call) => call.outcome === 'ok')).toBe(true);
      const baselineRecovery = await recover(baselinePool);
      expect(baselineRecovery.calls.map(describeCall)).toEqual([]);
      await expectScheduleChangesNothing();
      const expected = ignoringExpiredLease(await snapshotOf(baselinePool));

      // Step k of the uninterrupted run, named (the n-th call of its kind), so that each run dies after
      // that very step even where parallel branches (security group, task definition, alarms) finish in
      // another order.
      const points = crashPointsOf(steps);
      const crashPoints: string[] = [];
      const poolFor = (k: number) => `${scenario.prefix}-k${String(k).padStart(2, '0')}`;
      // Eight runs at a time: each has a pool of its own, so they never meet. The schedule check after
      // each group then covers every pool recovered so far, and the world is read after it.
      const lanes = 8;
      for (let start = 1; start <= steps.length; start += lanes) {
        const group = Array.from({ length: Math.min(lanes, steps.length - start + 1) }, (_, i) => start + i);
        await Promise.all(
          group.map(async (k) => {
            const pool = poolFor(k);
            await scenario.prepare(createReconcilerHarness(aws), pool);

            // A process that dies right after its k-th mutating call.
            const doomed = createReconcilerHarness(aws);
            const injector = attachCounter(doomed, points[k - 1]);
            // Whether the reconcile rejects or returns, its result is the dead process's: discarded.
            await scenario.act(doomed, pool).catch(() => undefined);
            await injector.idle();
            expect(injector.crashed, `run ${k} should have crashed`).toBe(true);
            crashPoints[k - 1] = describeCall(injector.crashedAfter!);

            const recovery = await recover(pool);

            expect(recovery.secondPass.map(describeCall), `second reconcile after crash ${k}`).toEqual([]);
            // moto overwrites a service created twice: count the creates instead.
            const sent = [...injector.mutatingCalls, ...recovery.calls];
            expect(countOf(sent, 'CreateService'), `CreateService calls, crash ${k}`).toBe(
              scenario.createsService ? 1 : 0,
            );
            expect(countOf(sent, 'CreateSecurityGroup'), `CreateSecurityGroup calls, crash ${k}`).toBe(
              scenario.createsService ? 1 : 0,
            );
          }),
        );
        await expectScheduleChangesNothing();
        for (const k of group) {
          const state = ignoringExpiredLease(await snapshotOf(poolFor(k)));
          expect(state, `world after a crash right after ${crashPoints[k - 1]} (k=${k})`).toEqual(expected);
        }
      }

      report.push({
        scenario: scenario.name,
        points: steps.length,
        steps: steps.map(describeCall).join(' → '),
      });
      // Every step of the uninterrupted run was a crash point.
      expect(crashPoints).toEqual(steps.map(describeCall));
    },
    120_000,
  );

  it('leaves no twin and nothing owned without a spec anywhere in the world', async () => {
    const harness = laterHarness();
    const world = await captureWorld(harness.clients, aws.config, { now: harness.clock.now() });

    expect(findDuplicates(world)).toEqual([]);
    expect(findLeftovers(world)).toEqual([]);
    const states = Object.values(world.pools);
    console.log(
      `crash at every step: world afterwards: ${states.filter((s) => s.spec).length} pools with a spec, ` +
        'every deleted pool gone (no twin, nothing owned without a spec); ' +
        `${states.filter((s) => s.lease === 'expired').length} expired lease items left by crashes ` +
        '(taken over by the next reconcile that needs them, removed by TTL)',
    );
    // Deleted pools are gone entirely: at most an expired lease item, which DynamoDB's TTL removes.
    const deleted = Object.entries(world.pools).filter(([pool]) => pool.startsWith('del-'));
    for (const [pool, state] of deleted) {
      expect({ pool, ...state }).toEqual({
        pool,
        spec: false,
        securityGroups: [],
        taskDefinitionRevisions: [],
        services: [],
        alarms: [],
        status: null,
        lease: expect.stringMatching(/^(none|expired)$/),
        scaleRequest: false,
      });
    }
  });
});

/**
 * The scaling policy, by table: one row per rule of decideScaling (bounds, proportional steps, cooldown,
 * stabilization, zero, paused, fixed, running flow runs, unknown signals), then properties over any
 * valid inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScalingSpec, WorkPoolSpec } from '../../../controller/api/generated/prefectWorkerPool.js';
import {
  decideScaling,
  type ScaleDirection,
  type ScalingDecision,
  type ScalingInputs,
  type ScalingOutcome,
  type ScalingTrigger,
} from '../../../controller/core/scalingPolicy.js';
import { resolvedPool, t0 } from './poolFixtures.js';

/** Every row starts from this auto pool: [1, 10] workers, 5 flow runs per worker, 50% CPU, 60s / 300s. */
const baseScaling: ScalingSpec = {
  mode: 'auto',
  workers: undefined,
  minWorkers: 1,
  maxWorkers: 10,
  backlogPerWorker: 5,
  cpuTargetPercent: 50,
  scaleOutCooldownSeconds: 60,
  scaleInCooldownSeconds: 300,
};

const backlogOut = (datapoint?: number): ScalingTrigger => ({
  signal: 'backlog',
  direction: 'out',
  ...(datapoint !== undefined ? { datapoint } : {}),
});
const backlogIn = (datapoint?: number): ScalingTrigger => ({
  signal: 'backlog',
  direction: 'in',
  ...(datapoint !== undefined ? { datapoint } : {}),
});
const cpuOut = (datapoint?: number): ScalingTrigger => ({
  signal: 'cpu',
  direction: 'out',
  ...(datapoint !== undefined ? { datapoint } : {}),
});
const cpuIn = (datapoint?: number): ScalingTrigger => ({
  signal: 'cpu',
  direction: 'in',
  ...(datapoint !== undefined ? { datapoint } : {}),
});

interface Row {
  readonly name: string;
  readonly scaling?: ScalingSpec;
  readonly workPool?: WorkPoolSpec;
  readonly current: number;
  readonly trigger: ScalingTrigger;
  readonly backlog?: number;
  /** Defaults to 0; `unknown` leaves it undefined. */
  readonly runningFlowRuns?: number | 'unknown';
  readonly scaleOutSignalActive?: boolean;
  readonly lastScale?: { readonly secondsAgo: number; readonly direction: ScaleDirection };
  readonly expected: {
    readonly desired: number;
    readonly outcome: ScalingOutcome;
    readonly code: string;
    /** Seconds after `now` when a deferral may be retried; absent means no retryAt. */
    readonly retryInSeconds?: number;
    readonly reasonIncludes?: string;
  };
}

function inputsOf(row: Row): ScalingInputs {
  const pool = resolvedPool({
    scaling: { ...baseScaling, ...row.scaling },
    workPool: { type: 'process', ...row.workPool },
  });
  const runningFlowRuns = row.runningFlowRuns ?? 0;
  return {
    spec: pool.spec,
    current: row.current,
    running: row.current,
    trigger: row.trigger,
    ...(row.backlog !== undefined ? { backlog: row.backlog } : {}),
    ...(runningFlowRuns !== 'unknown' ? { runningFlowRuns } : {}),
    scaleOutSignalActive: row.scaleOutSignalActive ?? false,
    ...(row.lastScale
      ? {
          lastScaleTime: new Date(t0.getTime() - row.lastScale.secondsAgo * 1000),
          lastScaleDirection: row.lastScale.direction,
        }
      : {}),
    now: t0,
  };
}

function expectDecision(decision: ScalingDecision, expected: Row['expected']): void {
  expect({ desired: decision.desired, outcome: decision.outcome, code: decision.code }).toEqual({
    desired: expected.desired,
    outcome: expected.outcome,
    code: expected.code,
  });
  expect(decision.retryAt?.toISOString()).toBe(
    expected.retryInSeconds !== undefined
      ? new Date(t0.getTime() + expected.retryInSeconds * 1000).toISOString()
      : undefined,
  );
  if (expected.reasonIncludes) expect(decision.reason).toContain(expected.reasonIncludes);
  expect(decision.reason).not.toBe('');
}

function runTable(rows: readonly Row[]): void {
  it.each(rows.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    // prepare
    const inputs = inputsOf(row);
    // act
    const decision = decideScaling(inputs);
    // assess
    expectDecision(decision, row.expected);
  });
}

describe('decideScaling', () => {
  describe('backlog scale-out is proportional: ceil(backlog / backlogPerWorker)', () => {
    runTable([
      {
        name: 'reads the backlog from the alarm datapoint (per worker × workers): 10 × 2 = 20 → 4',
        current: 2,
        trigger: backlogOut(10),
        expected: {
          desired: 4,
          outcome: 'scale',
          code: 'BacklogAboveTarget',
          reasonIncludes: 'backlog 20 at 5 per worker: 2 → 4 workers',
        },
      },
      {
        name: 'prefers the alarm datapoint over the observed backlog',
        current: 2,
        trigger: backlogOut(10),
        backlog: 50,
        expected: { desired: 4, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
      {
        name: 'rounds the datapoint product: 5.5 × 2 = 11 → 3',
        current: 2,
        trigger: backlogOut(5.5),
        expected: { desired: 3, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
      {
        name: 'uses the observed backlog when the alarm carried no datapoint: 23 → 5',
        current: 2,
        trigger: backlogOut(),
        backlog: 23,
        expected: { desired: 5, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
      {
        name: 'a backlog of exactly 2 × backlogPerWorker needs exactly 2 workers',
        current: 1,
        trigger: backlogOut(),
        backlog: 10,
        expected: { desired: 2, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
      {
        name: 'one flow run past a multiple needs one more worker: 11 → 3',
        current: 1,
        trigger: backlogOut(),
        backlog: 11,
        expected: { desired: 3, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
      {
        name: 'counts a pool at zero as one worker for the datapoint: 7 × max(0, 1) = 7 → 2',
        scaling: { minWorkers: 0 },
        current: 0,
        trigger: backlogOut(7),
        expected: { desired: 2, outcome: 'scale', code: 'ScaleFromZero' },
      },
    ]);
  });

  describe('CPU scaling is proportional: ceil(current × cpu / cpuTargetPercent)', () => {
    runTable([
      {
        name: 'scales out 4 workers at 75% against 50% to 6',
        current: 4,
        trigger: cpuOut(75),
        expected: {
          desired: 6,
          outcome: 'scale',
          code: 'CpuAboveTarget',
          reasonIncludes: 'CPU 75.0% against a target of 50%',
        },
      },
      {
        name: 'a CPU landing exactly on a multiple takes no extra worker: 4 × 62.5 / 50 = 5',
        current: 4,
        trigger: cpuOut(62.5),
        expected: { desired: 5, outcome: 'scale', code: 'CpuAboveTarget' },
      },
      {
        name: 'a CPU scale-out goes at least to what the backlog needs (40 → 8, CPU alone 3)',
        current: 2,
        trigger: cpuOut(60),
        backlog: 40,
        expected: { desired: 8, outcome: 'scale', code: 'CpuAboveTarget' },
      },
      {
        name: 'scales in 6 workers at 20% against 50% to 3',
        current: 6,
        trigger: cpuIn(20),
        expected: { desired: 3, outcome: 'scale', code: 'CpuBelowTarget' },
      },
      {
        name: 'a CPU scale-in stops at what the backlog needs (20 → 4, CPU alone 2)',
        current: 6,
        trigger: cpuIn(10),
        backlog: 20,
        expected: { desired: 4, outcome: 'scale', code: 'CpuBelowTarget' },
      },
      {
        name: 'a CPU scale-in holds when the backlog needs every current worker',
        current: 6,
        trigger: cpuIn(10),
        backlog: 30,
        expected: { desired: 6, outcome: 'hold', code: 'AtTarget' },
      },
    ]);
  });

  describe('bounds', () => {
    runTable([
      {
        name: 'clamps a scale-out at maxWorkers and says so',
        current: 2,
        trigger: backlogOut(),
        backlog: 100,
        expected: { desired: 10, outcome: 'scale', code: 'BacklogAboveTarget', reasonIncludes: '[1, 10]' },
      },
      {
        name: 'clamps a scale-in at minWorkers and says so',
        current: 4,
        trigger: backlogIn(),
        backlog: 0,
        expected: { desired: 1, outcome: 'scale', code: 'BacklogBelowTarget', reasonIncludes: '[1, 10]' },
      },
      {
        name: 'holds at maxWorkers when more is wanted, naming the bounds',
        current: 10,
        trigger: backlogOut(),
        backlog: 100,
        expected: { desired: 10, outcome: 'hold', code: 'AtTarget', reasonIncludes: '[1, 10]' },
      },
      {
        name: 'holds at minWorkers when less is wanted, naming the bounds',
        current: 1,
        trigger: backlogIn(),
        backlog: 0,
        expected: { desired: 1, outcome: 'hold', code: 'AtTarget', reasonIncludes: '[1, 10]' },
      },
    ]);
  });

  describe('AtTarget holds in both directions', () => {
    runTable([
      {
        name: 'a scale-out alarm whose proposal equals the current count holds',
        current: 4,
        trigger: backlogOut(),
        backlog: 18,
        expected: { desired: 4, outcome: 'hold', code: 'AtTarget' },
      },
      {
        name: 'a scale-out alarm never scales in (backlog 12 → 3 < 4)',
        current: 4,
        trigger: backlogOut(),
        backlog: 12,
        expected: { desired: 4, outcome: 'hold', code: 'AtTarget' },
      },
      {
        name: 'a scale-in alarm never scales out (backlog 20 → 4 > 2)',
        current: 2,
        trigger: backlogIn(),
        backlog: 20,
        expected: { desired: 2, outcome: 'hold', code: 'AtTarget' },
      },
      {
        name: 'a scale-in alarm whose proposal equals the current count holds',
        current: 3,
        trigger: backlogIn(),
        backlog: 15,
        expected: { desired: 3, outcome: 'hold', code: 'AtTarget' },
      },
    ]);
  });

  describe('scale-out cooldown', () => {
    runTable([
      {
        name: 'defers a scale-out 30s after a scale-out, until the 60s cooldown ends',
        current: 2,
        trigger: backlogOut(),
        backlog: 20,
        lastScale: { secondsAgo: 30, direction: 'out' },
        expected: {
          desired: 2,
          outcome: 'defer',
          code: 'CooldownActive',
          retryInSeconds: 30,
          reasonIncludes: 'wants 4 workers',
        },
      },
      {
        name: 'scales out once the cooldown has exactly elapsed',
        current: 2,
        trigger: backlogOut(),
        backlog: 20,
        lastScale: { secondsAgo: 60, direction: 'out' },
        expected: { desired: 4, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
      {
        name: 'defers a scale-out one second before the cooldown ends',
        current: 2,
        trigger: cpuOut(90),
        lastScale: { secondsAgo: 59, direction: 'out' },
        expected: { desired: 2, outcome: 'defer', code: 'CooldownActive', retryInSeconds: 1 },
      },
      {
        name: 'does not wait for the cooldown after a scale-in',
        current: 2,
        trigger: backlogOut(),
        backlog: 20,
        lastScale: { secondsAgo: 10, direction: 'in' },
        expected: { desired: 4, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
      {
        name: 'scales from zero during the cooldown: the backlog comes from Prefect, not from a worker',
        scaling: { minWorkers: 0 },
        current: 0,
        trigger: backlogOut(),
        backlog: 3,
        lastScale: { secondsAgo: 5, direction: 'out' },
        expected: { desired: 1, outcome: 'scale', code: 'ScaleFromZero' },
      },
      {
        name: 'scales from zero to what the backlog needs, not one at a time',
        scaling: { minWorkers: 0 },
        current: 0,
        trigger: backlogOut(),
        backlog: 12,
        expected: { desired: 3, outcome: 'scale', code: 'ScaleFromZero' },
      },
      {
        name: 'a cooldown of 0 never defers',
        scaling: { scaleOutCooldownSeconds: 0 },
        current: 2,
        trigger: backlogOut(),
        backlog: 20,
        lastScale: { secondsAgo: 0, direction: 'out' },
        expected: { desired: 4, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
    ]);
  });

  describe('scale-in stabilization and the signals that hold it back', () => {
    runTable([
      {
        name: 'defers a scale-in 100s after a scale-in, until the 300s window ends',
        current: 4,
        trigger: backlogIn(),
        backlog: 0,
        lastScale: { secondsAgo: 100, direction: 'in' },
        expected: {
          desired: 4,
          outcome: 'defer',
          code: 'StabilizationWindow',
          retryInSeconds: 200,
          reasonIncludes: 'allows 1 workers',
        },
      },
      {
        name: 'defers a scale-in 100s after a scale-out too (either direction counts)',
        current: 4,
        trigger: cpuIn(10),
        lastScale: { secondsAgo: 100, direction: 'out' },
        expected: { desired: 4, outcome: 'defer', code: 'StabilizationWindow', retryInSeconds: 200 },
      },
      {
        name: 'scales in once the window has exactly elapsed',
        current: 4,
        trigger: backlogIn(),
        backlog: 5,
        lastScale: { secondsAgo: 300, direction: 'in' },
        expected: { desired: 1, outcome: 'scale', code: 'BacklogBelowTarget' },
      },
      {
        name: 'defers a scale-in while another scale-out alarm fires (nothing to wait for on the clock)',
        current: 4,
        trigger: backlogIn(),
        backlog: 5,
        scaleOutSignalActive: true,
        expected: { desired: 4, outcome: 'defer', code: 'ScaleOutSignalActive' },
      },
      {
        name: 'reports the stabilization window before a firing scale-out alarm',
        current: 4,
        trigger: backlogIn(),
        backlog: 5,
        scaleOutSignalActive: true,
        lastScale: { secondsAgo: 100, direction: 'in' },
        expected: { desired: 4, outcome: 'defer', code: 'StabilizationWindow', retryInSeconds: 200 },
      },
      {
        name: 'a scale-out alarm firing does not hold back a scale-out',
        current: 2,
        trigger: backlogOut(),
        backlog: 20,
        scaleOutSignalActive: true,
        expected: { desired: 4, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
    ]);
  });

  describe('running flow runs', () => {
    runTable([
      {
        name: 'defers scale-in of a process pool with running flow runs',
        current: 4,
        trigger: backlogIn(),
        backlog: 0,
        runningFlowRuns: 2,
        expected: {
          desired: 4,
          outcome: 'defer',
          code: 'FlowRunsRunning',
          reasonIncludes: '2 flow runs are running',
        },
      },
      {
        name: 'defers scale-in of a process pool when the running flow runs are unknown',
        current: 4,
        trigger: cpuIn(5),
        runningFlowRuns: 'unknown',
        expected: {
          desired: 4,
          outcome: 'defer',
          code: 'FlowRunsRunning',
          reasonIncludes: 'an unknown number of flow runs',
        },
      },
      {
        name: 'scales in a process pool with no running flow runs',
        current: 4,
        trigger: backlogIn(),
        backlog: 0,
        runningFlowRuns: 0,
        expected: { desired: 1, outcome: 'scale', code: 'BacklogBelowTarget' },
      },
      {
        name: 'scales in an ecs pool with running flow runs (they run in their own tasks)',
        workPool: { type: 'ecs' },
        current: 4,
        trigger: backlogIn(),
        backlog: 0,
        runningFlowRuns: 3,
        expected: { desired: 1, outcome: 'scale', code: 'BacklogBelowTarget' },
      },
      {
        name: 'scales in an ecs pool when the running flow runs are unknown',
        workPool: { type: 'ecs' },
        current: 4,
        trigger: backlogIn(),
        backlog: 0,
        runningFlowRuns: 'unknown',
        expected: { desired: 1, outcome: 'scale', code: 'BacklogBelowTarget' },
      },
      {
        name: 'running flow runs do not hold back a scale-out',
        current: 2,
        trigger: backlogOut(),
        backlog: 20,
        runningFlowRuns: 'unknown',
        expected: { desired: 4, outcome: 'scale', code: 'BacklogAboveTarget' },
      },
    ]);
  });

  describe('zero, paused and fixed', () => {
    runTable([
      {
        name: 'scales to zero with code ScaleToZero when minWorkers is 0',
        scaling: { minWorkers: 0 },
        current: 2,
        trigger: backlogIn(),
        backlog: 0,
        expected: { desired: 0, outcome: 'scale', code: 'ScaleToZero' },
      },
      {
        name: 'a CPU scale-in to zero is ScaleToZero too',
        scaling: { minWorkers: 0 },
        current: 2,
        trigger: cpuIn(0),
        backlog: 0,
        expected: { desired: 0, outcome: 'scale', code: 'ScaleToZero' },
      },
      {
        name: 'a pool at zero with no backlog holds',
        scaling: { minWorkers: 0 },
        current: 0,
        trigger: backlogIn(),
        backlog: 0,
        expected: { desired: 0, outcome: 'hold', code: 'AtTarget' },
      },
      {
        name: 'a paused pool with workers scales to zero, whatever the trigger',
        workPool: { paused: true },
        current: 3,
        trigger: backlogOut(),
        backlog: 100,
        runningFlowRuns: 2,
        expected: { desired: 0, outcome: 'scale', code: 'Paused' },
      },
      {
        name: 'a paused pool at zero holds',
        workPool: { paused: true },
        current: 0,
        trigger: backlogOut(),
        backlog: 100,
        expected: { desired: 0, outcome: 'hold', code: 'Paused' },
      },
      {
        name: 'a paused pool ignores its minWorkers',
        scaling: { minWorkers: 3 },
        workPool: { paused: true },
        current: 3,
        trigger: cpuIn(50),
        expected: { desired: 0, outcome: 'scale', code: 'Paused' },
      },
      {
        name: 'a paused fixed pool scales to zero',
        scaling: { mode: 'fixed', workers: 3, minWorkers: undefined, maxWorkers: undefined },
        workPool: { paused: true },
        current: 3,
        trigger: backlogOut(),
        backlog: 100,
        expected: { desired: 0, outcome: 'scale', code: 'Paused' },
      },
      {
        name: 'a fixed pool holds its count against a scale-out',
        scaling: { mode: 'fixed', workers: 3, minWorkers: undefined, maxWorkers: undefined },
        current: 3,
        trigger: backlogOut(),
        backlog: 100,
        expected: { desired: 3, outcome: 'hold', code: 'FixedMode', reasonIncludes: 'fixed at 3 workers' },
      },
      {
        name: 'a fixed pool holds its count against a scale-in',
        scaling: { mode: 'fixed', workers: 3, minWorkers: undefined, maxWorkers: undefined },
        current: 3,
        trigger: cpuIn(1),
        expected: { desired: 3, outcome: 'hold', code: 'FixedMode' },
      },
    ]);
  });

  describe('unknown signals hold', () => {
    runTable([
      {
        name: 'a backlog scale-out with no datapoint and no observed backlog holds: BacklogUnknown',
        current: 2,
        trigger: backlogOut(),
        expected: { desired: 2, outcome: 'hold', code: 'BacklogUnknown' },
      },
      {
        name: 'a backlog scale-in with no datapoint and no observed backlog holds: BacklogUnknown',
        current: 4,
        trigger: backlogIn(),
        expected: { desired: 4, outcome: 'hold', code: 'BacklogUnknown' },
      },
      {
        name: 'a CPU alarm without a datapoint holds: NoDatapoint, even with a backlog known',
        current: 2,
        trigger: cpuOut(),
        backlog: 40,
        expected: { desired: 2, outcome: 'hold', code: 'NoDatapoint' },
      },
      {
        name: 'a CPU scale-in without a datapoint holds: NoDatapoint',
        current: 4,
        trigger: cpuIn(),
        expected: { desired: 4, outcome: 'hold', code: 'NoDatapoint' },
      },
    ]);
  });
});

describe('decideScaling properties', () => {
  const scalingArb = fc
    .record({
      mode: fc.constantFrom<'auto' | 'fixed'>('auto', 'auto', 'fixed'),
      fixedWorkers: fc.integer({ min: 0, max: 40 }),
      min: fc.integer({ min: 0, max: 20 }),
      span: fc.integer({ min: 0, max: 20 }),
      backlogPerWorker: fc.integer({ min: 1, max: 50 }),
      cpuTargetPercent: fc.integer({ min: 10, max: 95 }),
      scaleOutCooldownSeconds: fc.integer({ min: 0, max: 600 }),
      scaleInCooldownSeconds: fc.integer({ min: 0, max: 3600 }),
    })
    .map(({ mode, fixedWorkers, min, span, ...rest }) => ({
      mode,
      workers: mode === 'fixed' ? fixedWorkers : undefined,
      minWorkers: min,
      maxWorkers: min + span,
      ...rest,
    }));

  const inputsArb: fc.Arbitrary<ScalingInputs> = fc
    .record({
      scaling: scalingArb,
      type: fc.constantFrom<'process' | 'ecs'>('process', 'ecs'),
      // Paused one time in seven, so most runs exercise the scaling rules.
      paused: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
      position: fc.double({ min: 0, max: 1, noNaN: true }),
      signal: fc.constantFrom<'backlog' | 'cpu'>('backlog', 'cpu'),
      direction: fc.constantFrom<ScaleDirection>('out', 'in'),
      backlogDatapoint: fc.option(fc.double({ min: 0, max: 200, noNaN: true }), { nil: undefined }),
      cpuDatapoint: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }),
      backlog: fc.option(fc.nat({ max: 2000 }), { nil: undefined }),
      runningFlowRuns: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
      scaleOutSignalActive: fc.boolean(),
      lastScale: fc.option(
        fc.record({
          secondsAgo: fc.integer({ min: -60, max: 7200 }),
          direction: fc.constantFrom<ScaleDirection>('out', 'in'),
        }),
        { nil: undefined },
      ),
    })
    .map((raw) => {
      const { scaling } = raw;
      // What the reconciler passes: the count desiredWorkerCount gives, inside [min, max] for auto pools.
      const current =
        scaling.mode === 'fixed'
          ? (scaling.workers ?? 0)
          : scaling.minWorkers + Math.floor(raw.position * (scaling.maxWorkers - scaling.minWorkers));
      const datapoint = raw.signal === 'backlog' ? raw.backlogDatapoint : raw.cpuDatapoint;
      const spec = resolvedPool({
        scaling: { ...scaling },
        workPool: { type: raw.type, paused: raw.paused },
      }).spec;
      return {
        spec,
        current,
        running: current,
        trigger: {
          signal: raw.signal,
          direction: raw.direction,
          ...(datapoint !== undefined ? { datapoint } : {}),
        },
        ...(raw.backlog !== undefined ? { backlog: raw.backlog } : {}),
        ...(raw.runningFlowRuns !== undefined ? { runningFlowRuns: raw.runningFlowRuns } : {}),
        scaleOutSignalActive: raw.scaleOutSignalActive,
        ...(raw.lastScale
          ? {
              lastScaleTime: new Date(t0.getTime() - raw.lastScale.secondsAgo * 1000),
              lastScaleDirection: raw.lastScale.direction,
            }
          : {}),
        now: t0,
      };
    });

  const runs = { numRuns: 400 };

  it('stays within [minWorkers, maxWorkers], at 0 when paused and at the count when fixed', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        // act
        const { desired } = decideScaling(inputs);
        // assess
        const { scaling, workPool } = inputs.spec;
        if (workPool.paused) expect(desired).toBe(0);
        else if (scaling.mode === 'fixed') expect(desired).toBe(inputs.current);
        else {
          expect(desired).toBeGreaterThanOrEqual(scaling.minWorkers);
          expect(desired).toBeLessThanOrEqual(scaling.maxWorkers);
        }
        expect(Number.isInteger(desired)).toBe(true);
      }),
      runs,
    );
  });

  it('changes the count exactly when the outcome is scale', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        // act
        const decision = decideScaling(inputs);
        // assess
        if (decision.outcome === 'scale') expect(decision.desired).not.toBe(inputs.current);
        else expect(decision.desired).toBe(inputs.current);
      }),
      runs,
    );
  });

  it('never lowers the count on a scale-out trigger, never raises it on a scale-in trigger (unpaused)', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        fc.pre(!inputs.spec.workPool.paused);
        // act
        const { desired } = decideScaling(inputs);
        // assess
        if (inputs.trigger.direction === 'out') expect(desired).toBeGreaterThanOrEqual(inputs.current);
        else expect(desired).toBeLessThanOrEqual(inputs.current);
      }),
      runs,
    );
  });

  it('never scales in an unpaused process pool whose flow runs may be running', () => {
    fc.assert(
      fc.property(
        inputsArb,
        fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
        (generated, runningFlowRuns) => {
          // prepare
          const inputs: ScalingInputs = {
            ...generated,
            spec: {
              ...generated.spec,
              workPool: { ...generated.spec.workPool, type: 'process', paused: false },
            },
            runningFlowRuns,
          };
          // act
          const { desired } = decideScaling(inputs);
          // assess
          expect(desired).toBeGreaterThanOrEqual(inputs.current);
        },
      ),
      runs,
    );
  });

  it('retries a deferral that waits on the clock only after now', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        // act
        const decision = decideScaling(inputs);
        // assess
        if (decision.retryAt) {
          expect(decision.outcome).toBe('defer');
          expect(decision.retryAt.getTime()).toBeGreaterThan(inputs.now.getTime());
        }
        if (decision.outcome !== 'defer') expect(decision.retryAt).toBeUndefined();
      }),
      runs,
    );
  });

  it('is deterministic: the same inputs give the same decision', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        // prepare
        const copy: ScalingInputs = structuredClone(inputs);
        // act
        const first = decideScaling(inputs);
        const second = decideScaling(copy);
        // assess
        expect(second).toEqual(first);
      }),
      runs,
    );
  });
});

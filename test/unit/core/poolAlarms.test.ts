/**
 * A pool's CloudWatch alarms: which exist for which spec, their thresholds and actions, their names (and
 * reading a pool and role back from a name), the plan that brings live alarms to the desired ones, and
 * the datapoint read from an alarm's state reason data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScalingSpec, WorkPoolSpec } from '../../../controller/api/generated/prefectWorkerPool.js';
import { withDefaults, type ResolvedPool } from '../../../controller/api/poolDefaults.js';
import type { Tag } from '../../../controller/core/observedState.js';
import {
  alarmName,
  alarmRoles,
  allAlarmNames,
  desiredAlarms,
  newestDatapoint,
  parseAlarmName,
  planAlarms,
  poolMetricsNamespace,
  type AlarmContext,
  type AlarmRole,
  type DesiredAlarm,
  type LiveAlarm,
} from '../../../controller/core/poolAlarms.js';
import { account, controllerContext, poolManifest } from './poolFixtures.js';

const controllerTopic = `arn:aws:sns:eu-west-1:${account}:prefect-ecs-operator-dev-health`;
const teamTopic = `arn:aws:sns:eu-west-1:${account}:analytics-oncall`;

const context: AlarmContext = {
  instanceId: controllerContext.instanceId,
  clusterName: controllerContext.clusterName,
  healthTopicArn: controllerTopic,
};
const tags: readonly Tag[] = [{ key: 'prefect-ecs-operator:pool', value: 'analytics' }];

const autoScaling: ScalingSpec = {
  mode: 'auto',
  workers: undefined,
  minWorkers: 1,
  maxWorkers: 5,
  backlogPerWorker: 10,
  cpuTargetPercent: 60,
};

interface PoolOptions {
  readonly name?: string;
  readonly scaling?: ScalingSpec;
  readonly workPool?: WorkPoolSpec;
  readonly notifyTopicArn?: string;
}

function pool(options: PoolOptions = {}): ResolvedPool {
  const manifest = poolManifest({
    ...(options.name ? { name: options.name } : {}),
    scaling: { ...autoScaling, ...options.scaling },
    ...(options.workPool ? { workPool: options.workPool } : {}),
  });
  return withDefaults({
    ...manifest,
    spec: {
      ...manifest.spec,
      ...(options.notifyTopicArn ? { alarms: { notifyTopicArn: options.notifyTopicArn } } : {}),
    },
  });
}

function alarmsOf(options: PoolOptions = {}, alarmContext: AlarmContext = context): DesiredAlarm[] {
  return desiredAlarms(pool(options), alarmContext, tags);
}

function byRole(alarms: readonly DesiredAlarm[], role: AlarmRole): DesiredAlarm {
  const alarm = alarms.find((a) => a.role === role);
  if (!alarm) throw new Error(`no ${role} alarm`);
  return alarm;
}

/** What CloudWatch would report for a desired alarm, optionally with its lists reordered. */
function liveFrom(alarm: DesiredAlarm, reorder = false): LiveAlarm {
  const { role: _role, tags: _tags, ...rest } = alarm;
  const order = <T>(list: readonly T[]) => (reorder ? [...list].reverse() : [...list]);
  return {
    ...rest,
    dimensions: order(alarm.dimensions),
    alarmActions: order(alarm.alarmActions),
    okActions: order(alarm.okActions),
    stateValue: 'OK',
  };
}

function liveMap(alarms: readonly LiveAlarm[]): Map<string, LiveAlarm> {
  return new Map(alarms.map((a) => [a.alarmName, a]));
}

const scalingAlarmRoles: AlarmRole[] = [
  'backlog-scale-out',
  'backlog-scale-in',
  'cpu-scale-out',
  'cpu-scale-in',
];

describe('desiredAlarms', () => {
  describe('which alarms a pool has', () => {
    it.each<[string, PoolOptions, AlarmRole[]]>([
      [
        'an auto pool with minWorkers 0',
        { scaling: { minWorkers: 0 } },
        [...scalingAlarmRoles, 'memory-high'],
      ],
      [
        'an auto pool with minWorkers 1',
        { scaling: { minWorkers: 1 } },
        [...scalingAlarmRoles, 'no-workers', 'memory-high'],
      ],
      [
        'a paused auto pool with minWorkers 1',
        { scaling: { minWorkers: 1 }, workPool: { paused: true } },
        [...scalingAlarmRoles, 'memory-high'],
      ],
      [
        'a fixed pool of 2 workers',
        { scaling: { mode: 'fixed', workers: 2, minWorkers: undefined, maxWorkers: undefined } },
        ['no-workers', 'memory-high'],
      ],
      [
        'a fixed pool of 0 workers',
        { scaling: { mode: 'fixed', workers: 0, minWorkers: undefined, maxWorkers: undefined } },
        ['memory-high'],
      ],
      [
        'a paused fixed pool of 2 workers',
        {
          scaling: { mode: 'fixed', workers: 2, minWorkers: undefined, maxWorkers: undefined },
          workPool: { paused: true },
        },
        ['memory-high'],
      ],
    ])('gives %s the alarms %j', (_name, options, roles) => {
      // act
      const alarms = alarmsOf(options);
      // assess
      expect(alarms.map((a) => a.role)).toEqual(roles);
    });
  });

  it('names every alarm <instance>-<pool>-<role>', () => {
    // act
    const alarms = alarmsOf({ name: 'cpu-scale-in-team' });
    // assess
    expect(alarms.map((a) => a.alarmName)).toEqual([
      'dev-cpu-scale-in-team-backlog-scale-out',
      'dev-cpu-scale-in-team-backlog-scale-in',
      'dev-cpu-scale-in-team-cpu-scale-out',
      'dev-cpu-scale-in-team-cpu-scale-in',
      'dev-cpu-scale-in-team-no-workers',
      'dev-cpu-scale-in-team-memory-high',
    ]);
    expect(allAlarmNames('dev', 'cpu-scale-in-team')).toEqual(
      expect.arrayContaining(alarms.map((a) => a.alarmName)),
    );
    expect(allAlarmNames('dev', 'cpu-scale-in-team')).toHaveLength(alarmRoles.length);
  });

  it('sets the scaling thresholds from the spec: out at the target, in at 0.9× (backlog) and 0.8× (CPU)', () => {
    // act
    const alarms = alarmsOf({ scaling: { backlogPerWorker: 10, cpuTargetPercent: 60 } });
    // assess
    const thresholds = Object.fromEntries(
      scalingAlarmRoles.map((role) => {
        const alarm = byRole(alarms, role);
        return [role, [alarm.comparisonOperator, alarm.threshold]];
      }),
    );
    expect(thresholds).toEqual({
      'backlog-scale-out': ['GreaterThanThreshold', 10],
      'backlog-scale-in': ['LessThanThreshold', 9],
      'cpu-scale-out': ['GreaterThanThreshold', 60],
      'cpu-scale-in': ['LessThanThreshold', 48],
    });
  });

  it.each([
    [13, 70, 11.7, 56],
    [21, 12, 18.9, 9.6],
    [1, 95, 0.9, 76],
  ])(
    'writes readable scale-in thresholds for %i flow runs per worker and a CPU target of %i: %d and %d',
    (backlogPerWorker, cpuTargetPercent, backlogIn, cpuIn) => {
      // act
      const alarms = alarmsOf({ scaling: { backlogPerWorker, cpuTargetPercent } });
      // assess
      expect(byRole(alarms, 'backlog-scale-in')).toMatchObject({
        threshold: backlogIn,
        description: `Scale in pool analytics: fewer than ${backlogIn} waiting flow runs per worker`,
      });
      expect(byRole(alarms, 'cpu-scale-in')).toMatchObject({
        threshold: cpuIn,
        description: `Scale in pool analytics: CPU below ${cpuIn}%`,
      });
    },
  );

  it('gives every allowed target a scale-in threshold equal to its decimal share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10000 }),
        fc.integer({ min: 10, max: 95 }),
        (backlogPerWorker, cpuTargetPercent) => {
          // act
          const alarms = alarmsOf({ scaling: { backlogPerWorker, cpuTargetPercent } });
          // assess: (t × 9) / 10 is the double nearest the decimal 0.9 t, printed as written
          expect(byRole(alarms, 'backlog-scale-in').threshold).toBe((backlogPerWorker * 9) / 10);
          expect(byRole(alarms, 'cpu-scale-in').threshold).toBe((cpuTargetPercent * 8) / 10);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('watches backlog per worker on the controller metrics and CPU and memory on the service', () => {
    // act
    const alarms = alarmsOf();
    // assess
    const watched = Object.fromEntries(
      alarms.map((a) => [a.role, [a.namespace, a.metricName, a.dimensions]]),
    );
    const poolDimensions = [
      { name: 'ControllerInstance', value: 'dev' },
      { name: 'Pool', value: 'analytics' },
    ];
    const serviceDimensions = [
      { name: 'ClusterName', value: 'prefect-workers' },
      { name: 'ServiceName', value: 'dev-analytics' },
    ];
    expect(watched).toEqual({
      'backlog-scale-out': [poolMetricsNamespace, 'BacklogPerWorker', poolDimensions],
      'backlog-scale-in': [poolMetricsNamespace, 'BacklogPerWorker', poolDimensions],
      'cpu-scale-out': ['AWS/ECS', 'CPUUtilization', serviceDimensions],
      'cpu-scale-in': ['AWS/ECS', 'CPUUtilization', serviceDimensions],
      'no-workers': ['ECS/ContainerInsights', 'RunningTaskCount', serviceDimensions],
      'memory-high': ['AWS/ECS', 'MemoryUtilization', serviceDimensions],
    });
  });

  it('uses periods CloudWatch accepts and never needs more datapoints than it evaluates', () => {
    // act
    const alarms = alarmsOf();
    // assess
    for (const alarm of alarms) {
      expect(alarm.periodSeconds % 60).toBe(0);
      expect(alarm.datapointsToAlarm).toBeGreaterThanOrEqual(1);
      expect(alarm.datapointsToAlarm).toBeLessThanOrEqual(alarm.evaluationPeriods);
    }
  });

  it('gives scaling alarms no actions: the controller hears of them through EventBridge', () => {
    // act
    const alarms = alarmsOf({ notifyTopicArn: teamTopic });
    // assess
    for (const role of scalingAlarmRoles) {
      expect(byRole(alarms, role)).toMatchObject({ alarmActions: [], okActions: [] });
    }
  });

  it.each<[string, string | undefined, string | undefined, string[]]>([
    ["the spec's topic when it names one", teamTopic, controllerTopic, [teamTopic]],
    ["the controller's topic when the spec names none", undefined, controllerTopic, [controllerTopic]],
    ['no topic when neither names one', undefined, undefined, []],
  ])('has health alarms notify %s', (_name, specTopic, controllerHealthTopic, expected) => {
    // act
    const alarms = alarmsOf(
      { ...(specTopic ? { notifyTopicArn: specTopic } : {}) },
      { ...context, healthTopicArn: controllerHealthTopic },
    );
    // assess
    for (const role of ['no-workers', 'memory-high'] as const) {
      expect(byRole(alarms, role)).toMatchObject({ alarmActions: expected, okActions: expected });
    }
  });

  it('tags every alarm with the given tags', () => {
    // act
    const alarms = alarmsOf();
    // assess
    expect(alarms.map((a) => a.tags)).toEqual(alarms.map(() => tags));
  });
});

describe('parseAlarmName', () => {
  it.each([
    ['analytics'],
    ['cpu-scale-in-team'],
    ['backlog-scale-out'],
    ['team-no-workers'],
    ['memory-high-x'],
    ['a'],
  ])('reads back pool %s and every role from the names alarmName gives', (poolName) => {
    // act
    const parsed = alarmRoles.map((role) => parseAlarmName('test', alarmName('test', poolName, role)));
    // assess
    expect(parsed).toEqual(alarmRoles.map((role) => ({ pool: poolName, role })));
  });

  it.each([
    ['another instance whose id extends this one', 'test2-analytics-no-workers'],
    ['another instance', 'prod-analytics-cpu-scale-out'],
    ['just the prefix and a role', 'test-cpu-scale-in'],
    ['the prefix, an empty pool and a role', 'test--memory-high'],
    ['an unknown role', 'test-analytics-workers'],
    ['no prefix at all', 'analytics-backlog-scale-out'],
    ['the instance id alone', 'test'],
  ])('does not claim %s: %s', (_name, name) => {
    // act / assess
    expect(parseAlarmName('test', name)).toBeUndefined();
  });

  it('round-trips any instance id and pool name the schema allows, even built from role words', () => {
    const instanceId = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);
    const poolName = fc
      .array(
        fc.constantFrom(
          'cpu',
          'backlog',
          'scale',
          'in',
          'out',
          'no',
          'workers',
          'memory',
          'high',
          'team',
          'a1',
        ),
        {
          minLength: 1,
          maxLength: 6,
        },
      )
      .map((words) => words.join('-'));
    fc.assert(
      fc.property(instanceId, poolName, fc.constantFrom(...alarmRoles), (instance, name, role) => {
        // act
        const parsed = parseAlarmName(instance, alarmName(instance, name, role));
        // assess
        expect(parsed).toEqual({ pool: name, role });
      }),
      { numRuns: 300 },
    );
  });
});

describe('planAlarms', () => {
  const desired = alarmsOf({ notifyTopicArn: teamTopic });

  it('puts every alarm when none exists', () => {
    // act
    const plan = planAlarms(desired, new Map());
    // assess
    expect(plan.put).toEqual(desired);
    expect(plan.delete).toEqual([]);
  });

  it('does nothing when the live alarms match, whatever their state, datapoint or list order', () => {
    // prepare
    const live = liveMap(
      desired.map((a) => ({ ...liveFrom(a, true), stateValue: 'ALARM', lastDatapoint: 42 })),
    );
    // act
    const plan = planAlarms(desired, live);
    // assess
    expect(plan).toEqual({ put: [], delete: [] });
  });

  it('rewrites only the alarm whose threshold changed', () => {
    // prepare
    const live = liveMap(desired.map((a) => liveFrom(a)));
    const scaleOut = byRole(desired, 'backlog-scale-out');
    live.set(scaleOut.alarmName, { ...liveFrom(scaleOut), threshold: 5 });
    // act
    const plan = planAlarms(desired, live);
    // assess
    expect(plan.put).toEqual([scaleOut]);
    expect(plan.delete).toEqual([]);
  });

  it('rewrites only the health alarms when the notification topic changed', () => {
    // prepare
    const live = liveMap(alarmsOf().map((a) => liveFrom(a)));
    // act
    const plan = planAlarms(desired, live);
    // assess
    expect(plan.put.map((a) => a.role)).toEqual(['no-workers', 'memory-high']);
  });

  it('rewrites an alarm whose dimensions differ in value, not in order', () => {
    // prepare
    const live = liveMap(desired.map((a) => liveFrom(a, true)));
    const cpu = byRole(desired, 'cpu-scale-out');
    live.set(cpu.alarmName, {
      ...liveFrom(cpu),
      dimensions: [
        { name: 'ServiceName', value: 'dev-other' },
        { name: 'ClusterName', value: 'prefect-workers' },
      ],
    });
    // act
    const plan = planAlarms(desired, live);
    // assess
    expect(plan.put).toEqual([cpu]);
  });

  it('deletes, sorted, live alarms of the pool the spec no longer wants', () => {
    // prepare: the pool had minWorkers 1 (no-workers) and went fixed at 0 (scaling alarms too)
    const before = alarmsOf({ notifyTopicArn: teamTopic });
    const after = alarmsOf({
      notifyTopicArn: teamTopic,
      scaling: { mode: 'fixed', workers: 0, minWorkers: undefined, maxWorkers: undefined },
    });
    // act
    const plan = planAlarms(after, liveMap(before.map((a) => liveFrom(a))));
    // assess
    expect(plan.put).toEqual([]);
    expect(plan.delete).toEqual(
      [
        'dev-analytics-backlog-scale-in',
        'dev-analytics-backlog-scale-out',
        'dev-analytics-cpu-scale-in',
        'dev-analytics-cpu-scale-out',
        'dev-analytics-no-workers',
      ].sort(),
    );
  });

  it('plans nothing for live alarms built from the desired ones, for any spec', () => {
    const options = fc.record({
      name: fc.stringMatching(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/),
      mode: fc.constantFrom<'auto' | 'fixed'>('auto', 'fixed'),
      workers: fc.integer({ min: 0, max: 1000 }),
      minWorkers: fc.integer({ min: 0, max: 50 }),
      backlogPerWorker: fc.integer({ min: 1, max: 10000 }),
      cpuTargetPercent: fc.integer({ min: 10, max: 95 }),
      paused: fc.boolean(),
      specTopic: fc.option(fc.constant(teamTopic), { nil: undefined }),
      controllerTopic: fc.option(fc.constant(controllerTopic), { nil: undefined }),
      reorder: fc.boolean(),
    });
    fc.assert(
      fc.property(options, (o) => {
        // prepare
        const wanted = alarmsOf(
          {
            name: o.name,
            scaling:
              o.mode === 'fixed'
                ? { mode: 'fixed', workers: o.workers, minWorkers: undefined, maxWorkers: undefined }
                : {
                    minWorkers: o.minWorkers,
                    maxWorkers: o.minWorkers + 10,
                    backlogPerWorker: o.backlogPerWorker,
                    cpuTargetPercent: o.cpuTargetPercent,
                  },
            workPool: { paused: o.paused },
            ...(o.specTopic ? { notifyTopicArn: o.specTopic } : {}),
          },
          { ...context, healthTopicArn: o.controllerTopic },
        );
        // act
        const plan = planAlarms(wanted, liveMap(wanted.map((a) => liveFrom(a, o.reorder))));
        // assess
        expect(plan).toEqual({ put: [], delete: [] });
      }),
      { numRuns: 200 },
    );
  });
});

describe('newestDatapoint', () => {
  it.each<[string, string | undefined, number | undefined]>([
    [
      'the last of recentDatapoints (oldest first)',
      JSON.stringify({ version: '1.0', recentDatapoints: [1, 2.5, 7], threshold: 5 }),
      7,
    ],
    [
      'the first of evaluatedDatapoints (newest first)',
      JSON.stringify({
        evaluatedDatapoints: [
          { timestamp: '2026-03-01T12:02:00.000+0000', value: 9 },
          { timestamp: '2026-03-01T12:01:00.000+0000', value: 3 },
        ],
      }),
      9,
    ],
    [
      'evaluatedDatapoints before recentDatapoints when both are there',
      JSON.stringify({ recentDatapoints: [1, 2], evaluatedDatapoints: [{ value: 4 }] }),
      4,
    ],
    [
      'recentDatapoints when the newest evaluated datapoint has no value',
      JSON.stringify({ recentDatapoints: [1, 2], evaluatedDatapoints: [{ timestamp: 'x' }] }),
      2,
    ],
    ['zero as a datapoint', JSON.stringify({ recentDatapoints: [0] }), 0],
    ['undefined for no reason data', undefined, undefined],
    ['undefined for an empty string', '', undefined],
    ['undefined for text that is not JSON', 'Threshold Crossed', undefined],
    ['undefined for JSON null', 'null', undefined],
    ['undefined for a bare number', '42', undefined],
    ['undefined for an object without datapoints', '{}', undefined],
    [
      'undefined for empty lists',
      JSON.stringify({ recentDatapoints: [], evaluatedDatapoints: [] }),
      undefined,
    ],
    ['undefined for datapoints that are strings', JSON.stringify({ recentDatapoints: ['7'] }), undefined],
    ['undefined for a null datapoint', JSON.stringify({ recentDatapoints: [null] }), undefined],
    [
      'undefined for lists that are not lists',
      '{"recentDatapoints":{},"evaluatedDatapoints":"x"}',
      undefined,
    ],
    ['undefined for a datapoint that overflows to Infinity', '{"recentDatapoints":[1e999]}', undefined],
  ])('reads %s', (_name, reasonData, expected) => {
    // act / assess
    expect(newestDatapoint(reasonData)).toBe(expected);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        // act
        const value = newestDatapoint(text);
        // assess
        expect(value === undefined || Number.isFinite(value)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

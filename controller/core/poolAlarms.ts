/**
 * The CloudWatch alarms of a pool: two scaling signals (backlog per worker, CPU), each with a scale-out
 * and a scale-in alarm, and two health alarms that notify people. Scaling alarms have no actions: their
 * state changes reach the controller through EventBridge, and the controller decides.
 */
import type { ResolvedPool } from '../api/poolDefaults.js';
import { instanceAlarmNamePrefix, poolResourceNames } from '../api/resourceNames.js';
import type { Tag } from './observedState.js';
import type { ScaleDirection, ScaleSignal } from './scalingPolicy.js';

/** The namespace of the per-pool metrics the controller publishes (backlog). */
export const poolMetricsNamespace = 'PrefectEcsOperator/Pools';

export const alarmRoles = [
  'backlog-scale-out',
  'backlog-scale-in',
  'cpu-scale-out',
  'cpu-scale-in',
  'no-workers',
  'memory-high',
] as const;
export type AlarmRole = (typeof alarmRoles)[number];

export const scalingRoles: Readonly<
  Partial<Record<AlarmRole, { signal: ScaleSignal; direction: ScaleDirection }>>
> = {
  'backlog-scale-out': { signal: 'backlog', direction: 'out' },
  'backlog-scale-in': { signal: 'backlog', direction: 'in' },
  'cpu-scale-out': { signal: 'cpu', direction: 'out' },
  'cpu-scale-in': { signal: 'cpu', direction: 'in' },
};

export interface Dimension {
  readonly name: string;
  readonly value: string;
}

export interface DesiredAlarm {
  readonly alarmName: string;
  readonly role: AlarmRole;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly statistic: 'Average' | 'Maximum' | 'Minimum';
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: 'GreaterThanThreshold' | 'LessThanThreshold';
  readonly treatMissingData: 'missing' | 'notBreaching' | 'breaching';
  readonly alarmActions: readonly string[];
  readonly okActions: readonly string[];
  readonly tags: readonly Tag[];
}

/** What CloudWatch reports of an alarm, in the same terms as DesiredAlarm (tags are not reported). */
export type LiveAlarm = Omit<DesiredAlarm, 'role' | 'tags'> & {
  readonly alarmArn?: string;
  readonly stateValue: string;
  /** The newest datapoint the alarm evaluated, from its state reason data, when it carries one. */
  readonly lastDatapoint?: number;
};

/**
 * The newest datapoint in an alarm's state reason data (the JSON CloudWatch puts in StateReasonData and
 * in EventBridge's detail.state.reasonData): `recentDatapoints` lists values oldest first, and
 * `evaluatedDatapoints` newest first.
 */
export function newestDatapoint(reasonData: string | undefined): number | undefined {
  if (!reasonData) return undefined;
  try {
    const parsed = JSON.parse(reasonData) as {
      recentDatapoints?: unknown[];
      evaluatedDatapoints?: { value?: unknown }[];
    };
    const evaluated = parsed.evaluatedDatapoints?.[0]?.value;
    if (typeof evaluated === 'number' && Number.isFinite(evaluated)) return evaluated;
    const recent = parsed.recentDatapoints?.at(-1);
    return typeof recent === 'number' && Number.isFinite(recent) ? recent : undefined;
  } catch {
    return undefined;
  }
}

export interface AlarmContext {
  readonly instanceId: string;
  readonly clusterName: string;
  /** Where health alarms notify when the spec names no topic. */
  readonly healthTopicArn?: string | undefined;
}

export function alarmName(instanceId: string, poolName: string, role: AlarmRole): string {
  return `${poolResourceNames(instanceId, poolName).alarmNamePrefix}${role}`;
}

/** Which pool and role an alarm name belongs to; undefined for names this controller instance did not make. */
export function parseAlarmName(
  instanceId: string,
  name: string,
): { pool: string; role: AlarmRole } | undefined {
  const prefix = instanceAlarmNamePrefix(instanceId);
  if (!name.startsWith(prefix)) return undefined;
  for (const role of alarmRoles) {
    const suffix = `-${role}`;
    if (name.endsWith(suffix) && name.length > prefix.length + suffix.length) {
      return { pool: name.slice(prefix.length, -suffix.length), role };
    }
  }
  return undefined;
}

export function poolMetricDimensions(instanceId: string, poolName: string): Dimension[] {
  return [
    { name: 'ControllerInstance', value: instanceId },
    { name: 'Pool', value: poolName },
  ];
}

/** A share of an integer target, kept readable: 13 × 0.9 is 11.7, not 11.700000000000001. */
function shareOf(target: number, factor: number): number {
  return Math.round(target * factor * 100) / 100;
}

export function desiredAlarms(
  pool: ResolvedPool,
  context: AlarmContext,
  tags: readonly Tag[],
): DesiredAlarm[] {
  const { scaling } = pool.spec;
  const name = (role: AlarmRole) => alarmName(context.instanceId, pool.name, role);
  const serviceDimensions: Dimension[] = [
    { name: 'ClusterName', value: context.clusterName },
    { name: 'ServiceName', value: poolResourceNames(context.instanceId, pool.name).serviceName },
  ];
  const backlog = {
    namespace: poolMetricsNamespace,
    metricName: 'BacklogPerWorker',
    dimensions: poolMetricDimensions(context.instanceId, pool.name),
    statistic: 'Maximum' as const,
    periodSeconds: 60,
    alarmActions: [],
    okActions: [],
    tags,
  };
  const cpu = {
    namespace: 'AWS/ECS',
    metricName: 'CPUUtilization',
    dimensions: serviceDimensions,
    statistic: 'Average' as const,
    periodSeconds: 60,
    alarmActions: [],
    okActions: [],
    tags,
  };
  const alarms: DesiredAlarm[] = [];
  if (scaling.mode === 'auto') {
    const backlogInThreshold = shareOf(scaling.backlogPerWorker, 0.9);
    const cpuInThreshold = shareOf(scaling.cpuTargetPercent, 0.8);
    alarms.push(
      {
        ...backlog,
        alarmName: name('backlog-scale-out'),
        role: 'backlog-scale-out',
        description: `Scale out pool ${pool.name}: more than ${scaling.backlogPerWorker} waiting flow runs per worker`,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: scaling.backlogPerWorker,
        comparisonOperator: 'GreaterThanThreshold',
        // No datapoint means the controller published none: keep the last state rather than guess.
        treatMissingData: 'missing',
      },
      {
        ...backlog,
        alarmName: name('backlog-scale-in'),
        role: 'backlog-scale-in',
        description: `Scale in pool ${pool.name}: fewer than ${backlogInThreshold} waiting flow runs per worker`,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        threshold: backlogInThreshold,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'missing',
      },
      {
        ...cpu,
        alarmName: name('cpu-scale-out'),
        role: 'cpu-scale-out',
        description: `Scale out pool ${pool.name}: CPU above ${scaling.cpuTargetPercent}%`,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        threshold: scaling.cpuTargetPercent,
        comparisonOperator: 'GreaterThanThreshold',
        // No tasks, no CPU metric: that is no reason to scale either way.
        treatMissingData: 'notBreaching',
      },
      {
        ...cpu,
        alarmName: name('cpu-scale-in'),
        role: 'cpu-scale-in',
        description: `Scale in pool ${pool.name}: CPU below ${cpuInThreshold}%`,
        evaluationPeriods: 10,
        datapointsToAlarm: 10,
        threshold: cpuInThreshold,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'notBreaching',
      },
    );
  }
  const topic = pool.spec.alarms.notifyTopicArn ?? context.healthTopicArn;
  const notify = topic ? [topic] : [];
  const minimum = scaling.mode === 'fixed' ? (scaling.workers ?? 0) : scaling.minWorkers;
  if (minimum > 0 && !pool.spec.workPool.paused) {
    alarms.push({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensions: serviceDimensions,
      statistic: 'Maximum',
      periodSeconds: 60,
      alarmName: name('no-workers'),
      role: 'no-workers',
      description: `Pool ${pool.name} should run workers but runs none`,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
      alarmActions: notify,
      okActions: notify,
      tags,
    });
  }
  alarms.push({
    ...cpu,
    metricName: 'MemoryUtilization',
    alarmName: name('memory-high'),
    role: 'memory-high',
    description: `Workers of pool ${pool.name} use more than 90% of their memory`,
    evaluationPeriods: 5,
    datapointsToAlarm: 5,
    threshold: 90,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
    alarmActions: notify,
    okActions: notify,
  });
  return alarms;
}

function comparable(alarm: Omit<DesiredAlarm, 'role' | 'tags'> | LiveAlarm): string {
  return JSON.stringify([
    alarm.description,
    alarm.namespace,
    alarm.metricName,
    [...alarm.dimensions].map((d) => `${d.name}=${d.value}`).sort(),
    alarm.statistic,
    alarm.periodSeconds,
    alarm.evaluationPeriods,
    alarm.datapointsToAlarm,
    alarm.threshold,
    alarm.comparisonOperator,
    alarm.treatMissingData,
    [...alarm.alarmActions].sort(),
    [...alarm.okActions].sort(),
  ]);
}

export interface AlarmPlan {
  /** Alarms to create or rewrite (PutMetricAlarm); unchanged ones are not rewritten. */
  readonly put: readonly DesiredAlarm[];
  /** Alarms of the pool that the spec no longer wants. */
  readonly delete: readonly string[];
}

/** `live` holds the alarms found under the pool's names: only those are ever deleted. */
export function planAlarms(
  desired: readonly DesiredAlarm[],
  live: ReadonlyMap<string, LiveAlarm>,
): AlarmPlan {
  const wanted = new Set(desired.map((a) => a.alarmName));
  return {
    put: desired.filter((alarm) => {
      const current = live.get(alarm.alarmName);
      return !current || comparable(current) !== comparable(alarm);
    }),
    delete: [...live.keys()].filter((name) => !wanted.has(name)).sort(),
  };
}

/** Every name a pool's alarms can have, to look them up or delete them. */
export function allAlarmNames(instanceId: string, poolName: string): string[] {
  return alarmRoles.map((role) => alarmName(instanceId, poolName, role));
}

/**
 * The local stand-in for CloudWatch → EventBridge → the alarm Lambda: CloudWatch (here moto, which never
 * evaluates alarms: set their state with SetAlarmState) sends an event whenever an alarm changes state, and
 * the deployed rule hands the pool alarms' events to the alarm handler. Locally nothing sends events, so
 * this polls DescribeAlarms for the pool alarms of the controller instance, remembers each alarm's state,
 * and on every change builds the event CloudWatch would have sent, applies the deployed rule's pattern
 * (controller/handlers/alarmEventPattern.ts) and invokes the handler with it, one event at a time.
 *
 * What it does not see, it does not invent:
 * - The first poll only records: alarms already in ALARM when the watcher starts get no event (CloudWatch
 *   sent theirs before). The schedule re-evaluates alarms that stay in ALARM, as it does when deployed.
 * - An alarm that appears later already in ALARM (created and set between two polls) gets the event of its
 *   change from INSUFFICIENT_DATA, the state CloudWatch creates alarms in; one that appears in OK or
 *   INSUFFICIENT_DATA is only recorded (moto creates alarms in OK without evaluating anything).
 * - A change that is undone between two polls (OK → ALARM → OK within one interval) is not seen, and
 *   setting an alarm to the state it is in is no change (CloudWatch sends no event for that either).
 * - A failed invocation is logged and not retried (the deployment retries twice, minutes apart); the
 *   schedule's re-evaluation of alarms still in ALARM covers it.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeAlarmsCommand,
  type CloudWatchClient,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import {
  alarmStateChangeDetailType,
  alarmStateChangeSource,
  matchesAlarmStateChangePattern,
  poolAlarmsPrefix,
} from '../handlers/alarmEventPattern.js';
import type { AlarmStateChangeDetail, AlarmStateChangeEvent } from '../handlers/alarmHandler.js';
import { BackgroundLoop } from './backgroundLoop.js';
import { createLocalLambdaContext } from './localLambdaContext.js';

/** One side of a state change, as the event carries it. */
export interface AlarmStateSnapshot {
  readonly value: string;
  readonly reason: string;
  /** The JSON string CloudWatch keeps in StateReasonData (recentDatapoints, threshold, ...), when any. */
  readonly reasonData?: string;
  /** e.g. `2019-10-02T17:04:40.989+0000` */
  readonly timestamp: string;
}

/** A metric of the alarm, as `detail.configuration.metrics` lists it. */
export interface AlarmEventMetric {
  readonly id: string;
  readonly metricStat?: {
    readonly metric: {
      readonly dimensions: Readonly<Record<string, string>>;
      readonly name: string;
      readonly namespace: string;
    };
    readonly period: number;
    readonly stat: string;
    readonly unit?: string;
  };
  readonly expression?: string;
  readonly label?: string;
  readonly returnData: boolean;
}

/** The whole detail of a "CloudWatch Alarm State Change" event of a metric alarm. */
export interface CloudWatchAlarmStateChangeDetail extends AlarmStateChangeDetail {
  readonly alarmName: string;
  readonly state: AlarmStateSnapshot;
  readonly previousState: AlarmStateSnapshot;
  readonly configuration: {
    readonly description?: string;
    readonly metrics: readonly AlarmEventMetric[];
  };
}

export type CloudWatchAlarmStateChangeEvent = AlarmStateChangeEvent & {
  readonly detail: CloudWatchAlarmStateChangeDetail;
};

export type AlarmHandler = (event: CloudWatchAlarmStateChangeEvent, context: Context) => Promise<unknown>;

export interface AlarmWatcherOptions {
  readonly cloudwatch: CloudWatchClient;
  /** Watches alarms named `<instanceId>-…`, the deployed rule's prefix. */
  readonly instanceId: string;
  /** The Region the events name when an alarm's ARN does not say. */
  readonly region: string;
  readonly handler: AlarmHandler;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** Pause between polls (default 500 ms). */
  readonly pollIntervalMs?: number;
  /**
   * At least this long per DescribeAlarms page between polls (default 250 ms), so a large set of alarms
   * keeps the watcher under 4 calls a second on average: the quota is 9 a second per account and Region,
   * shared with a deployed controller when running against a real account.
   */
  readonly pauseMsPerPage?: number;
  /** The time budget each invocation's context reports (default 60 s, the deployed alarm Lambda's timeout). */
  readonly invocationTimeoutMs?: number;
  /** Called after every invocation. */
  readonly afterInvocation?: () => void;
}

/** CloudWatch's initial state of a new alarm, and the reason it gives for it. */
const initialState = { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' } as const;

export class AlarmWatcher extends BackgroundLoop {
  /** Last seen state per alarm name; empty until the first successful poll. */
  private readonly known = new Map<string, { alarm: MetricAlarm; state: AlarmStateSnapshot }>();
  private baselineTaken = false;
  private readonly pollIntervalMs: number;
  private readonly pauseMsPerPage: number;

  constructor(private readonly options: AlarmWatcherOptions) {
    super();
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.pauseMsPerPage = options.pauseMsPerPage ?? 250;
  }

  /** Polls until stop(), which resolves once an invocation in flight has finished. */
  protected async run(): Promise<void> {
    while (!this.stopped) {
      let pages = 0;
      try {
        pages = await this.pollOnce();
      } catch (error) {
        // CloudWatch or the endpoint is unreachable for now: say so and keep trying at the normal pace.
        this.options.logger.error('alarm poll failed', { error });
      }
      await this.pause(Math.max(this.pollIntervalMs, pages * this.pauseMsPerPage));
    }
  }

  /** One poll: read every pool alarm, deliver the changes in the order they happened; returns the pages read. */
  private async pollOnce(): Promise<number> {
    const { alarms, pages } = await this.describePoolAlarms();
    const changes: CloudWatchAlarmStateChangeEvent[] = [];
    const seen = new Set<string>();
    for (const alarm of alarms) {
      const name = alarm.AlarmName;
      if (!name) continue;
      seen.add(name);
      const state = stateOf(alarm);
      const previous = this.known.get(name);
      this.known.set(name, { alarm, state });
      if (!this.baselineTaken) continue;
      if (previous) {
        if (previous.state.value !== state.value)
          changes.push(toAlarmStateChangeEvent(alarm, previous.state, this.options.region));
      } else if (state.value === 'ALARM') {
        const created = alarm.AlarmConfigurationUpdatedTimestamp
          ? cloudWatchTimestamp(alarm.AlarmConfigurationUpdatedTimestamp)
          : state.timestamp;
        changes.push(
          toAlarmStateChangeEvent(alarm, { ...initialState, timestamp: created }, this.options.region),
        );
      }
    }
    for (const name of [...this.known.keys()]) if (!seen.has(name)) this.known.delete(name);
    this.baselineTaken = true;

    changes.sort(
      (a, b) => a.time.localeCompare(b.time) || a.detail.alarmName.localeCompare(b.detail.alarmName),
    );
    for (const event of changes) {
      if (this.stopped) break;
      await this.deliver(event);
    }
    return pages;
  }

  private async describePoolAlarms(): Promise<{ alarms: MetricAlarm[]; pages: number }> {
    const prefix = poolAlarmsPrefix(this.options.instanceId);
    const alarms: MetricAlarm[] = [];
    let pages = 0;
    let nextToken: string | undefined;
    do {
      const page = await this.options.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: prefix,
          AlarmTypes: ['MetricAlarm'],
          MaxRecords: 100,
          NextToken: nextToken,
        }),
      );
      pages += 1;
      alarms.push(...(page.MetricAlarms ?? []).filter((alarm) => alarm.AlarmName?.startsWith(prefix)));
      nextToken = page.NextToken;
    } while (nextToken && !this.stopped);
    return { alarms, pages };
  }

  private async deliver(event: CloudWatchAlarmStateChangeEvent): Promise<void> {
    const { detail } = event;
    const described = {
      alarmName: detail.alarmName,
      from: detail.previousState.value,
      to: detail.state.value,
    };
    // The deployed rule's pattern: an event it would not route never reaches the handler.
    if (!matchesAlarmStateChangePattern(event, this.options.instanceId)) {
      this.options.logger.info('alarm state change not routed to the alarm handler', described);
      return;
    }
    this.options.logger.info('alarm state change', described);
    try {
      await this.options.handler(
        event,
        createLocalLambdaContext('alarm-handler', this.options.invocationTimeoutMs ?? 60_000),
      );
    } catch (error) {
      this.options.logger.error('alarm handler failed', { ...described, error });
    } finally {
      this.options.afterInvocation?.();
    }
  }
}

/**
 * The event CloudWatch sends to EventBridge when `alarm` (as DescribeAlarms reports it now) has just left
 * `previous`. The shape follows AWS's documented example for a single-metric alarm: `time` to the second,
 * state timestamps as `2019-10-02T17:04:40.989+0000`, reasonData the StateReasonData string unchanged.
 */
export function toAlarmStateChangeEvent(
  alarm: MetricAlarm,
  previous: AlarmStateSnapshot,
  fallbackRegion: string,
): CloudWatchAlarmStateChangeEvent {
  const alarmName = alarm.AlarmName ?? '';
  const arn = parseAlarmArn(alarm.AlarmArn);
  const region = arn?.region ?? fallbackRegion;
  const account = arn?.account ?? '000000000000';
  const alarmArn = alarm.AlarmArn ?? `arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}`;
  const changedAt = alarm.StateUpdatedTimestamp ?? new Date();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': alarmStateChangeDetailType,
    source: alarmStateChangeSource,
    account,
    time: changedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [alarmArn],
    detail: {
      alarmName,
      state: stateOf(alarm),
      previousState: previous,
      configuration: {
        ...(alarm.AlarmDescription ? { description: alarm.AlarmDescription } : {}),
        metrics: eventMetrics(alarm),
      },
    },
  };
}

function stateOf(alarm: MetricAlarm): AlarmStateSnapshot {
  const reasonData = alarm.StateReasonData;
  return {
    value: alarm.StateValue ?? initialState.value,
    reason: alarm.StateReason ?? '',
    // moto answers "{}" for an alarm never set; CloudWatch sends no reasonData then.
    ...(reasonData && reasonData !== '{}' ? { reasonData } : {}),
    timestamp: cloudWatchTimestamp(alarm.StateUpdatedTimestamp ?? new Date()),
  };
}

function eventMetrics(alarm: MetricAlarm): AlarmEventMetric[] {
  if (alarm.Metrics && alarm.Metrics.length > 0) return alarm.Metrics.map(fromMetricDataQuery);
  if (!alarm.MetricName || !alarm.Namespace) return [];
  return [
    {
      // CloudWatch gives a single-metric alarm's metric an id of its own; any stable-looking one will do.
      id: randomUUID(),
      metricStat: {
        metric: {
          dimensions: Object.fromEntries((alarm.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
          name: alarm.MetricName,
          namespace: alarm.Namespace,
        },
        period: alarm.Period ?? 60,
        stat: alarm.Statistic ?? alarm.ExtendedStatistic ?? 'Average',
        ...(alarm.Unit ? { unit: alarm.Unit } : {}),
      },
      returnData: true,
    },
  ];
}

function fromMetricDataQuery(query: MetricDataQuery): AlarmEventMetric {
  const stat = query.MetricStat;
  return {
    id: query.Id ?? randomUUID(),
    ...(stat?.Metric
      ? {
          metricStat: {
            metric: {
              dimensions: Object.fromEntries(
                (stat.Metric.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']),
              ),
              name: stat.Metric.MetricName ?? '',
              namespace: stat.Metric.Namespace ?? '',
            },
            period: stat.Period ?? 60,
            stat: stat.Stat ?? 'Average',
            ...(stat.Unit ? { unit: stat.Unit } : {}),
          },
        }
      : {}),
    ...(query.Expression ? { expression: query.Expression } : {}),
    ...(query.Label ? { label: query.Label } : {}),
    returnData: query.ReturnData ?? true,
  };
}

/** `2019-10-02T17:04:40.989+0000`, as CloudWatch writes state timestamps in these events. */
function cloudWatchTimestamp(date: Date): string {
  return date.toISOString().replace(/Z$/, '+0000');
}

function parseAlarmArn(arn: string | undefined): { region: string; account: string } | undefined {
  const match = /^arn:[^:]+:cloudwatch:([^:]*):(\d*):alarm:/.exec(arn ?? '');
  return match?.[1] && match[2] ? { region: match[1], account: match[2] } : undefined;
}

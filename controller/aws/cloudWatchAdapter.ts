/**
 * CloudWatch adapter: the pools' alarms (DescribeAlarms 100 a page or 100 names a call, DeleteAlarms
 * 100 names a call) and the backlog metrics (PutMetricData up to 1,000 values a call).
 */
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  TagResourceCommand,
  type CloudWatchClient,
  type MetricAlarm,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { newestDatapoint, type DesiredAlarm, type LiveAlarm } from '../core/poolAlarms.js';

export const describeAlarmsNamesPerCall = 100;
export const deleteAlarmsNamesPerCall = 100;
export const metricDataPerCall = 1000;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export function toLiveAlarm(alarm: MetricAlarm): LiveAlarm {
  const datapoint = newestDatapoint(alarm.StateReasonData);
  return {
    alarmName: alarm.AlarmName ?? '',
    alarmArn: alarm.AlarmArn ?? '',
    description: alarm.AlarmDescription ?? '',
    namespace: alarm.Namespace ?? '',
    metricName: alarm.MetricName ?? '',
    dimensions: (alarm.Dimensions ?? []).map((d) => ({ name: d.Name ?? '', value: d.Value ?? '' })),
    statistic: (alarm.Statistic ?? 'Average') as LiveAlarm['statistic'],
    periodSeconds: alarm.Period ?? 0,
    evaluationPeriods: alarm.EvaluationPeriods ?? 0,
    datapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 0,
    threshold: alarm.Threshold ?? 0,
    comparisonOperator: (alarm.ComparisonOperator ??
      'GreaterThanThreshold') as LiveAlarm['comparisonOperator'],
    treatMissingData: (alarm.TreatMissingData ?? 'missing') as LiveAlarm['treatMissingData'],
    alarmActions: alarm.AlarmActions ?? [],
    okActions: alarm.OKActions ?? [],
    stateValue: alarm.StateValue ?? 'INSUFFICIENT_DATA',
    ...(datapoint !== undefined ? { lastDatapoint: datapoint } : {}),
  };
}

export interface MetricValue {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  readonly value: number;
  readonly unit: 'Count' | 'None';
  readonly timestamp: Date;
}

export class CloudWatchAdapter {
  constructor(private readonly cloudwatch: CloudWatchClient) {}

  /** Alarms by exact name, 100 per call; absent names are absent from the map. */
  async describeAlarmsByName(names: readonly string[]): Promise<Map<string, LiveAlarm>> {
    const found = new Map<string, LiveAlarm>();
    const pages = await Promise.all(
      chunk([...new Set(names)], describeAlarmsNamesPerCall).map((AlarmNames) =>
        this.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames, AlarmTypes: ['MetricAlarm'] })),
      ),
    );
    for (const page of pages)
      for (const alarm of page.MetricAlarms ?? []) found.set(alarm.AlarmName ?? '', toLiveAlarm(alarm));
    return found;
  }

  /** Every metric alarm whose name starts with the prefix (100 a page), optionally only those in a state. */
  async describeAlarmsByPrefix(
    prefix: string,
    stateValue?: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA',
  ): Promise<LiveAlarm[]> {
    const alarms: LiveAlarm[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: prefix,
          AlarmTypes: ['MetricAlarm'],
          MaxRecords: 100,
          NextToken: nextToken,
          ...(stateValue ? { StateValue: stateValue } : {}),
        }),
      );
      // Filtered here as well: moto ignores StateValue when a prefix is given, and a wrong state would
      // have every alarm re-evaluated as if it were firing.
      alarms.push(
        ...(page.MetricAlarms ?? [])
          .map(toLiveAlarm)
          .filter((a) => a.alarmName.startsWith(prefix) && (!stateValue || a.stateValue === stateValue)),
      );
      nextToken = page.NextToken;
    } while (nextToken);
    return alarms;
  }

  async putAlarm(alarm: DesiredAlarm, isNew: boolean): Promise<void> {
    await this.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: alarm.alarmName,
        AlarmDescription: alarm.description,
        Namespace: alarm.namespace,
        MetricName: alarm.metricName,
        Dimensions: alarm.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
        Statistic: alarm.statistic,
        Period: alarm.periodSeconds,
        EvaluationPeriods: alarm.evaluationPeriods,
        DatapointsToAlarm: alarm.datapointsToAlarm,
        Threshold: alarm.threshold,
        ComparisonOperator: alarm.comparisonOperator,
        TreatMissingData: alarm.treatMissingData,
        AlarmActions: [...alarm.alarmActions],
        OKActions: [...alarm.okActions],
        // PutMetricAlarm applies Tags only when it creates the alarm.
        ...(isNew ? { Tags: alarm.tags.map((t) => ({ Key: t.key, Value: t.value })) } : {}),
      }),
    );
  }

  async tagAlarm(alarmArn: string, tags: DesiredAlarm['tags']): Promise<void> {
    await this.cloudwatch.send(
      new TagResourceCommand({
        ResourceARN: alarmArn,
        Tags: tags.map((t) => ({ Key: t.key, Value: t.value })),
      }),
    );
  }

  async listTags(resourceArn: string): Promise<Record<string, string>> {
    const response = await this.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: resourceArn }));
    return Object.fromEntries((response.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  }

  async deleteAlarms(names: readonly string[]): Promise<void> {
    for (const AlarmNames of chunk(names, deleteAlarmsNamesPerCall)) {
      await this.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames }));
    }
  }

  /** Publishes values in as few calls as the limits allow; returns the number of calls made. */
  async putMetricValues(values: readonly MetricValue[]): Promise<number> {
    const byNamespace = new Map<string, MetricDatum[]>();
    for (const value of values) {
      const data = byNamespace.get(value.namespace) ?? [];
      data.push({
        MetricName: value.metricName,
        Dimensions: value.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
        Value: value.value,
        Unit: value.unit,
        Timestamp: value.timestamp,
      });
      byNamespace.set(value.namespace, data);
    }
    let calls = 0;
    for (const [Namespace, data] of byNamespace) {
      // 1,000 values and 1 MB per call; a datum here is well under 1 KB, so the count binds first.
      for (const MetricData of chunk(data, metricDataPerCall)) {
        await this.cloudwatch.send(new PutMetricDataCommand({ Namespace, MetricData }));
        calls += 1;
      }
    }
    return calls;
  }
}

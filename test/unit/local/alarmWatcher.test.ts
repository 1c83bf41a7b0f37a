/**
 * The local alarm watcher against a scripted DescribeAlarms: which state changes become events, what the
 * events look like, and that the deployed rule's pattern decides what reaches the handler.
 */
import type { CloudWatchClient, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import {
  alarmStateChangeEventPattern,
  alarmStateChangeRulePattern,
  matchesAlarmStateChangePattern,
} from '../../../controller/handlers/alarmEventPattern.js';
import {
  AlarmWatcher,
  type CloudWatchAlarmStateChangeEvent,
} from '../../../controller/local/alarmWatcher.js';
import { formatScaleLine } from '../../../controller/local/phaseReporter.js';

const silent = { info: () => {}, error: () => {} };

function alarm(name: string, state: string, extra: Partial<MetricAlarm> = {}): MetricAlarm {
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
    AlarmDescription: `alarm ${name}`,
    Namespace: 'PrefectEcsOperator/Pools',
    MetricName: 'BacklogPerWorker',
    Dimensions: [
      { Name: 'ControllerInstance', Value: 'local' },
      { Name: 'Pool', Value: 'etl' },
    ],
    Statistic: 'Maximum',
    Period: 60,
    StateValue: state as MetricAlarm['StateValue'],
    StateReason: 'Unchecked: Initial alarm creation',
    StateReasonData: '{}',
    StateUpdatedTimestamp: new Date('2026-01-02T03:04:05.678Z'),
    AlarmConfigurationUpdatedTimestamp: new Date('2026-01-02T03:04:00.000Z'),
    ...extra,
  };
}

/** A CloudWatch whose DescribeAlarms answers what the test last set, and the prefix each call asked for. */
function scriptedCloudWatch() {
  const script = { alarms: [] as MetricAlarm[], prefixes: [] as (string | undefined)[] };
  const client = {
    send: async (command: { input: { AlarmNamePrefix?: string } }) => {
      script.prefixes.push(command.input.AlarmNamePrefix);
      return { MetricAlarms: structuredClone(script.alarms) };
    },
  } as unknown as CloudWatchClient;
  return { script, client };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not seen within 2 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function watch(
  client: CloudWatchClient,
  handler: (event: CloudWatchAlarmStateChangeEvent) => Promise<unknown>,
) {
  return new AlarmWatcher({
    cloudwatch: client,
    instanceId: 'local',
    region: 'us-east-1',
    handler,
    logger: silent,
    pollIntervalMs: 5,
  });
}

describe('AlarmWatcher', () => {
  it('hands a state change to the handler as the event CloudWatch sends, and nothing for states found at start', async () => {
    // Prepare: one alarm already in ALARM at start (its event went out before), one in OK.
    const { script, client } = scriptedCloudWatch();
    script.alarms = [
      alarm('local-old-backlog-scale-out', 'ALARM'),
      alarm('local-etl-backlog-scale-out', 'OK'),
    ];
    const events: CloudWatchAlarmStateChangeEvent[] = [];
    const watcher = watch(client, async (event) => events.push(event));
    watcher.start();
    await until(() => script.prefixes.length >= 2, 'two polls');

    // Act
    const reasonData = JSON.stringify({ version: '1.0', recentDatapoints: [23.0] });
    script.alarms = [
      alarm('local-old-backlog-scale-out', 'ALARM'),
      alarm('local-etl-backlog-scale-out', 'ALARM', {
        StateReason: 'test',
        StateReasonData: reasonData,
        StateUpdatedTimestamp: new Date('2026-01-02T03:05:06.789Z'),
      }),
    ];
    await until(() => events.length > 0, 'an event');
    await watcher.stop();

    // Assess
    expect(script.prefixes.every((prefix) => prefix === 'local-')).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '123456789012',
      time: '2026-01-02T03:05:06Z',
      region: 'us-east-1',
      resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:local-etl-backlog-scale-out'],
      detail: {
        alarmName: 'local-etl-backlog-scale-out',
        state: { value: 'ALARM', reason: 'test', reasonData, timestamp: '2026-01-02T03:05:06.789+0000' },
        previousState: {
          value: 'OK',
          reason: 'Unchecked: Initial alarm creation',
          timestamp: '2026-01-02T03:04:05.678+0000',
        },
        configuration: {
          description: 'alarm local-etl-backlog-scale-out',
          metrics: [
            {
              id: expect.any(String),
              metricStat: {
                metric: {
                  dimensions: { ControllerInstance: 'local', Pool: 'etl' },
                  name: 'BacklogPerWorker',
                  namespace: 'PrefectEcsOperator/Pools',
                },
                period: 60,
                stat: 'Maximum',
              },
              returnData: true,
            },
          ],
        },
      },
    });
  });

  it('hands over an alarm that appears already in ALARM as its change from INSUFFICIENT_DATA, and none in OK', async () => {
    // Prepare
    const { script, client } = scriptedCloudWatch();
    const events: CloudWatchAlarmStateChangeEvent[] = [];
    const watcher = watch(client, async (event) => events.push(event));
    watcher.start();
    await until(() => script.prefixes.length >= 1, 'the first poll');

    // Act
    script.alarms = [alarm('local-a-backlog-scale-out', 'ALARM'), alarm('local-b-backlog-scale-out', 'OK')];
    await until(() => events.length > 0, 'an event');
    await until(() => script.prefixes.length >= 4, 'more polls');
    await watcher.stop();

    // Assess
    expect(events.map((event) => event.detail.alarmName)).toEqual(['local-a-backlog-scale-out']);
    expect(events[0]?.detail.previousState).toEqual({
      value: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      timestamp: '2026-01-02T03:04:00.000+0000',
    });
  });

  it('keeps watching after the handler fails, and never runs two invocations at once', async () => {
    // Prepare
    const { script, client } = scriptedCloudWatch();
    script.alarms = [alarm('local-a-backlog-scale-out', 'OK'), alarm('local-b-backlog-scale-out', 'OK')];
    let running = 0;
    let overlapped = false;
    const handled: string[] = [];
    const watcher = watch(client, async (event) => {
      running += 1;
      overlapped ||= running > 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      handled.push(`${event.detail.alarmName} ${event.detail.state.value}`);
      if (handled.length === 1) throw new Error('handler failed');
    });
    watcher.start();
    await until(() => script.prefixes.length >= 1, 'the first poll');

    // Act
    script.alarms = [
      alarm('local-a-backlog-scale-out', 'ALARM'),
      alarm('local-b-backlog-scale-out', 'ALARM'),
    ];
    await until(() => handled.length === 2, 'both events');
    script.alarms = [alarm('local-a-backlog-scale-out', 'OK'), alarm('local-b-backlog-scale-out', 'ALARM')];
    await until(() => handled.length === 3, 'the third event');
    await watcher.stop();

    // Assess
    expect(handled).toEqual([
      'local-a-backlog-scale-out ALARM',
      'local-b-backlog-scale-out ALARM',
      'local-a-backlog-scale-out OK',
    ]);
    expect(overlapped).toBe(false);
  });
});

describe('the alarm rule pattern', () => {
  const event = (changes: Record<string, unknown> = {}, alarmName = 'prod-etl-backlog-scale-out') => ({
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    detail: { alarmName, state: { value: 'ALARM' } },
    ...changes,
  });

  it("matches state changes of the instance's pool alarms only", () => {
    expect(matchesAlarmStateChangePattern(event(), 'prod')).toBe(true);
    expect(matchesAlarmStateChangePattern(event({}, 'prod2-etl-backlog-scale-out'), 'prod')).toBe(false);
    expect(matchesAlarmStateChangePattern(event({}, 'PrefectEcsOperator-prod-errors'), 'prod')).toBe(false);
    expect(matchesAlarmStateChangePattern(event({ source: 'aws.events' }), 'prod')).toBe(false);
    expect(
      matchesAlarmStateChangePattern(
        event({ 'detail-type': 'CloudWatch Alarm Configuration Change' }),
        'prod',
      ),
    ).toBe(false);
    expect(matchesAlarmStateChangePattern(event({ detail: {} }), 'prod')).toBe(false);
  });

  it('is the same pattern for EventBridge and for CDK', () => {
    expect(JSON.stringify(alarmStateChangeEventPattern('prod'))).toBe(
      '{"source":["aws.cloudwatch"],"detail-type":["CloudWatch Alarm State Change"],"detail":{"alarmName":[{"prefix":"prod-"}]}}',
    );
    const { detailType, ...rest } = alarmStateChangeRulePattern('prod');
    expect({ ...rest, 'detail-type': detailType }).toEqual(alarmStateChangeEventPattern('prod'));
  });
});

describe('formatScaleLine', () => {
  it("says from, to, what asked and what it saw, without repeating the policy's count", () => {
    const time = '2026-01-02T03:04:05.000Z';
    const line = formatScaleLine('etl', {
      phase: 'Ready',
      scaling: {
        desiredWorkers: 10,
        lastScaleTime: time,
        lastScaleReason: 'backlog 60 at 5 per worker: 1 → 10 workers (bounded to [1, 10])',
        recentDecisions: [
          {
            time,
            trigger: 'backlog-scale-out',
            outcome: 'scale',
            code: 'BacklogAboveTarget',
            reason: 'backlog 60 at 5 per worker: 1 → 10 workers (bounded to [1, 10])',
            from: 1,
            to: 10,
          },
        ],
      },
    } as Parameters<typeof formatScaleLine>[1]);

    expect(line).toBe(
      'pool etl: scaled 1 → 10 (backlog-scale-out: backlog 60 at 5 per worker (bounded to [1, 10]))',
    );
  });
});

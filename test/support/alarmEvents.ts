/**
 * The EventBridge "CloudWatch Alarm State Change" event AWS sends when an alarm changes state, for the
 * tests and benchmarks that hand one to the alarm handler; and the alarm's state set in moto to match,
 * as CloudWatch would have set it before sending the event.
 */
import { SetAlarmStateCommand, type CloudWatchClient, type StateValue } from '@aws-sdk/client-cloudwatch';
import type { AlarmStateChangeEvent } from '../../controller/handlers/alarmHandler.js';

export interface AlarmStateChange {
  readonly alarmName: string;
  /** The state the alarm went to; ALARM unless told. */
  readonly value?: StateValue;
  /** The newest datapoint the alarm saw, reported in the state's reasonData. */
  readonly datapoint: number;
  /** When the state changed (the harness's clock in tests). */
  readonly time: Date;
  /** The state's reason, as CloudWatch words it; `test` unless told. */
  readonly reason?: string;
  /** The event's id; `event-<alarm name>` unless told. */
  readonly id?: string;
  readonly region?: string;
}

const account = '123456789012';

/** The reasonData CloudWatch writes for a threshold alarm (the pools' scaling alarms' threshold is 5). */
export function alarmReasonData(datapoint: number): string {
  return JSON.stringify({ version: '1.0', recentDatapoints: [datapoint], threshold: 5 });
}

export function alarmStateChangeEvent(change: AlarmStateChange): AlarmStateChangeEvent {
  const { alarmName, value = 'ALARM', reason = 'test', region = 'us-east-1' } = change;
  return {
    version: '0',
    id: change.id ?? `event-${alarmName}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: change.time.toISOString(),
    region,
    resources: [`arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: {
        value,
        reason,
        reasonData: alarmReasonData(change.datapoint),
        timestamp: change.time.toISOString(),
      },
      previousState: { value: 'OK' },
    },
  };
}

/** Sets the alarm's state in moto (as CloudWatch would) and returns the event AWS would send for it. */
export async function setAlarmStateAndEvent(
  cloudwatch: CloudWatchClient,
  change: AlarmStateChange,
): Promise<AlarmStateChangeEvent> {
  const event = alarmStateChangeEvent(change);
  const { state } = event.detail;
  await cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: change.alarmName,
      StateValue: state.value as StateValue,
      StateReason: state.reason,
      StateReasonData: state.reasonData,
    }),
  );
  return event;
}

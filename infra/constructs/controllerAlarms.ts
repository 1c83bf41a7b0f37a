/**
 * The controller's own alarms, notifying the health topic: a handler erring or being throttled, the
 * stream falling behind, and anything landing in the failure queue. Their names start with
 * `PrefectEcsOperator-<instance>-`, outside the pool alarm prefix, so the alarm rule ignores them and the
 * controller cannot change them.
 */
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  TreatMissingData,
  type IAlarm,
  type Metric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

export interface ControllerAlarmsProps {
  /** `PrefectEcsOperator-<instance>-` */
  readonly alarmNamePrefix: string;
  /** The handlers by short name (stream, schedule, alarm). */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** The stream handler, for the iterator age alarm. */
  readonly streamFunction: IFunction;
  readonly failureQueue: IQueue;
  readonly topic: ITopic;
}

export class ControllerAlarms extends Construct {
  readonly alarms: IAlarm[] = [];

  constructor(scope: Construct, id: string, props: ControllerAlarmsProps) {
    super(scope, id);
    const notify = new SnsAction(props.topic);
    const add = (
      name: string,
      description: string,
      metric: Metric,
      threshold: number,
      evaluationPeriods = 1,
    ): void => {
      const alarm = new Alarm(this, name, {
        alarmName: `${props.alarmNamePrefix}${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No invocations is no news: only data can breach.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
      this.alarms.push(alarm);
    };

    const fiveMinutes = Duration.minutes(5);
    for (const [handler, fn] of Object.entries(props.functions)) {
      add(
        `${handler}-errors`,
        `The ${handler} handler failed an invocation (see its log group).`,
        fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        1,
      );
      add(
        `${handler}-throttles`,
        `The ${handler} handler was throttled: the account's Lambda concurrency is exhausted.`,
        fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        1,
      );
    }
    add(
      'stream-iterator-age',
      'The stream handler is more than 5 minutes behind the table stream for 15 minutes.',
      props.streamFunction.metric('IteratorAge', { period: fiveMinutes, statistic: 'Maximum' }),
      Duration.minutes(5).toMilliseconds(),
      3,
    );
    add(
      'failure-queue-not-empty',
      'Work the controller gave up on is waiting in the failure queue for a person to look at.',
      props.failureQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Maximum',
      }),
      1,
    );
  }
}

/**
 * Pool alarm state changes → the alarm handler. The rule matches CloudWatch's "Alarm State Change" events
 * for alarms whose names start with `<instance>-` (the pools' alarms of this controller instance only; the
 * controller's own alarms are named otherwise). Events are stale fast: after a few minutes the schedule
 * re-evaluates alarms still in ALARM, so retries stop early and failures go to the failure queue.
 */
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import { Rule, type EventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  alarmStateChangeRulePattern,
  poolAlarmsPrefix,
} from '../../controller/handlers/alarmEventPattern.js';

export interface AlarmStateTriggerProps {
  readonly handler: IFunction;
  /** The controller instance: every pool alarm it makes is named `<instance>-<pool>-<role>`. */
  readonly instanceId: string;
  readonly failureQueue: IQueue;
}

/**
 * The rule's pattern (DESIGN §6.2), from the one definition the local alarm watcher applies too
 * (controller/handlers/alarmEventPattern.ts).
 */
export function alarmStateChangePattern(instanceId: string): EventPattern {
  return alarmStateChangeRulePattern(instanceId);
}

export class AlarmStateTrigger extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: AlarmStateTriggerProps) {
    super(scope, id);
    const stale = Duration.minutes(5);
    props.handler.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: stale,
      onFailure: new SqsDestination(props.failureQueue),
    });
    this.rule = new Rule(this, 'Rule', {
      description: `prefect-ecs-operator: state changes of alarms named ${poolAlarmsPrefix(props.instanceId)}*`,
      eventPattern: alarmStateChangePattern(props.instanceId),
    });
    this.rule.addTarget(
      new LambdaFunction(props.handler, {
        retryAttempts: 2,
        maxEventAge: stale,
        deadLetterQueue: props.failureQueue,
      }),
    );
  }
}

/**
 * The drift pass trigger: an EventBridge schedule that invokes the schedule handler every few minutes.
 * A failed pass is not retried (the next tick runs a complete pass anyway); an invocation EventBridge
 * could not deliver goes to the failure queue.
 */
import { Construct } from 'constructs';
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

export interface DriftScheduleProps {
  readonly handler: IFunction;
  /** Minutes between passes (1 or more). */
  readonly everyMinutes: number;
  readonly failureQueue: IQueue;
}

export class DriftSchedule extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: DriftScheduleProps) {
    super(scope, id);
    const every = Duration.minutes(props.everyMinutes);
    props.handler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: every });
    this.rule = new Rule(this, 'Rule', {
      description: `prefect-ecs-operator drift pass every ${props.everyMinutes} minute(s)`,
      schedule: Schedule.rate(every),
    });
    this.rule.addTarget(
      new LambdaFunction(props.handler, {
        retryAttempts: 2,
        maxEventAge: every,
        deadLetterQueue: props.failureQueue,
      }),
    );
  }
}

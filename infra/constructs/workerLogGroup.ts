/**
 * The log group every worker writes to (WORKER_LOG_GROUP); each pool is a stream prefix in it, so one
 * retention setting and one IAM grant cover every pool.
 */
import { Construct } from 'constructs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';

export interface WorkerLogGroupProps {
  /** e.g. `/prefect-ecs-operator/<instance>/workers`. */
  readonly logGroupName: string;
  readonly retention: RetentionDays;
  /** RETAIN keeps worker logs after the stack is deleted (production); default DESTROY. */
  readonly removalPolicy?: RemovalPolicy;
}

export class WorkerLogGroup extends Construct {
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: WorkerLogGroupProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: props.logGroupName,
      retention: props.retention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
  }
}

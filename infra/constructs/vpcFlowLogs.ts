/**
 * VPC flow logs (accepted and rejected traffic) into a CloudWatch Logs group with a retention, so the
 * workers' network activity can be audited without keeping it forever.
 */
import { Construct } from 'constructs';
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLog,
  FlowLogDestination,
  FlowLogResourceType,
  FlowLogTrafficType,
  type IVpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';

export interface VpcFlowLogsProps {
  readonly vpc: IVpc;
  /** How long flow records are kept. */
  readonly retention: RetentionDays;
  /** RETAIN keeps the records after the stack is deleted (production); default DESTROY. */
  readonly removalPolicy?: RemovalPolicy;
}

export class VpcFlowLogs extends Construct {
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.retention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    // The destination makes a role that only the flow logs service can assume, allowed to write to this group.
    new FlowLog(this, 'FlowLog', {
      resourceType: FlowLogResourceType.fromVpc(props.vpc),
      trafficType: FlowLogTrafficType.ALL,
      destination: FlowLogDestination.toCloudWatchLogs(this.logGroup),
    });
  }
}

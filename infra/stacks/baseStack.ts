/**
 * The base every pool runs on: network, cluster, the workers' log group and roles. The local runner's
 * equivalent is controller/local/localInfrastructure.ts.
 */
import { ArnFormat, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { OperatorSettings } from '../config/environments.js';
import { baseResourceNames } from '../config/resourceNaming.js';
import { VpcFlowLogs } from '../constructs/vpcFlowLogs.js';
import { WorkerCluster } from '../constructs/workerCluster.js';
import { WorkerLogGroup } from '../constructs/workerLogGroup.js';
import { WorkerNetwork } from '../constructs/workerNetwork.js';
import { WorkerRoles } from '../constructs/workerRoles.js';
import { WorkerVpcEndpoints } from '../constructs/workerVpcEndpoints.js';

export interface BaseStackProps extends StackProps {
  readonly settings: OperatorSettings;
}

/** What the controller stack needs from the base. */
export interface BaseResources {
  readonly vpc: IVpc;
  readonly workerSubnets: readonly ISubnet[];
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly workerLogGroup: ILogGroup;
  readonly executionRole: IRole;
  readonly defaultWorkerTaskRole: IRole;
  /** ALLOWED_SECRET_ARN_PREFIX, e.g. `arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect/`. */
  readonly allowedSecretArnPrefix: string;
}

export class BaseStack extends Stack {
  readonly resources: BaseResources;

  constructor(scope: Construct, id: string, props: BaseStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const names = baseResourceNames(settings.instanceId);
    const removalPolicy = settings.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const network = new WorkerNetwork(this, 'Network', { network: settings.network });
    if (network.created) {
      new VpcFlowLogs(this, 'FlowLogs', {
        vpc: network.vpc,
        retention: settings.flowLogRetention,
        removalPolicy,
      });
      if (settings.network.kind === 'new' && settings.network.vpcEndpoints) {
        new WorkerVpcEndpoints(this, 'Endpoints', {
          vpc: network.vpc,
          vpcCidr: settings.network.cidr,
          workerSubnets: { subnets: [...network.workerSubnets] },
        });
      }
    }
    const cluster = new WorkerCluster(this, 'Cluster', {
      vpc: network.vpc,
      clusterName: names.clusterName,
      ...(settings.existingClusterName ? { existingClusterName: settings.existingClusterName } : {}),
    });
    const logs = new WorkerLogGroup(this, 'WorkerLogs', {
      logGroupName: names.workerLogGroupName,
      retention: settings.workerLogRetention,
      removalPolicy,
    });
    const allowedSecretArnPrefix = this.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: settings.secretNamePrefix,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const roles = new WorkerRoles(this, 'WorkerRoles', {
      workerLogGroup: logs.logGroup,
      allowedSecretArnPrefix,
      clusterName: cluster.clusterName,
      clusterArn: cluster.clusterArn,
      flowRunTaskRoleArns: settings.flowRunTaskRoleArns,
    });

    this.resources = {
      vpc: network.vpc,
      workerSubnets: network.workerSubnets,
      clusterName: cluster.clusterName,
      clusterArn: cluster.clusterArn,
      workerLogGroup: logs.logGroup,
      executionRole: roles.executionRole,
      defaultWorkerTaskRole: roles.defaultWorkerTaskRole,
      allowedSecretArnPrefix,
    };

    new CfnOutput(this, 'VpcId', { value: network.vpc.vpcId, description: 'VPC of the workers' });
    new CfnOutput(this, 'WorkerSubnetIds', {
      value: network.workerSubnets.map((s) => s.subnetId).join(','),
      description: 'Private subnets of the workers',
    });
    new CfnOutput(this, 'ClusterName', {
      value: cluster.clusterName,
      description: 'ECS cluster of the workers',
    });
    new CfnOutput(this, 'WorkerLogGroupName', { value: logs.logGroup.logGroupName });
    new CfnOutput(this, 'TaskExecutionRoleArn', { value: roles.executionRole.roleArn });
    new CfnOutput(this, 'DefaultWorkerTaskRoleArn', { value: roles.defaultWorkerTaskRole.roleArn });
    new CfnOutput(this, 'AllowedSecretArnPrefix', {
      value: allowedSecretArnPrefix,
      description: 'Secrets a pool names (Prefect API key, worker secrets) must be under this prefix',
    });
  }
}

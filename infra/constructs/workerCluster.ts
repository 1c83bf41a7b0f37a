/**
 * The ECS cluster the worker services run in: Container Insights on, FARGATE and FARGATE_SPOT capacity
 * providers (a pool's `worker.spot` splits its tasks between them). Or an existing cluster, by name.
 */
import { Construct } from 'constructs';
import { Stack } from 'aws-cdk-lib';
import type { IVpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerInsights, type ICluster } from 'aws-cdk-lib/aws-ecs';

export interface WorkerClusterProps {
  readonly vpc: IVpc;
  /** The name of a new cluster (ECS_CLUSTER_NAME); names are known at synth time so ARNs in IAM need no token. */
  readonly clusterName: string;
  /**
   * Use the existing cluster of this name instead of creating one. It must have the FARGATE and
   * FARGATE_SPOT capacity providers; Container Insights is then its owner's choice.
   */
  readonly existingClusterName?: string;
}

export class WorkerCluster extends Construct {
  readonly cluster: ICluster;
  readonly clusterName: string;
  readonly clusterArn: string;

  constructor(scope: Construct, id: string, props: WorkerClusterProps) {
    super(scope, id);
    if (props.existingClusterName) {
      this.clusterName = props.existingClusterName;
      this.cluster = Cluster.fromClusterAttributes(this, 'Cluster', {
        clusterName: this.clusterName,
        vpc: props.vpc,
      });
    } else {
      this.clusterName = props.clusterName;
      this.cluster = new Cluster(this, 'Cluster', {
        vpc: props.vpc,
        clusterName: this.clusterName,
        containerInsightsV2: ContainerInsights.ENABLED,
        enableFargateCapacityProviders: true,
      });
    }
    this.clusterArn = Stack.of(this).formatArn({
      service: 'ecs',
      resource: 'cluster',
      resourceName: this.clusterName,
    });
  }
}

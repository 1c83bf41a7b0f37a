/**
 * The network the workers run in: a new VPC (public subnets for the NAT gateways, private subnets for the
 * workers) or an existing one named by id. Workers never get a public IP.
 */
import { Construct } from 'constructs';
import { Validations } from 'aws-cdk-lib';
import {
  IpAddresses,
  SubnetType,
  Vpc,
  type ISubnet,
  type IVpc,
  type SubnetConfiguration,
} from 'aws-cdk-lib/aws-ec2';
import type { NetworkSettings, NewNetworkSettings } from '../config/environments.js';

export interface WorkerNetworkProps {
  /** A new VPC, or the id and worker subnets of an existing one. */
  readonly network: NetworkSettings;
}

export class WorkerNetwork extends Construct {
  readonly vpc: IVpc;
  /** Private subnets for worker tasks (WORKER_SUBNET_IDS). */
  readonly workerSubnets: readonly ISubnet[];
  /** Whether this construct made the VPC (flow logs and endpoints are then ours to add). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: WorkerNetworkProps) {
    super(scope, id);
    const { network } = props;
    if (network.kind === 'existing') {
      // fromVpcAttributes, not fromLookup: a lookup needs credentials at synth time, this needs nothing.
      this.vpc = Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: network.vpcId,
        availabilityZones: [...network.availabilityZones],
        privateSubnetIds: [...network.workerSubnetIds],
      });
      this.workerSubnets = this.vpc.privateSubnets;
      this.created = false;
      Validations.of(this).acknowledge({
        id: '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason:
          "Nothing is added to an existing VPC's route tables (no gateway endpoints), so they need not be known.",
      });
      return;
    }
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(network.cidr),
      ...(network.availabilityZones
        ? { availabilityZones: [...network.availabilityZones] }
        : { maxAzs: network.maxAzs }),
      natGateways: natGatewayCount(network),
      subnetConfiguration: subnetLayout(network),
      // The default security group allows everything between its members; nothing should use it.
      restrictDefaultSecurityGroup: true,
    });
    this.vpc = vpc;
    this.workerSubnets = vpc.selectSubnets({ subnetGroupName: workerSubnetGroupName }).subnets;
    this.created = true;
  }
}

export const workerSubnetGroupName = 'Workers';

function natGatewayCount(network: NewNetworkSettings): number {
  switch (network.natGateways) {
    case 'none':
      return 0;
    case 'single':
      return 1;
    case 'perZone':
      return network.availabilityZones?.length ?? network.maxAzs;
  }
}

function subnetLayout(network: NewNetworkSettings): SubnetConfiguration[] {
  const workers: SubnetConfiguration = {
    name: workerSubnetGroupName,
    // /20: 4,091 addresses a zone, one per Fargate task (awsvpc), room for many pools.
    cidrMask: 20,
    subnetType: network.natGateways === 'none' ? SubnetType.PRIVATE_ISOLATED : SubnetType.PRIVATE_WITH_EGRESS,
  };
  // Public subnets exist only to hold the NAT gateways; without NAT there is no internet gateway either.
  if (network.natGateways === 'none') return [workers];
  return [
    { name: 'Public', cidrMask: 24, subnetType: SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
    workers,
  ];
}

/**
 * VPC endpoints for what a Fargate worker needs from AWS: image pulls (ECR api and dkr, with the layers on
 * S3), logs (CloudWatch Logs) and secrets (Secrets Manager). With them a pool runs without NAT, as long as
 * its image is in ECR and its Prefect API is reachable privately; with NAT they take that traffic off the
 * NAT gateways (no per-GB processing charge, and it never leaves AWS's network).
 */
import { Construct } from 'constructs';
import {
  GatewayVpcEndpoint,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  type IVpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';

export interface WorkerVpcEndpointsProps {
  readonly vpc: IVpc;
  /** The VPC's IPv4 CIDR as a literal (HTTPS is allowed in from it; a literal keeps the rule checkable). */
  readonly vpcCidr: string;
  /** The subnets the workers run in; interface endpoints get a network interface in each. */
  readonly workerSubnets: SubnetSelection;
}

/** The interface endpoints, by the id they get in the template. */
export const workerInterfaceEndpoints = {
  EcrApi: InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
} as const;

export class WorkerVpcEndpoints extends Construct {
  /** The endpoints' security group: HTTPS in from the VPC's CIDR, nothing else. */
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: WorkerVpcEndpointsProps) {
    super(scope, id);
    const { vpc } = props;
    // ECR keeps image layers in S3: the gateway endpoint is free and serves them without NAT.
    new GatewayVpcEndpoint(this, 'S3', {
      vpc,
      service: GatewayVpcEndpointAwsService.S3,
      subnets: [props.workerSubnets],
    });

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'VPC interface endpoints: HTTPS from inside the VPC',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(Peer.ipv4(props.vpcCidr), Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of Object.entries(workerInterfaceEndpoints)) {
      new InterfaceVpcEndpoint(this, name, {
        vpc,
        service,
        subnets: props.workerSubnets,
        securityGroups: [this.securityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }
}

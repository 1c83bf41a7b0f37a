import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { maskAssetHashes, resourcesOfType, synthesizeOperator } from './synthesizeOperator.js';

const dev = synthesizeOperator({ env: 'dev' });
const prod = synthesizeOperator({ env: 'prod' });
const existing = synthesizeOperator({
  env: 'staging',
  vpcId: 'vpc-0123456789abcdef0',
  workerSubnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
  availabilityZones: 'eu-west-1a,eu-west-1b',
  clusterName: 'shared-cluster',
});

describe('base stack: network', () => {
  it('spans two zones with public and private worker subnets', () => {
    const subnets = Object.values(resourcesOfType(dev.base, 'AWS::EC2::Subnet')).map((s) => s.Properties);

    expect(subnets).toHaveLength(4);
    expect(subnets.filter((s) => s.MapPublicIpOnLaunch === true)).toHaveLength(0);
    const zones = new Set(subnets.map((s) => JSON.stringify(s.AvailabilityZone)));
    expect(zones.size).toBe(2);
  });

  it('has one NAT gateway in dev and one per zone in prod', () => {
    dev.base.resourceCountIs('AWS::EC2::NatGateway', 1);
    prod.base.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('logs all VPC traffic to a log group with the environment retention', () => {
    dev.base.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    prod.base.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('adds the endpoints workers need to run without NAT in prod only', () => {
    dev.base.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    const endpoints = Object.values(resourcesOfType(prod.base, 'AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties.ServiceName),
    );
    for (const service of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', '.s3']) {
      expect(endpoints.some((name) => name.includes(service))).toBe(true);
    }
  });

  it('runs with no NAT and isolated worker subnets when asked', () => {
    const isolated = synthesizeOperator({ env: 'dev', natGateways: 'none', vpcEndpoints: 'true' });

    isolated.base.resourceCountIs('AWS::EC2::NatGateway', 0);
    isolated.base.resourceCountIs('AWS::EC2::InternetGateway', 0);
    isolated.base.resourceCountIs('AWS::EC2::VPCEndpoint', 5);
  });

  it('uses an existing VPC and cluster without creating either', () => {
    existing.base.resourceCountIs('AWS::EC2::VPC', 0);
    existing.base.resourceCountIs('AWS::ECS::Cluster', 0);
    existing.controller.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          VPC_ID: 'vpc-0123456789abcdef0',
          WORKER_SUBNET_IDS: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
          ECS_CLUSTER_NAME: 'shared-cluster',
        }),
      },
    });
  });
});

describe('base stack: cluster, logs, roles', () => {
  it('creates the cluster with Container Insights and both Fargate capacity providers', () => {
    dev.base.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: 'prefect-ecs-operator-dev',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    dev.base.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
  });

  it('keeps worker logs for the environment retention, and keeps them on delete in prod', () => {
    dev.base.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/prefect-ecs-operator-dev/workers',
      RetentionInDays: 7,
    });
    prod.base.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/prefect-ecs-operator-prod/workers' },
      DeletionPolicy: 'Retain',
    });
  });

  it('lets only ECS tasks of this account assume the worker roles', () => {
    const roles = Object.values(resourcesOfType(dev.base, 'AWS::IAM::Role')).filter((role) =>
      JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('ecs-tasks.amazonaws.com'),
    );

    expect(roles).toHaveLength(2);
    for (const role of roles) {
      expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [
          {
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      });
    }
  });

  it('lets the execution role read only the secrets under the allowed prefix', () => {
    dev.base.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Sid: 'ReadAllowedSecrets',
                Action: 'secretsmanager:GetSecretValue',
                Resource: {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':secretsmanager:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':secret:prefect/*',
                    ],
                  ],
                },
              }),
            ]),
          },
        },
      ],
    });
  });

  it('outputs what a pool author and the controller need', () => {
    const outputs = Object.keys(dev.base.findOutputs('*'));

    for (const name of [
      'VpcId',
      'WorkerSubnetIds',
      'ClusterName',
      'WorkerLogGroupName',
      'TaskExecutionRoleArn',
      'DefaultWorkerTaskRoleArn',
      'AllowedSecretArnPrefix',
    ]) {
      expect(outputs).toContain(name);
    }
  });
});

describe('base stack: tripwire', () => {
  it('matches the reviewed template (dev; asset hashes masked)', () => {
    // A snapshot only catches unintended change; the contracts are asserted one by one above.
    expect(maskAssetHashes(dev.base.toJSON())).toMatchSnapshot();
  });
});

/**
 * The controller's IAM policy, shared by its functions. Least privilege by ownership (DESIGN §4):
 * - a mutating ECS, EC2 or CloudWatch action is allowed only on resources named `<instance>-…` and, where
 *   AWS evaluates tags for the action, carrying this instance's `prefect-ecs-operator:instance` tag (or
 *   being created with it);
 * - iam:PassRole only for the shared execution role and the allowed task roles, only to ECS tasks;
 * - a statement on Resource `*` only with a documented reason (infra/config/wildcardGrants.ts).
 */
import { Construct } from 'constructs';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import { ownershipTagKeys } from '../../controller/api/resourceNames.js';
import { poolMetricsNamespace } from '../../controller/core/poolAlarms.js';
import { metricsNamespace } from '../../controller/observability/reconcileMetrics.js';
import { acknowledgeWildcardResources, allowedSecretsReason } from '../config/nagAcknowledgements.js';
import { wildcardReasons, wildcardStatement } from '../config/wildcardGrants.js';

export interface ControllerPermissionsProps {
  readonly instanceId: string;
  readonly table: ITable;
  readonly clusterName: string;
  readonly vpcId: string;
  readonly executionRoleArn: string;
  /** Every task role specs may use, the default worker task role included. */
  readonly allowedTaskRoleArns: readonly string[];
  /** Secret ARNs in specs start with this (the Prefect API key is read by the controller itself). */
  readonly allowedSecretArnPrefix: string;
  /** Pool alarms are named `<prefix><pool>-<role>`. */
  readonly poolAlarmNamePrefix: string;
  /** The roles of the controller's functions. */
  readonly roles: readonly IRole[];
}

const instanceTag = ownershipTagKeys.instance;

export class ControllerPermissions extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: ControllerPermissionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { instanceId } = props;
    const arn = (service: string, resource: string, resourceName: string, arnFormat?: ArnFormat) =>
      stack.formatArn({ service, resource, resourceName, ...(arnFormat ? { arnFormat } : {}) });

    const poolServices = arn('ecs', 'service', `${props.clusterName}/${instanceId}-*`);
    const poolTaskDefinitions = arn('ecs', 'task-definition', `${instanceId}-*`);
    const securityGroups = arn('ec2', 'security-group', '*');
    const poolAlarms = arn(
      'cloudwatch',
      'alarm',
      `${props.poolAlarmNamePrefix}*`,
      ArnFormat.COLON_RESOURCE_NAME,
    );
    const allowedSecrets = `${props.allowedSecretArnPrefix}*`;
    const ownedByThisInstance = { StringEquals: { [`aws:ResourceTag/${instanceTag}`]: instanceId } };
    const createdForThisInstance = { StringEquals: { [`aws:RequestTag/${instanceTag}`]: instanceId } };

    this.policy = new ManagedPolicy(this, 'Policy', {
      description: `prefect-ecs-operator controller ${instanceId}: its table, and only the pool resources it owns`,
      roles: [...props.roles],
      statements: [
        new PolicyStatement({
          sid: 'PoolTableItems',
          actions: [
            'dynamodb:GetItem',
            'dynamodb:BatchGetItem',
            'dynamodb:Query',
            'dynamodb:Scan',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:ConditionCheckItem',
          ],
          resources: [props.table.tableArn],
        }),
        wildcardStatement('ReadEcsAndEc2', {
          actions: [
            'ecs:DescribeServices',
            'ecs:ListServices',
            'ecs:DescribeTaskDefinition',
            'ecs:ListTaskDefinitions',
            'ecs:DescribeTasks',
            'ecs:ListTasks',
            'ecs:DescribeClusters',
            'ecs:ListTagsForResource',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeVpcs',
            'ec2:DescribeSubnets',
          ],
        }),

        // ECS services: created only with this instance's tag, changed only while they carry it.
        new PolicyStatement({
          sid: 'CreatePoolServices',
          actions: ['ecs:CreateService'],
          resources: [poolServices],
          conditions: createdForThisInstance,
        }),
        new PolicyStatement({
          sid: 'ChangeOwnPoolServices',
          actions: ['ecs:UpdateService', 'ecs:DeleteService'],
          resources: [poolServices],
          conditions: ownedByThisInstance,
        }),
        new PolicyStatement({
          sid: 'TagPoolResourcesOnCreate',
          actions: ['ecs:TagResource'],
          resources: [poolServices, poolTaskDefinitions],
          conditions: { StringEquals: { 'ecs:CreateAction': ['CreateService', 'RegisterTaskDefinition'] } },
        }),
        new PolicyStatement({
          // The configuration-hash tag is rewritten after an update; the instance tag cannot be changed away.
          sid: 'RetagOwnPoolServices',
          actions: ['ecs:TagResource'],
          resources: [poolServices],
          conditions: {
            StringEquals: {
              [`aws:ResourceTag/${instanceTag}`]: instanceId,
              [`aws:RequestTag/${instanceTag}`]: instanceId,
            },
          },
        }),
        wildcardStatement('RegisterPoolTaskDefinitions', {
          actions: ['ecs:RegisterTaskDefinition'],
          conditions: createdForThisInstance,
        }),
        wildcardStatement('DeregisterPoolTaskDefinitions', { actions: ['ecs:DeregisterTaskDefinition'] }),

        // Security groups: created in the workers' VPC with this instance's tag, changed only while tagged.
        new PolicyStatement({
          sid: 'CreatePoolSecurityGroupsInWorkerVpc',
          actions: ['ec2:CreateSecurityGroup'],
          resources: [arn('ec2', 'vpc', props.vpcId)],
        }),
        new PolicyStatement({
          sid: 'CreateTaggedPoolSecurityGroups',
          actions: ['ec2:CreateSecurityGroup'],
          resources: [securityGroups],
          conditions: createdForThisInstance,
        }),
        new PolicyStatement({
          sid: 'TagSecurityGroupsOnCreate',
          actions: ['ec2:CreateTags'],
          resources: [securityGroups],
          conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } },
        }),
        new PolicyStatement({
          sid: 'ChangeOwnSecurityGroups',
          actions: [
            'ec2:AuthorizeSecurityGroupEgress',
            'ec2:RevokeSecurityGroupEgress',
            'ec2:DeleteSecurityGroup',
          ],
          resources: [securityGroups],
          conditions: ownedByThisInstance,
        }),

        new PolicyStatement({
          sid: 'PassWorkerRoles',
          actions: ['iam:PassRole'],
          resources: [props.executionRoleArn, ...props.allowedTaskRoleArns],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),

        // CloudWatch: the pools' alarms (by name prefix) and the controller's metric namespaces.
        new PolicyStatement({
          sid: 'ManagePoolAlarms',
          actions: [
            'cloudwatch:PutMetricAlarm',
            'cloudwatch:DeleteAlarms',
            'cloudwatch:TagResource',
            'cloudwatch:ListTagsForResource',
          ],
          resources: [poolAlarms],
        }),
        wildcardStatement('DescribeAlarms', { actions: ['cloudwatch:DescribeAlarms'] }),
        wildcardStatement('PublishPoolMetrics', {
          actions: ['cloudwatch:PutMetricData'],
          conditions: { StringEquals: { 'cloudwatch:namespace': [metricsNamespace, poolMetricsNamespace] } },
        }),

        new PolicyStatement({
          sid: 'ReadPrefectSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [allowedSecrets],
        }),
      ],
    });

    acknowledgeWildcardResources(this.policy, [
      {
        resource: '*',
        reason: wildcardReasons([
          'ReadEcsAndEc2',
          'RegisterPoolTaskDefinitions',
          'DeregisterPoolTaskDefinitions',
          'DescribeAlarms',
          'PublishPoolMetrics',
        ]),
      },
      {
        resource: poolServices,
        reason:
          "Pool services are named <instance>-<pool> in the operator cluster and pools come and go, so the name prefix is the narrowest ARN; creating also requires this instance's tag in the request, updating and deleting require it on the service.",
      },
      {
        resource: poolTaskDefinitions,
        reason:
          'Task definition families are named <instance>-<pool> with numbered revisions; the grant is ecs:TagResource, and only as part of RegisterTaskDefinition or CreateService (ecs:CreateAction).',
      },
      {
        resource: securityGroups,
        reason:
          "EC2 makes security group ids at creation, so no ARN can name a pool's group in advance. Creating requires this instance's tag in the request (aws:RequestTag), tagging is allowed only within CreateSecurityGroup (ec2:CreateAction), and changing or deleting requires the tag on the group (aws:ResourceTag).",
      },
      {
        resource: poolAlarms,
        reason:
          'Pool alarms are named <instance>-<pool>-<role> (controller/core/poolAlarms.ts) and come and go with pools, so the name prefix of this controller instance is the narrowest ARN.',
      },
      { resource: allowedSecrets, reason: allowedSecretsReason },
    ]);
  }
}

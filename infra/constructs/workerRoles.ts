/**
 * The roles worker tasks run with:
 * - the shared task execution role (TASK_EXECUTION_ROLE_ARN), used by ECS itself to pull the image, write
 *   the container's logs and fetch the secrets a pool names, only those under the allowed prefix;
 * - the default worker task role for ecs-type pools (DEFAULT_WORKER_TASK_ROLE_ARN): what a Prefect
 *   ecs-type worker needs to start each flow run as its own ECS task in this cluster (DESIGN §6.4).
 * Both trust ecs-tasks.amazonaws.com only, from this account.
 */
import { Construct } from 'constructs';
import { Stack } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { acknowledgeWildcardResources, allowedSecretsReason } from '../config/nagAcknowledgements.js';
import { wildcardReasons, wildcardStatement } from '../config/wildcardGrants.js';

export interface WorkerRolesProps {
  /** The workers' log group: the execution role writes container logs there, the ecs worker reads them. */
  readonly workerLogGroup: ILogGroup;
  /** `arn:<partition>:secretsmanager:<region>:<account>:secret:<prefix>`; secrets under it are readable. */
  readonly allowedSecretArnPrefix: string;
  /** The cluster flow-run tasks of ecs-type workers run in. */
  readonly clusterName: string;
  readonly clusterArn: string;
  /** Task roles an ecs-type worker may give its flow-run tasks, besides none. Default none. */
  readonly flowRunTaskRoleArns?: readonly string[];
}

export class WorkerRoles extends Construct {
  readonly executionRole: IRole;
  readonly defaultWorkerTaskRole: IRole;

  constructor(scope: Construct, id: string, props: WorkerRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ecsTasks = new ServicePrincipal('ecs-tasks.amazonaws.com', {
      // Confused-deputy guard: only tasks of this account may assume the roles.
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    });

    const repositories = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' });
    const allowedSecrets = `${props.allowedSecretArnPrefix}*`;
    const executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: ecsTasks,
      description:
        'Shared task execution role of prefect-ecs-operator workers: pull images, write logs, read allowed secrets',
      inlinePolicies: {
        WorkerTaskExecution: new PolicyDocument({
          statements: [
            wildcardStatement('EcrAuthorization', { actions: ['ecr:GetAuthorizationToken'] }),
            new PolicyStatement({
              sid: 'PullImagesFromThisAccount',
              actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
              resources: [repositories],
            }),
            new PolicyStatement({
              sid: 'WriteWorkerLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [props.workerLogGroup.logGroupArn],
            }),
            new PolicyStatement({
              sid: 'ReadAllowedSecrets',
              actions: ['secretsmanager:GetSecretValue'],
              resources: [allowedSecrets],
            }),
          ],
        }),
      },
    });
    this.executionRole = executionRole;
    acknowledgeWildcardResources(executionRole, [
      { resource: '*', reason: wildcardReasons(['EcrAuthorization']) },
      {
        resource: repositories,
        reason:
          "A pool's worker.image may be in any ECR repository of this account; the grant is pull-only (BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability). Images from public registries need no grant.",
      },
      { resource: allowedSecrets, reason: allowedSecretsReason },
    ]);

    const taskDefinitionArns = stack.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: '*',
    });
    const clusterTaskArns = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${props.clusterName}/*`,
    });
    const defaultWorkerTaskRole = new Role(this, 'DefaultWorkerTaskRole', {
      assumedBy: ecsTasks,
      description:
        'Default task role of ecs-type Prefect workers: run each flow run as an ECS task in the operator cluster',
      inlinePolicies: {
        EcsTypePrefectWorker: new PolicyDocument({
          statements: [
            wildcardStatement('FlowRunTaskDefinitions', {
              actions: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition'],
            }),
            wildcardStatement('DescribeFlowRunTaskDefinitions', { actions: ['ecs:DescribeTaskDefinition'] }),
            new PolicyStatement({
              sid: 'RunFlowRunsInThisCluster',
              actions: ['ecs:RunTask'],
              resources: [taskDefinitionArns],
              conditions: { ArnEquals: { 'ecs:cluster': props.clusterArn } },
            }),
            new PolicyStatement({
              sid: 'WatchAndStopFlowRunTasks',
              actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
              resources: [clusterTaskArns],
            }),
            new PolicyStatement({
              sid: 'TagOnCreateOnly',
              actions: ['ecs:TagResource'],
              resources: [taskDefinitionArns, clusterTaskArns],
              conditions: { StringEquals: { 'ecs:CreateAction': ['RunTask', 'RegisterTaskDefinition'] } },
            }),
            wildcardStatement('DescribeWorkerNetwork', {
              actions: ['ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
            }),
            new PolicyStatement({
              sid: 'PassFlowRunRoles',
              actions: ['iam:PassRole'],
              resources: [executionRole.roleArn, ...(props.flowRunTaskRoleArns ?? [])],
              conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            }),
            new PolicyStatement({
              sid: 'FlowRunLogs',
              actions: ['logs:GetLogEvents', 'logs:PutLogEvents'],
              resources: [props.workerLogGroup.logGroupArn],
            }),
          ],
        }),
      },
    });
    this.defaultWorkerTaskRole = defaultWorkerTaskRole;
    acknowledgeWildcardResources(defaultWorkerTaskRole, [
      {
        resource: '*',
        reason: wildcardReasons([
          'FlowRunTaskDefinitions',
          'DescribeFlowRunTaskDefinitions',
          'DescribeWorkerNetwork',
        ]),
      },
      {
        resource: taskDefinitionArns,
        reason:
          "A Prefect ecs-type worker chooses its flow runs' task definition families itself; RunTask is allowed only into the operator cluster (ecs:cluster condition), tagging only on create (ecs:CreateAction).",
      },
      {
        resource: clusterTaskArns,
        reason:
          'Flow-run task ids are made by ECS at RunTask; the pattern covers only tasks in the operator cluster.',
      },
    ]);
  }
}

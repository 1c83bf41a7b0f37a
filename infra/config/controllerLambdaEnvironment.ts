/**
 * The controller functions' environment, built from the controller's own declaration of what it reads
 * (`controllerEnvironment` in controller/config/controllerConfig.ts). The return type is a Record over
 * every declared name, so a variable added there is a compile error here until the stack sets it; a test
 * checks the deployed functions carry exactly these keys.
 */
import type { ControllerEnvironmentName } from '../../controller/config/controllerConfig.js';

/** Where each value comes from; CDK tokens (ARNs, ids of resources made at deploy time) are fine. */
export interface ControllerEnvironmentInputs {
  readonly instanceId: string;
  /** The Region the function runs in: Lambda sets AWS_REGION itself (see lambdaReservedVariables). */
  readonly region: string;
  readonly tableName: string;
  readonly clusterName: string;
  readonly vpcId: string;
  readonly workerSubnetIds: readonly string[];
  readonly workerLogGroupName: string;
  readonly executionRoleArn: string;
  readonly defaultWorkerTaskRoleArn: string;
  /** Task roles specs may name besides the default one. */
  readonly extraTaskRoleArns: readonly string[];
  readonly allowedSecretArnPrefix: string;
  /** The health topic: pools' health alarms notify it when their spec names no topic. */
  readonly healthTopicArn: string;
  /** `spec`: the controller reaches each pool's Prefect API at its spec's apiUrl (`disabled`: never). */
  readonly prefectApiAccess: 'spec' | 'disabled';
  readonly reconcileConcurrency: number;
  readonly deadlineSafetyMs: number;
}

/**
 * Variables the controller reads that the Lambda runtime sets and forbids a function to set (CDK throws on
 * them). They are in the controller's declaration because `npm start` and tests need them too.
 */
export const lambdaReservedVariables = ['AWS_REGION'] as const satisfies readonly ControllerEnvironmentName[];
export type LambdaReservedVariable = (typeof lambdaReservedVariables)[number];

/**
 * Variables set for the Node.js runtime, not read by the controller: stack traces through the bundle's
 * source maps. Listed so the environment test can say "exactly these and nothing else".
 */
export const nodeRuntimeEnvironment = { NODE_OPTIONS: '--enable-source-maps' } as const;

/** Every variable the controller reads, with the value this deployment gives it. */
export function controllerEnvironmentValues(
  inputs: ControllerEnvironmentInputs,
): Record<ControllerEnvironmentName, string> {
  return {
    CONTROLLER_INSTANCE_ID: inputs.instanceId,
    AWS_REGION: inputs.region,
    POOL_TABLE_NAME: inputs.tableName,
    ECS_CLUSTER_NAME: inputs.clusterName,
    VPC_ID: inputs.vpcId,
    WORKER_SUBNET_IDS: inputs.workerSubnetIds.join(','),
    WORKER_LOG_GROUP: inputs.workerLogGroupName,
    TASK_EXECUTION_ROLE_ARN: inputs.executionRoleArn,
    ALLOWED_TASK_ROLE_ARNS: [inputs.defaultWorkerTaskRoleArn, ...inputs.extraTaskRoleArns].join(','),
    DEFAULT_WORKER_TASK_ROLE_ARN: inputs.defaultWorkerTaskRoleArn,
    ALLOWED_SECRET_ARN_PREFIX: inputs.allowedSecretArnPrefix,
    HEALTH_TOPIC_ARN: inputs.healthTopicArn,
    PREFECT_API_ACCESS: inputs.prefectApiAccess,
    RECONCILE_CONCURRENCY: String(inputs.reconcileConcurrency),
    DEADLINE_SAFETY_MS: String(inputs.deadlineSafetyMs),
  };
}

/** What a function's `environment` gets: the controller's variables less the runtime-reserved ones. */
export function lambdaEnvironment(
  values: Record<ControllerEnvironmentName, string>,
): Record<Exclude<ControllerEnvironmentName, LambdaReservedVariable>, string> &
  typeof nodeRuntimeEnvironment {
  const settable = Object.fromEntries(
    Object.entries(values).filter(([name]) => !(lambdaReservedVariables as readonly string[]).includes(name)),
  ) as Record<Exclude<ControllerEnvironmentName, LambdaReservedVariable>, string>;
  return { ...settable, ...nodeRuntimeEnvironment };
}

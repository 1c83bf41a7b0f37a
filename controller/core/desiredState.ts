/**
 * Desired state: pure functions from a resolved pool and the controller's configuration to the AWS
 * resources that should exist. Everything here is deterministic, so equal inputs give equal hashes and
 * an apply that would change nothing is skipped.
 */
import type { ResolvedPool } from '../api/poolDefaults.js';
import {
  managedByTagValue,
  ownershipTagKeys,
  poolResourceNames,
  type PoolResourceNames,
} from '../api/resourceNames.js';
import type { ControllerConfig } from '../config/controllerConfig.js';
import type { EgressRule, Tag } from './observedState.js';
import { stableHash } from './stableHash.js';

/** The parts of the controller's configuration the desired state depends on. */
export type DesiredStateContext = Pick<
  ControllerConfig,
  | 'instanceId'
  | 'region'
  | 'clusterName'
  | 'vpcId'
  | 'subnetIds'
  | 'logGroupName'
  | 'executionRoleArn'
  | 'defaultWorkerTaskRoleArn'
>;

export interface DesiredSecurityGroup {
  readonly groupName: string;
  readonly description: string;
  readonly vpcId: string;
  readonly egress: readonly EgressRule[];
  readonly tags: readonly Tag[];
}

export interface KeyValuePair {
  readonly name: string;
  readonly value: string;
}

/** The RegisterTaskDefinition input, in the ECS API's own field names. */
export interface TaskDefinitionContent {
  readonly family: string;
  readonly networkMode: 'awsvpc';
  readonly requiresCompatibilities: readonly ['FARGATE'];
  readonly cpu: string;
  readonly memory: string;
  readonly runtimePlatform: {
    readonly cpuArchitecture: 'ARM64' | 'X86_64';
    readonly operatingSystemFamily: 'LINUX';
  };
  readonly executionRoleArn: string;
  readonly taskRoleArn?: string;
  readonly ephemeralStorage?: { readonly sizeInGiB: number };
  readonly containerDefinitions: readonly {
    readonly name: string;
    readonly image: string;
    readonly essential: true;
    readonly command: readonly string[];
    readonly environment: readonly KeyValuePair[];
    readonly secrets: readonly { readonly name: string; readonly valueFrom: string }[];
    readonly logConfiguration: {
      readonly logDriver: 'awslogs';
      readonly options: Readonly<Record<string, string>>;
    };
    readonly healthCheck: {
      readonly command: readonly string[];
      readonly interval: number;
      readonly timeout: number;
      readonly retries: number;
      readonly startPeriod: number;
    };
    readonly stopTimeout: number;
  }[];
}

export interface DesiredTaskDefinition {
  readonly content: TaskDefinitionContent;
  /** Hash of `content`; stored as a tag on the revision and in status to skip re-registering. */
  readonly contentHash: string;
  readonly tags: readonly Tag[];
}

export interface CapacityProviderItem {
  readonly capacityProvider: 'FARGATE' | 'FARGATE_SPOT';
  readonly weight: number;
  readonly base: number;
}

/** The settings of a service the controller keeps in line, apart from task definition and count. */
export interface ServiceConfiguration {
  readonly capacityProviderStrategy: readonly CapacityProviderItem[];
  readonly networkConfiguration: {
    readonly awsvpcConfiguration: {
      readonly subnets: readonly string[];
      readonly securityGroups: readonly string[];
      readonly assignPublicIp: 'DISABLED';
    };
  };
  readonly deploymentConfiguration: {
    readonly deploymentCircuitBreaker: { readonly enable: true; readonly rollback: true };
    readonly minimumHealthyPercent: number;
    readonly maximumPercent: number;
  };
  readonly platformVersion: 'LATEST';
  readonly propagateTags: 'SERVICE';
  readonly enableECSManagedTags: true;
}

export interface DesiredService {
  readonly serviceName: string;
  readonly cluster: string;
  readonly taskDefinitionArn: string;
  readonly desiredCount: number;
  readonly configuration: ServiceConfiguration;
  /** Hash of `configuration` and the user's tags, kept as a tag on the service to detect drift cheaply. */
  readonly configurationHash: string;
  readonly tags: readonly Tag[];
}

/** The worker's own health endpoint (`prefect worker start --with-healthcheck`). */
export const workerHealthPort = 8080;

export function ownershipTags(instanceId: string, poolName: string): Tag[] {
  return [
    { key: ownershipTagKeys.managedBy, value: managedByTagValue },
    { key: ownershipTagKeys.instance, value: instanceId },
    { key: ownershipTagKeys.pool, value: poolName },
  ];
}

function poolTags(pool: ResolvedPool, context: DesiredStateContext): Tag[] {
  const user = Object.entries(pool.spec.tags)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => ({ key, value }));
  return [...ownershipTags(context.instanceId, pool.name), ...user];
}

export function resourceNamesFor(pool: ResolvedPool, context: DesiredStateContext): PoolResourceNames {
  return poolResourceNames(context.instanceId, pool.name);
}

function egressKey(rule: EgressRule): string {
  return `${rule.protocol}|${rule.fromPort}|${rule.toPort}|${rule.cidr}|${rule.description ?? ''}`;
}

/** Rules sorted and de-duplicated, so comparison with what EC2 reports is order-free. */
export function normalizeEgress(rules: readonly EgressRule[]): EgressRule[] {
  const byKey = new Map(rules.map((rule) => [egressKey(rule), rule]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, rule]) => rule);
}

export function desiredSecurityGroup(pool: ResolvedPool, context: DesiredStateContext): DesiredSecurityGroup {
  const names = resourceNamesFor(pool, context);
  return {
    groupName: names.securityGroupName,
    description: `Prefect workers of pool ${pool.name} (prefect-ecs-operator ${context.instanceId})`,
    vpcId: context.vpcId,
    egress: normalizeEgress(pool.spec.network.egress),
    tags: poolTags(pool, context),
  };
}

/** The worker command (DESIGN §6.4). */
export function workerCommand(pool: ResolvedPool): string[] {
  const { workPool, worker } = pool.spec;
  const command = [
    'prefect',
    'worker',
    'start',
    '--pool',
    workPool.name,
    '--type',
    workPool.type,
    '--with-healthcheck',
  ];
  for (const queue of workPool.workQueues) command.push('--work-queue', queue);
  if (worker.limit !== undefined) command.push('--limit', String(worker.limit));
  return command;
}

function sortedPairs(record: Readonly<Record<string, string>>): KeyValuePair[] {
  return Object.entries(record)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => ({ name, value }));
}

export function taskRoleFor(pool: ResolvedPool, context: DesiredStateContext): string | undefined {
  if (pool.spec.worker.taskRoleArn !== undefined) return pool.spec.worker.taskRoleArn;
  return pool.spec.workPool.type === 'ecs' ? context.defaultWorkerTaskRoleArn : undefined;
}

export function desiredTaskDefinition(
  pool: ResolvedPool,
  context: DesiredStateContext,
): DesiredTaskDefinition {
  const names = resourceNamesFor(pool, context);
  const { worker, prefect } = pool.spec;
  const environment = sortedPairs({
    ...worker.env,
    PREFECT_API_URL: prefect.apiUrl,
    PREFECT_WORKER_WEBSERVER_HOST: '0.0.0.0',
    PREFECT_WORKER_WEBSERVER_PORT: String(workerHealthPort),
    ...(worker.extraPipPackages ? { EXTRA_PIP_PACKAGES: worker.extraPipPackages } : {}),
  });
  // Secrets reach the container through ECS from Secrets Manager: never as plain environment values.
  const secretRefs: Record<string, string> = { ...worker.secrets };
  if (prefect.apiKeySecretArn) secretRefs.PREFECT_API_KEY = prefect.apiKeySecretArn;
  if (prefect.authStringSecretArn) secretRefs.PREFECT_API_AUTH_STRING = prefect.authStringSecretArn;
  const secrets = sortedPairs(secretRefs).map(({ name, value }) => ({ name, valueFrom: value }));
  const taskRoleArn = taskRoleFor(pool, context);

  const content: TaskDefinitionContent = {
    family: names.taskDefinitionFamily,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(worker.cpu),
    memory: String(worker.memory),
    runtimePlatform: { cpuArchitecture: worker.architecture, operatingSystemFamily: 'LINUX' },
    executionRoleArn: context.executionRoleArn,
    ...(taskRoleArn ? { taskRoleArn } : {}),
    ...(worker.ephemeralStorageGiB ? { ephemeralStorage: { sizeInGiB: worker.ephemeralStorageGiB } } : {}),
    containerDefinitions: [
      {
        name: names.containerName,
        image: worker.image,
        essential: true,
        command: workerCommand(pool),
        environment,
        secrets,
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': context.logGroupName,
            'awslogs-region': context.region,
            'awslogs-stream-prefix': names.logStreamPrefix,
          },
        },
        // The images ship Python but not curl; the worker answers 503 once it stops polling Prefect.
        healthCheck: {
          command: [
            'CMD-SHELL',
            `python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://localhost:${workerHealthPort}/health', timeout=4).status == 200 else 1)"`,
          ],
          interval: 30,
          timeout: 5,
          retries: 3,
          // EXTRA_PIP_PACKAGES are installed at start, which can take a while.
          startPeriod: 180,
        },
        // Fargate's maximum: gives a worker time to hand back its flow runs on scale-in.
        stopTimeout: 120,
      },
    ],
  };
  return { content, contentHash: stableHash(content), tags: poolTags(pool, context) };
}

export function capacityProviderStrategy(spotPercent: number): CapacityProviderItem[] {
  const strategy: CapacityProviderItem[] = [];
  if (spotPercent < 100) strategy.push({ capacityProvider: 'FARGATE', weight: 100 - spotPercent, base: 0 });
  if (spotPercent > 0) strategy.push({ capacityProvider: 'FARGATE_SPOT', weight: spotPercent, base: 0 });
  return strategy;
}

export interface WorkerCountInputs {
  /** The scaler's count from status (auto mode); undefined before the scaler has decided anything. */
  readonly scalerDesiredWorkers?: number;
}

/**
 * How many workers the service should run: a paused pool runs none, a fixed pool runs its count, and
 * an auto pool runs the scaler's count clamped to the spec's bounds (minWorkers before the first
 * decision). The drift pass restores this value, never a stale one.
 */
/** The scaler's count as a status item stores it. */
export function workerCountInputsFrom(
  status: { readonly scaling?: { readonly desiredWorkers?: number } } | undefined,
): WorkerCountInputs {
  const scaler = status?.scaling?.desiredWorkers;
  return scaler !== undefined ? { scalerDesiredWorkers: scaler } : {};
}

export function desiredWorkerCount(pool: ResolvedPool, inputs: WorkerCountInputs): number {
  const { scaling, workPool } = pool.spec;
  if (workPool.paused) return 0;
  if (scaling.mode === 'fixed') return scaling.workers ?? 0;
  const proposed = inputs.scalerDesiredWorkers ?? scaling.minWorkers;
  return Math.min(scaling.maxWorkers, Math.max(scaling.minWorkers, proposed));
}

export function desiredService(
  pool: ResolvedPool,
  context: DesiredStateContext,
  resolved: {
    readonly securityGroupId: string;
    readonly taskDefinitionArn: string;
    readonly desiredCount: number;
  },
): DesiredService {
  const names = resourceNamesFor(pool, context);
  const configuration: ServiceConfiguration = {
    capacityProviderStrategy: capacityProviderStrategy(pool.spec.worker.spot),
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: [...context.subnetIds].sort(),
        securityGroups: [resolved.securityGroupId],
        assignPublicIp: 'DISABLED',
      },
    },
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      minimumHealthyPercent: 100,
      maximumPercent: 200,
    },
    platformVersion: 'LATEST',
    propagateTags: 'SERVICE',
    enableECSManagedTags: true,
  };
  const tags = poolTags(pool, context);
  return {
    serviceName: names.serviceName,
    cluster: context.clusterName,
    taskDefinitionArn: resolved.taskDefinitionArn,
    desiredCount: resolved.desiredCount,
    configuration,
    configurationHash: stableHash({ configuration, tags }),
    tags,
  };
}

/**
 * Fixtures for the pure core: a controller context, resolved pools built from manifests through the
 * real defaults (so tests work on what the reconciler works on), live AWS objects in the core's own
 * plain types, and a pinned clock.
 */
import { withDefaults, type ResolvedPool } from '../../../controller/api/poolDefaults.js';
import type {
  NetworkSpec,
  PrefectConnectionSpec,
  PrefectWorkerPool,
  ScalingSpec,
  WorkerSpec,
  WorkPoolSpec,
} from '../../../controller/api/generated/prefectWorkerPool.js';
import type { ValidationContext } from '../../../controller/api/validatePool.js';
import type { DesiredStateContext } from '../../../controller/core/desiredState.js';
import type { LiveSecurityGroup, LiveService } from '../../../controller/core/observedState.js';

export const account = '123456789012';
export const secretPrefix = `arn:aws:secretsmanager:eu-west-1:${account}:secret:prefect/`;
export const apiKeySecretArn = `${secretPrefix}api-key-AbCdEf`;
export const authStringSecretArn = `${secretPrefix}auth-string-XyZ123`;
export const dbPasswordSecretArn = `${secretPrefix}db-password-QwErTy`;
export const defaultTaskRoleArn = `arn:aws:iam::${account}:role/prefect-ecs-worker`;
export const customTaskRoleArn = `arn:aws:iam::${account}:role/analytics-worker`;
export const apiUrl = 'https://api.prefect.cloud/api/accounts/acc/workspaces/ws';

/** The controller the pools below are reconciled by. Subnets deliberately unsorted. */
export const controllerContext: DesiredStateContext = {
  instanceId: 'dev',
  region: 'eu-west-1',
  clusterName: 'prefect-workers',
  vpcId: 'vpc-0abc1234',
  subnetIds: ['subnet-0bbb2222', 'subnet-0aaa1111', 'subnet-0ccc3333'],
  logGroupName: '/prefect-ecs-operator/dev/workers',
  executionRoleArn: `arn:aws:iam::${account}:role/prefect-execution`,
  defaultWorkerTaskRoleArn: defaultTaskRoleArn,
};

/** The same controller as validatePool sees it. */
export const validationContext: ValidationContext = {
  instanceId: controllerContext.instanceId,
  allowedSecretArnPrefix: secretPrefix,
  allowedTaskRoleArns: [defaultTaskRoleArn, customTaskRoleArn],
  defaultWorkerTaskRoleArn: defaultTaskRoleArn,
};

export interface PoolOverrides {
  readonly name?: string;
  readonly generation?: number;
  readonly prefect?: Partial<PrefectConnectionSpec>;
  readonly workPool?: WorkPoolSpec;
  readonly worker?: WorkerSpec;
  readonly scaling?: ScalingSpec;
  readonly network?: NetworkSpec;
  readonly tags?: Record<string, string>;
}

/**
 * A process-type pool; each section of `overrides` is merged over the base section (a key set to
 * undefined removes it). A fresh object each call.
 */
export function poolManifest(overrides: PoolOverrides = {}): PrefectWorkerPool {
  const name = overrides.name ?? 'analytics';
  return {
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name, ...(overrides.generation !== undefined ? { generation: overrides.generation } : {}) },
    spec: {
      prefect: { apiUrl, apiKeySecretArn, ...overrides.prefect },
      workPool: { type: 'process', workQueues: ['default'], ...overrides.workPool },
      worker: {
        image: 'prefecthq/prefect:3-python3.12',
        cpu: 512,
        memory: 1024,
        limit: 4,
        env: { LOG_LEVEL: 'INFO' },
        secrets: { DB_PASSWORD: dbPasswordSecretArn },
        ...overrides.worker,
      },
      scaling: { mode: 'fixed', workers: 2, ...overrides.scaling },
      network: { egress: [{ port: 443, cidr: '0.0.0.0/0' }], ...overrides.network },
      tags: overrides.tags ?? { CostCenter: '1234' },
    },
  };
}

export function resolvedPool(overrides: PoolOverrides = {}): ResolvedPool {
  return withDefaults(poolManifest(overrides));
}

export const ownedTags: Readonly<Record<string, string>> = {
  'prefect-ecs-operator:managed-by': 'prefect-ecs-operator',
  'prefect-ecs-operator:instance': controllerContext.instanceId,
  'prefect-ecs-operator:pool': 'analytics',
};

export function liveSecurityGroup(overrides: Partial<LiveSecurityGroup> = {}): LiveSecurityGroup {
  return {
    groupId: 'sg-0123456789abcdef0',
    groupName: 'dev-analytics-workers',
    vpcId: controllerContext.vpcId,
    tags: ownedTags,
    egress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }],
    foreignEgress: [],
    ...overrides,
  };
}

export const serviceArn = `arn:aws:ecs:eu-west-1:${account}:service/prefect-workers/dev-analytics`;

export function taskDefinitionArn(revision: number): string {
  return `arn:aws:ecs:eu-west-1:${account}:task-definition/dev-analytics:${revision}`;
}

export function liveService(overrides: Partial<LiveService> = {}): LiveService {
  return {
    serviceArn,
    serviceName: 'dev-analytics',
    status: 'ACTIVE',
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    taskDefinitionArn: taskDefinitionArn(1),
    tags: ownedTags,
    deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', taskDefinitionArn: taskDefinitionArn(1) }],
    ...overrides,
  };
}

export const t0 = new Date('2026-03-01T12:00:00.000Z');

export function minutesAfter(start: Date, minutes: number): Date {
  return new Date(start.getTime() + minutes * 60_000);
}

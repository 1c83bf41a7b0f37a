/* Generated from schemas/prefect-worker-pool.v1.json by scripts/generateTypes.ts. Do not edit: run `npm run generate`. */

/**
 * A pool of Prefect workers on ECS Fargate, managed by prefect-ecs-operator. Checks that depend on the controller's configuration (allowed secret prefix, allowed task roles, derived name lengths) and on combinations of fields (Fargate cpu/memory pairs, min <= max) are made by the controller's validator on top of this schema.
 */
export interface PrefectWorkerPool {
  /**
   * Optional pointer to this schema, for editors. Ignored by the controller.
   */
  $schema?: string;
  apiVersion: 'prefect-ecs-operator/v1';
  kind: 'PrefectWorkerPool';
  metadata: PoolMetadata;
  spec: PoolSpec;
}
export interface PoolMetadata {
  /**
   * The pool's name: a lowercase DNS label. It is the table's partition key and the stem of every AWS name the controller derives.
   */
  name: string;
  /**
   * Free-form labels for people and tools; not sent to AWS.
   */
  labels?: {
    [k: string]: string | undefined;
  };
  /**
   * Incremented by poolctl on every change. When absent the controller counts generations itself from the spec hash.
   */
  generation?: number;
}
export interface PoolSpec {
  prefect: PrefectConnectionSpec;
  workPool?: WorkPoolSpec;
  worker?: WorkerSpec;
  scaling?: ScalingSpec;
  network?: NetworkSpec;
  alarms?: AlarmsSpec;
  /**
   * Extra tags on every AWS resource of the pool. The controller's own tag keys are reserved.
   */
  tags?: {
    [k: string]: string | undefined;
  };
}
/**
 * How workers (and the controller) reach the Prefect API.
 */
export interface PrefectConnectionSpec {
  /**
   * Prefect Cloud: https://api.prefect.cloud/api/accounts/<account>/workspaces/<workspace>; self-hosted: http(s)://host:4200/api.
   */
  apiUrl: string;
  /**
   * Secrets Manager ARN of the Prefect API key (Bearer auth). Must be under the controller's allowed secret prefix.
   */
  apiKeySecretArn?: string;
  /**
   * Secrets Manager ARN of a self-hosted server's basic auth string (user:password). Mutually exclusive with apiKeySecretArn.
   */
  authStringSecretArn?: string;
}
export interface WorkPoolSpec {
  /**
   * The Prefect work pool's name. Default: metadata.name.
   */
  name?: string;
  /**
   * process: flow runs execute inside the worker task. ecs: every flow run becomes its own ECS task.
   */
  type?: 'process' | 'ecs';
  description?: string;
  /**
   * @minItems 1
   * @maxItems 20
   */
  workQueues?: [string, ...string[]];
  concurrencyLimit?: number;
  /**
   * A paused pool is scaled to zero and paused in Prefect.
   */
  paused?: boolean;
  /**
   * Create and update the work pool in Prefect. false: the pool must exist already.
   */
  manage?: boolean;
  /**
   * Delete the Prefect work pool when this PrefectWorkerPool is deleted.
   */
  deleteOnPoolDeletion?: boolean;
}
export interface WorkerSpec {
  /**
   * Worker image. Default: prefecthq/prefect:3-python3.12 for process pools, prefecthq/prefect-aws:latest for ecs pools.
   */
  image?: string;
  /**
   * Fargate CPU units.
   */
  cpu?: 256 | 512 | 1024 | 2048 | 4096 | 8192 | 16384;
  /**
   * MiB; must form a valid Fargate pair with cpu.
   */
  memory?: number;
  architecture?: 'ARM64' | 'X86_64';
  ephemeralStorageGiB?: number;
  /**
   * Flow runs per worker (prefect worker start --limit).
   */
  limit?: number;
  /**
   * Plain configuration only. Names that look like secrets are rejected: use secrets.
   */
  env?: {
    [k: string]: string | undefined;
  };
  /**
   * Environment variables filled by ECS from Secrets Manager at task start. Values are secret ARNs under the controller's allowed prefix.
   */
  secrets?: {
    [k: string]: string | undefined;
  };
  /**
   * Installed by the image at start (EXTRA_PIP_PACKAGES).
   */
  extraPipPackages?: string;
  /**
   * Task role; only roles the controller is allowed to pass. ecs-type pools default to the controller's worker task role.
   */
  taskRoleArn?: string;
  /**
   * Percent of workers on FARGATE_SPOT.
   */
  spot?: number;
}
export interface ScalingSpec {
  /**
   * auto: the controller owns the worker count within [minWorkers, maxWorkers]. fixed: exactly `workers` workers (a manual override).
   */
  mode?: 'auto' | 'fixed';
  /**
   * The fixed worker count; required when mode is fixed.
   */
  workers?: number;
  minWorkers?: number;
  maxWorkers?: number;
  /**
   * Target of scheduled, late and pending flow runs per worker.
   */
  backlogPerWorker?: number;
  cpuTargetPercent?: number;
  scaleOutCooldownSeconds?: number;
  scaleInCooldownSeconds?: number;
}
export interface NetworkSpec {
  /**
   * Outbound rules of the workers' security group. Nothing else is allowed out.
   *
   * @maxItems 50
   */
  egress?: EgressRule[];
}
export interface EgressRule {
  /**
   * A single port.
   */
  port?: number;
  fromPort?: number;
  toPort?: number;
  protocol?: 'tcp' | 'udp' | 'all';
  /**
   * IPv4 CIDR.
   */
  cidr: string;
  description?: string;
}
export interface AlarmsSpec {
  /**
   * SNS topic for health alarms. Default: the controller's topic.
   */
  notifyTopicArn?: string;
}

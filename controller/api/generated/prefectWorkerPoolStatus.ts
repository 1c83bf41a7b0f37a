/* Generated from schemas/prefect-worker-pool-status.v1.json by scripts/generateTypes.ts. Do not edit: run `npm run generate`. */

export type Phase = 'Pending' | 'Provisioning' | 'Ready' | 'Scaling' | 'Degraded' | 'Invalid' | 'Deleting';
export type LastError = {
  code?: string;
  message: string;
  time: string;
} | null;

/**
 * What the controller observed and did for one pool. Written only by the controller, in the pool's status item.
 */
export interface PrefectWorkerPoolStatus {
  phase: Phase;
  /**
   * The generation of the spec this status describes.
   */
  observedGeneration: number;
  /**
   * Hash of the spec item the controller acted on.
   */
  observedSpecHash?: string;
  conditions: Condition[];
  /**
   * When phase is Invalid: every problem with the spec, each with its JSON path.
   */
  validationErrors?: ValidationIssue[];
  workers: WorkerCounts;
  scaling?: ScalingStatus;
  backlog?: BacklogStatus;
  resources: PoolResources;
  lastReconcileTime: string;
  lastError?: LastError;
  prefect?: PrefectStatus;
}
export interface Condition {
  /**
   * Valid, Provisioned, PrefectSynced, Ready, ...
   */
  type: string;
  status: 'True' | 'False' | 'Unknown';
  /**
   * PascalCase, machine-readable.
   */
  reason: string;
  /**
   * For people.
   */
  message: string;
  lastTransitionTime: string;
}
export interface ValidationIssue {
  path: string;
  message: string;
}
export interface WorkerCounts {
  desired: number;
  running: number;
  pending: number;
}
export interface ScalingStatus {
  /**
   * The scaler's count (auto mode). The drift pass restores this, never a stale value.
   */
  desiredWorkers?: number;
  lastScaleTime?: string;
  lastScaleDirection?: 'out' | 'in';
  lastScaleReason?: string;
  /**
   * The last decisions that scaled or were deferred, newest first.
   *
   * @maxItems 10
   */
  recentDecisions?: ScalingDecisionRecord[];
}
export interface ScalingDecisionRecord {
  time: string;
  /**
   * What asked: an alarm's role (backlog-scale-out, cpu-scale-in, ...), the schedule's scale-from-zero rule, or a manual scale.
   */
  trigger?: string;
  outcome: 'scale' | 'hold' | 'defer';
  code: string;
  reason: string;
  from: number;
  to: number;
}
export interface BacklogStatus {
  /**
   * Scheduled, late and pending flow runs due now; null when unknown.
   */
  count?: number | null;
  runningFlowRuns?: number | null;
  observedAt?: string;
  /**
   * Why the backlog is unknown, when it is.
   */
  message?: string;
}
export interface PoolResources {
  serviceArn?: string;
  serviceName?: string;
  taskDefinitionArn?: string;
  /**
   * Hash of the rendered task definition behind taskDefinitionArn; a new revision is registered only when it changes.
   */
  taskDefinitionHash?: string;
  securityGroupId?: string;
  alarmNames?: string[];
  /**
   * A revision whose rollout the circuit breaker stopped and rolled back. It is not deployed again until the spec renders a different revision.
   */
  failedTaskDefinitionArn?: string;
}
export interface PrefectStatus {
  workPoolName?: string;
  /**
   * READY, NOT_READY or PAUSED as Prefect reports it.
   */
  workPoolStatus?: string;
  /**
   * Spec hash of the last successful work pool sync.
   */
  syncedSpecHash?: string;
  lastSyncTime?: string;
  onlineWorkers?: number;
  workPoolType?: 'process' | 'ecs';
  /**
   * Remembered from the spec, because deletion happens after the spec item is gone.
   */
  deleteWorkPoolOnDeletion?: boolean;
  /**
   * Where the work pool lives (no secret values: ARNs only), for deleting it after the spec item is gone.
   */
  connection?: {
    apiUrl: string;
    apiKeySecretArn?: string;
    authStringSecretArn?: string;
  };
}

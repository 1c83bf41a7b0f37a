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
  lastScaleReason?: string;
}
export interface BacklogStatus {
  count?: number | null;
  observedAt?: string;
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
}

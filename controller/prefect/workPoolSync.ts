/**
 * Keeps the Prefect work pool in line with the spec: pure planning (desiredWorkPool, planWorkPoolSync,
 * fillEcsJobTemplateDefaults) and a thin apply (syncWorkPool, deleteWorkPoolIfRequested).
 *
 * What the controller manages on a pool it owns (`workPool.manage`):
 * - `is_paused` from spec.workPool.paused, always;
 * - `concurrency_limit` from spec.workPool.concurrencyLimit, always: removing the limit from the spec
 *   removes it in Prefect (PATCH with null);
 * - `description` only when the spec sets one: a description written in the Prefect UI survives a spec
 *   without one;
 * - for ecs pools, the defaults of the job template variables the controller knows (cluster, network,
 *   roles, logs), and only where nobody has set a default yet.
 * Name and type never change: Prefect cannot change them and the controller never recreates a pool (that
 * would drop its queues, deployments' links and run history). A live pool of another type is reported.
 */
import type { ResolvedPool } from '../api/poolDefaults.js';
import type { PrefectClient } from './prefectClient.js';
import { PrefectConflictError } from './prefectErrors.js';
import type {
  BaseJobTemplate,
  JobVariableSchema,
  WorkPool,
  WorkPoolCreate,
  WorkPoolUpdate,
} from './prefectTypes.js';

/** What the controller knows about the account that an ecs-type pool's flow-run tasks need. */
export interface EcsJobTemplateDefaults {
  readonly cluster: string;
  readonly vpcId: string;
  /** Private subnets; flow-run tasks get no public IP, like the workers. */
  readonly subnets: readonly string[];
  readonly securityGroupId: string;
  readonly executionRoleArn: string;
  readonly taskRoleArn?: string;
  /** An existing log group; when set, flow-run containers log to it. */
  readonly logGroupName?: string;
  readonly region: string;
}

export type WorkPoolSyncPlan =
  | { readonly action: 'create'; readonly body: WorkPoolCreate; readonly notes: readonly string[] }
  | { readonly action: 'update'; readonly patch: WorkPoolUpdate; readonly notes: readonly string[] }
  | { readonly action: 'none'; readonly notes: readonly string[] }
  | { readonly action: 'typeMismatch'; readonly message: string };

/** The subset of PrefectClient the sync uses, so tests can hand in a fake. */
export type WorkPoolApi = Pick<
  PrefectClient,
  'readWorkPool' | 'createWorkPool' | 'updateWorkPool' | 'deleteWorkPool'
>;

export type WorkPoolSyncResult =
  | { readonly outcome: 'created'; readonly pool: WorkPool; readonly notes: readonly string[] }
  | { readonly outcome: 'updated'; readonly changed: readonly string[]; readonly notes: readonly string[] }
  | { readonly outcome: 'unchanged'; readonly notes: readonly string[] }
  /** manage: false and the pool exists: nothing is changed. */
  | { readonly outcome: 'unmanaged'; readonly notes: readonly string[] }
  /** manage: false and the pool does not exist: workers would poll nothing. */
  | { readonly outcome: 'missing'; readonly reason: 'WorkPoolNotFound'; readonly message: string }
  | { readonly outcome: 'typeMismatch'; readonly reason: 'WorkPoolTypeMismatch'; readonly message: string };

export type WorkPoolDeletion =
  { readonly outcome: 'deleted' | 'absent' } | { readonly outcome: 'kept'; readonly message: string };

export const emptyTemplateNote =
  'the work pool has no base job template yet: the worker fills in its default template when it first ' +
  'starts (prefect worker start --type ecs), and the next sync sets the controller defaults in it';

/** The Prefect work pool a spec asks for. */
export function desiredWorkPool(pool: ResolvedPool): WorkPoolCreate {
  const { workPool } = pool.spec;
  return {
    name: workPool.name,
    type: workPool.type,
    ...(workPool.description !== undefined ? { description: workPool.description } : {}),
    is_paused: workPool.paused,
    ...(workPool.concurrencyLimit !== undefined ? { concurrency_limit: workPool.concurrencyLimit } : {}),
  };
}

/** `{}` (what a pool created without a template holds) or a template without variable properties. */
export function isEmptyJobTemplate(template: BaseJobTemplate | undefined): boolean {
  const properties = template?.variables?.properties;
  return !properties || Object.keys(properties).length === 0;
}

/**
 * Create when missing; otherwise patch only the fields that differ, or nothing. For ecs pools with
 * `jobTemplateDefaults`, the live template's unset variable defaults are part of the diff.
 */
export function planWorkPoolSync(
  desired: WorkPoolCreate,
  live: WorkPool | undefined,
  jobTemplateDefaults?: EcsJobTemplateDefaults,
): WorkPoolSyncPlan {
  const notes: string[] = [];
  if (!live) {
    // The ecs worker's default template lives in prefect-aws (Python); the controller does not copy it.
    if (desired.type === 'ecs' && jobTemplateDefaults) notes.push(emptyTemplateNote);
    return { action: 'create', body: desired, notes };
  }
  if (live.type !== desired.type) {
    return {
      action: 'typeMismatch',
      message:
        `work pool "${live.name}" exists in Prefect with type "${live.type}" but the spec asks for ` +
        `"${desired.type}"; a work pool's type cannot change: delete the Prefect work pool or use another ` +
        'spec.workPool.name',
    };
  }

  const patch: WorkPoolUpdate = {};
  if (desired.description !== undefined && desired.description !== live.description) {
    patch.description = desired.description;
  }
  if (desired.is_paused !== undefined && desired.is_paused !== live.is_paused) {
    patch.is_paused = desired.is_paused;
  }
  const concurrencyLimit = desired.concurrency_limit ?? null;
  if (concurrencyLimit !== live.concurrency_limit) patch.concurrency_limit = concurrencyLimit;

  if (live.type === 'ecs' && jobTemplateDefaults) {
    if (isEmptyJobTemplate(live.base_job_template)) {
      notes.push(emptyTemplateNote);
    } else {
      const filled = fillEcsJobTemplateDefaults(live.base_job_template, jobTemplateDefaults);
      if (!jsonEqual(filled, live.base_job_template)) patch.base_job_template = filled;
    }
  }

  return Object.keys(patch).length > 0 ? { action: 'update', patch, notes } : { action: 'none', notes };
}

/** A default counts as set unless it is absent, null, '' or an empty object or list. */
function hasDefault(property: JobVariableSchema | undefined): boolean {
  if (!property || !('default' in property)) return false;
  const value = property.default;
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/**
 * A copy of an ecs pool's base job template with `variables.properties.<field>.default` set for the
 * fields the controller knows, where no default is set yet; a default someone set (in the UI, by
 * `prefect work-pool update`, or shipped by prefect-aws) is never overwritten, and a variable the
 * template does not declare is not added.
 *
 * Field names are the prefect-aws ECS worker's job variables (`ECSVariables` in
 * src/integrations/prefect-aws/prefect_aws/workers/ecs_worker.py, PrefectHQ/prefect):
 * - `cluster`: ECS cluster name or ARN;
 * - `vpc_id`;
 * - `network_configuration`: the task's awsvpcConfiguration, `{subnets, securityGroups, assignPublicIp}`;
 *   the worker requires `vpc_id` with it and checks the subnets belong to that VPC, so it is only filled
 *   when the effective vpc_id is the controller's;
 * - `execution_role_arn`, `task_role_arn`;
 * - `configure_cloudwatch_logs` and `cloudwatch_logs_options` (awslogs driver options merged over the
 *   worker's own: awslogs-group, awslogs-region, awslogs-create-group); the worker refuses the options
 *   unless configure_cloudwatch_logs is true, and that needs an execution role, so the options are only
 *   filled when logging ends up enabled. awslogs-create-group is "false": the group exists, and "true"
 *   would need logs:CreateLogGroup on the execution role.
 */
export function fillEcsJobTemplateDefaults(
  template: BaseJobTemplate,
  defaults: EcsJobTemplateDefaults,
): BaseJobTemplate {
  const result = structuredClone(template);
  const properties = result.variables?.properties;
  if (!properties) return result;

  const fill = (field: string, value: unknown): boolean => {
    const property = properties[field];
    if (!property || hasDefault(property)) return false;
    properties[field] = { ...property, default: value };
    return true;
  };
  const effective = (field: string): unknown =>
    hasDefault(properties[field]) ? properties[field]?.default : undefined;

  fill('cluster', defaults.cluster);
  fill('vpc_id', defaults.vpcId);
  if (effective('vpc_id') === defaults.vpcId) {
    fill('network_configuration', {
      subnets: [...defaults.subnets],
      securityGroups: [defaults.securityGroupId],
      assignPublicIp: 'DISABLED',
    });
  }
  fill('execution_role_arn', defaults.executionRoleArn);
  if (defaults.taskRoleArn) fill('task_role_arn', defaults.taskRoleArn);
  if (defaults.logGroupName) {
    fill('configure_cloudwatch_logs', true);
    if (effective('configure_cloudwatch_logs') === true) {
      fill('cloudwatch_logs_options', {
        'awslogs-group': defaults.logGroupName,
        'awslogs-region': defaults.region,
        'awslogs-create-group': 'false',
      });
    }
  }
  return result;
}

/** Structural equality of JSON values, key order ignored. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  const otherKeys = Object.keys(right).filter((key) => right[key] !== undefined);
  return keys.length === otherKeys.length && keys.every((key) => jsonEqual(left[key], right[key]));
}

function changedFields(patch: WorkPoolUpdate): string[] {
  return Object.keys(patch).sort();
}

/**
 * Reads the pool, plans, applies. A create that meets a 409 (a worker's `prefect worker start` creating
 * the pool at the same moment, or an earlier attempt of this very POST that succeeded before its response
 * was lost) reads again and continues as an update.
 */
export async function syncWorkPool(
  client: WorkPoolApi,
  pool: ResolvedPool,
  defaults?: EcsJobTemplateDefaults,
): Promise<WorkPoolSyncResult> {
  const desired = desiredWorkPool(pool);

  if (!pool.spec.workPool.manage) {
    const live = await client.readWorkPool(desired.name);
    if (!live) {
      return {
        outcome: 'missing',
        reason: 'WorkPoolNotFound',
        message: `work pool "${desired.name}" does not exist in Prefect and spec.workPool.manage is false`,
      };
    }
    const plan = planWorkPoolSync(desired, live);
    if (plan.action === 'typeMismatch') {
      return { outcome: 'typeMismatch', reason: 'WorkPoolTypeMismatch', message: plan.message };
    }
    return { outcome: 'unmanaged', notes: [] };
  }

  for (let round = 1; ; round++) {
    const live = await client.readWorkPool(desired.name);
    const plan = planWorkPoolSync(desired, live, defaults);
    switch (plan.action) {
      case 'typeMismatch':
        return { outcome: 'typeMismatch', reason: 'WorkPoolTypeMismatch', message: plan.message };
      case 'none':
        return { outcome: 'unchanged', notes: plan.notes };
      case 'update':
        await client.updateWorkPool(desired.name, plan.patch);
        return { outcome: 'updated', changed: changedFields(plan.patch), notes: plan.notes };
      case 'create':
        try {
          const created = await client.createWorkPool(plan.body);
          return { outcome: 'created', pool: created, notes: plan.notes };
        } catch (error) {
          if (error instanceof PrefectConflictError && round === 1) continue;
          throw error;
        }
    }
  }
}

/**
 * On pool deletion: deletes the Prefect work pool only when the controller manages it and the spec asks
 * for it (workPool.deleteOnPoolDeletion), and only if it still has the spec's type, so a pool of the same
 * name that someone else made is left alone.
 */
export async function deleteWorkPoolIfRequested(
  client: WorkPoolApi,
  pool: ResolvedPool,
): Promise<WorkPoolDeletion> {
  const { workPool } = pool.spec;
  if (!workPool.manage || !workPool.deleteOnPoolDeletion) {
    return {
      outcome: 'kept',
      message: workPool.manage
        ? 'spec.workPool.deleteOnPoolDeletion is false'
        : 'spec.workPool.manage is false: the controller does not own the work pool',
    };
  }
  const live = await client.readWorkPool(workPool.name);
  if (!live) return { outcome: 'absent' };
  if (live.type !== workPool.type) {
    return {
      outcome: 'kept',
      message: `work pool "${workPool.name}" has type "${live.type}", not "${workPool.type}": not the controller's`,
    };
  }
  return { outcome: (await client.deleteWorkPool(workPool.name)) ? 'deleted' : 'absent' };
}

/**
 * The slice of the Prefect 3 REST API the controller uses, typed after the server's own models:
 * `WorkPoolCreate` / `WorkPoolUpdate` in src/prefect/server/schemas/actions.py (both `extra="forbid"`:
 * an unknown key is a 422), `WorkPoolResponse` / `WorkerResponse` in src/prefect/server/schemas/responses.py
 * and the filters in src/prefect/server/schemas/filters.py (PrefectHQ/prefect).
 */

export type WorkPoolStatus = 'READY' | 'NOT_READY' | 'PAUSED';

/** `prefect.server.schemas.states.StateType`. Late runs are SCHEDULED with the state name "Late". */
export type FlowRunStateType =
  | 'SCHEDULED'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'CRASHED'
  | 'PAUSED'
  | 'CANCELLING';

export const flowRunStateTypes: readonly FlowRunStateType[] = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
];

/** One variable of a job template: a JSON Schema property, of which only `default` concerns the controller. */
export interface JobVariableSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  [key: string]: unknown;
}

/**
 * A work pool's base job template: `job_configuration` with `{{ placeholders }}` and `variables`, a JSON
 * Schema whose property defaults fill the placeholders. The server accepts `{}` (no template yet) or both keys.
 */
export interface BaseJobTemplate {
  job_configuration?: Record<string, unknown>;
  variables?: {
    type?: string;
    properties?: Record<string, JobVariableSchema>;
    required?: string[];
    definitions?: Record<string, unknown>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** GET /work_pools/{name}. Fields the controller does not read are kept but not typed. */
export interface WorkPool {
  id: string;
  name: string;
  type: string;
  description: string | null;
  is_paused: boolean;
  concurrency_limit: number | null;
  base_job_template: BaseJobTemplate;
  /** Null on servers that have not computed it yet. */
  status: WorkPoolStatus | null;
  default_queue_id?: string | null;
  created?: string | null;
  updated?: string | null;
  [key: string]: unknown;
}

/** POST /work_pools/ body. Send `type` always: the server's default is the legacy "prefect-agent". */
export interface WorkPoolCreate {
  name: string;
  type: string;
  description?: string;
  base_job_template?: BaseJobTemplate;
  is_paused?: boolean;
  /** Non-negative; omit for no limit. */
  concurrency_limit?: number;
}

/**
 * PATCH /work_pools/{name} body. The server applies only the keys sent (`exclude_unset`), so `null`
 * clears a value (concurrency_limit: null removes the limit). Name and type cannot change.
 */
export interface WorkPoolUpdate {
  description?: string | null;
  is_paused?: boolean;
  concurrency_limit?: number | null;
  base_job_template?: BaseJobTemplate;
}

/** POST /work_pools/{name}/workers/filter item. OFFLINE after 3 missed heartbeats (30 s by default). */
export interface PrefectWorker {
  name: string;
  last_heartbeat_time: string | null;
  status: 'ONLINE' | 'OFFLINE';
  heartbeat_interval_seconds?: number | null;
  id?: string;
  work_pool_id?: string;
}

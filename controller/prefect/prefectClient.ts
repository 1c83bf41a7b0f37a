/**
 * A typed client for the part of the Prefect 3 REST API the controller uses (DESIGN §6.4), on plain
 * `fetch`: work pools, flow run counts for the backlog, and the pool's workers.
 *
 * Every call has a timeout and is retried on network errors, timeouts, 429 and 5xx with the pure
 * policy of retryPolicy.ts; other 4xx fail at once. Failures become PrefectApiError with a PascalCase
 * reason.
 *
 * Credentials go in the Authorization header and nowhere else: not in URLs, bodies or error messages.
 * Error messages name the method, the path relative to the API URL, the status and a truncated
 * response body with any credential scrubbed from it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  PrefectApiError,
  PrefectClientConfigError,
  PrefectConflictError,
  PrefectUnreachableError,
  reasonForStatus,
} from './prefectErrors.js';
import type {
  BaseJobTemplate,
  FlowRunStateType,
  PrefectWorker,
  WorkPool,
  WorkPoolCreate,
  WorkPoolStatus,
  WorkPoolUpdate,
} from './prefectTypes.js';
import { parseRetryAfterMs, retryDelayMs, shouldRetry, type PrefectCallOutcome } from './retryPolicy.js';

/** bearer: a Prefect Cloud API key. basic: a self-hosted server's auth string (`user:password`), sent base64-encoded. */
export type PrefectAuth =
  { kind: 'bearer'; apiKey: string } | { kind: 'basic'; authString: string } | { kind: 'none' };

export interface PrefectClientOptions {
  /** Cloud: https://api.prefect.cloud/api/accounts/{account}/workspaces/{workspace}; self-hosted: http://host:4200/api. */
  apiUrl: string;
  auth: PrefectAuth;
  /** Per attempt, response body included. Default 5000. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 3. */
  maxAttempts?: number;
  /** First backoff ceiling. Default 250. */
  retryBaseMs?: number;
  /** Longest wait between attempts, Retry-After included. Default 5000. */
  retryCapMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** For HTTP-date Retry-After values. Default: the system clock. */
  clock?: { now(): Date };
}

export interface CountFlowRunsOptions {
  /** Only runs expected to start at or before this time (the server's `before_` is inclusive). */
  dueBefore?: Date;
}

export const prefectClientDefaults = {
  timeoutMs: 5_000,
  maxAttempts: 3,
  retryBaseMs: 250,
  retryCapMs: 5_000,
} as const;

/** Flow runs waiting for a worker. Late runs are SCHEDULED runs whose state name is "Late". */
export const backlogStateTypes: readonly FlowRunStateType[] = ['SCHEDULED', 'PENDING'];

/**
 * Flow runs that occupy a worker. CANCELLING is counted: until the worker has killed the run's process
 * (process pools) the run still lives inside the worker task, and scaling that task in would cut the
 * cancellation, and its on_cancellation hooks, short.
 */
export const runningStateTypes: readonly FlowRunStateType[] = ['RUNNING', 'CANCELLING'];

/** The server's PREFECT_API_DEFAULT_LIMIT: a larger `limit` is a 422. */
const pageLimit = 200;
const maxPages = 50;
const responseBodyLimit = 500;

const workPoolCreateKeys = [
  'name',
  'type',
  'description',
  'base_job_template',
  'is_paused',
  'concurrency_limit',
] as const satisfies readonly (keyof WorkPoolCreate)[];
const workPoolUpdateKeys = [
  'description',
  'is_paused',
  'concurrency_limit',
  'base_job_template',
] as const satisfies readonly (keyof WorkPoolUpdate)[];

type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface RawResponse {
  readonly status: number;
  readonly text: string;
  /** Requests made for it, retries included. */
  readonly attempts: number;
}

/** Prefect rejects unknown keys with 422: copy only the keys its model declares, and no undefined values. */
function pickKnown<T extends object>(value: T, keys: readonly (keyof T)[]): Partial<T> {
  const result: Partial<T> = {};
  for (const key of keys) if (value[key] !== undefined) result[key] = value[key];
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTimeout(error: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  return error instanceof Error && error.name === 'TimeoutError';
}

/**
 * A name as one path segment. `.` and `..` (also percent-encoded) are dot segments to the URL parser and
 * would be resolved away, sending the request to another path: refused instead.
 */
function segment(name: string): string {
  if (name === '' || name === '.' || name === '..') {
    throw new PrefectClientConfigError(`"${name}" cannot be used as a name in a Prefect API path`);
  }
  return encodeURIComponent(name);
}

const workPoolStatuses: readonly WorkPoolStatus[] = ['READY', 'NOT_READY', 'PAUSED'];

export class PrefectClient {
  private readonly baseUrl: URL;
  private readonly authorization: string | undefined;
  /** Strings that must never leave the client in an error: the credential in every form it is sent. */
  private readonly secrets: readonly string[];
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryCapMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly clock: { now(): Date };

  constructor(options: PrefectClientOptions) {
    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch (error) {
      throw new PrefectClientConfigError('Prefect apiUrl is not an absolute URL', error);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PrefectClientConfigError(`Prefect apiUrl must be http or https, not ${url.protocol}`);
    }
    // Credentials in the URL would travel in every request line and land in logs; fetch refuses them anyway.
    if (url.username || url.password) {
      throw new PrefectClientConfigError(
        'Prefect apiUrl must not contain credentials: use apiKeySecretArn or authStringSecretArn',
      );
    }
    if (url.search || url.hash) {
      throw new PrefectClientConfigError('Prefect apiUrl must not have a query string or fragment');
    }
    // With a trailing slash, relative paths append to the URL instead of replacing its last segment.
    if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
    this.baseUrl = url;

    const { auth } = options;
    if (auth.kind === 'bearer') {
      this.authorization = `Bearer ${auth.apiKey}`;
      this.secrets = [auth.apiKey];
    } else if (auth.kind === 'basic') {
      const encoded = Buffer.from(auth.authString, 'utf8').toString('base64');
      this.authorization = `Basic ${encoded}`;
      this.secrets = [auth.authString, encoded];
    } else {
      this.authorization = undefined;
      this.secrets = [];
    }

    this.timeoutMs = options.timeoutMs ?? prefectClientDefaults.timeoutMs;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? prefectClientDefaults.maxAttempts));
    this.retryBaseMs = options.retryBaseMs ?? prefectClientDefaults.retryBaseMs;
    this.retryCapMs = options.retryCapMs ?? prefectClientDefaults.retryCapMs;
    this.fetchImpl = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? { now: () => new Date() };
  }

  /** GET /work_pools/{name}; undefined when there is no such pool. */
  async readWorkPool(name: string): Promise<WorkPool | undefined> {
    const path = `/work_pools/${segment(name)}`;
    const response = await this.call('GET', path);
    if (response.status === 404) return undefined;
    this.expect('GET', path, response, [200]);
    return this.parseWorkPool('GET', path, response);
  }

  /** POST /work_pools/ (201). A taken name is a PrefectConflictError. */
  async createWorkPool(body: WorkPoolCreate): Promise<WorkPool> {
    const path = '/work_pools/';
    const response = await this.call('POST', path, pickKnown(body, workPoolCreateKeys));
    this.expect('POST', path, response, [200, 201]);
    return this.parseWorkPool('POST', path, response);
  }

  /** PATCH /work_pools/{name} (204). Only the keys present are changed; null clears a value. */
  async updateWorkPool(name: string, patch: WorkPoolUpdate): Promise<void> {
    const path = `/work_pools/${segment(name)}`;
    const response = await this.call('PATCH', path, pickKnown(patch, workPoolUpdateKeys));
    this.expect('PATCH', path, response, [200, 204]);
  }

  /** DELETE /work_pools/{name} (204): true when deleted, false when there was nothing to delete. */
  async deleteWorkPool(name: string): Promise<boolean> {
    const path = `/work_pools/${segment(name)}`;
    const response = await this.call('DELETE', path);
    if (response.status === 404) return false;
    this.expect('DELETE', path, response, [200, 204]);
    return true;
  }

  /** POST /flow_runs/count for the pool's flow runs in the given state types; the server answers a bare integer. */
  async countFlowRuns(
    pool: string,
    stateTypes: readonly FlowRunStateType[],
    options: CountFlowRunsOptions = {},
  ): Promise<number> {
    if (stateTypes.length === 0) return 0;
    const path = '/flow_runs/count';
    const body = {
      work_pools: { name: { any_: [pool] } },
      flow_runs: {
        operator: 'and_',
        state: { type: { any_: [...stateTypes] } },
        ...(options.dueBefore ? { expected_start_time: { before_: options.dueBefore.toISOString() } } : {}),
      },
    };
    const response = await this.call('POST', path, body);
    this.expect('POST', path, response, [200]);
    const count = this.parseJson('POST', path, response);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw this.invalidResponse('POST', path, response, 'expected a non-negative integer');
    }
    return count;
  }

  /**
   * Flow runs waiting for a worker: SCHEDULED (late ones included) and PENDING, due by `now`. Bounded
   * by time because the scheduler creates runs ahead of their start.
   */
  countBacklog(pool: string, now: Date): Promise<number> {
    return this.countFlowRuns(pool, backlogStateTypes, { dueBefore: now });
  }

  /** Flow runs occupying a worker: RUNNING and CANCELLING (see runningStateTypes). */
  countRunning(pool: string): Promise<number> {
    return this.countFlowRuns(pool, runningStateTypes);
  }

  /** POST /work_pools/{name}/workers/filter, paged. A missing pool is a PrefectApiError NotFound. */
  async listWorkers(pool: string): Promise<PrefectWorker[]> {
    const path = `/work_pools/${segment(pool)}/workers/filter`;
    const workers: PrefectWorker[] = [];
    for (let page = 0; page < maxPages; page++) {
      const response = await this.call('POST', path, { limit: pageLimit, offset: page * pageLimit });
      this.expect('POST', path, response, [200]);
      const items = this.parseJson('POST', path, response);
      if (!Array.isArray(items)) throw this.invalidResponse('POST', path, response, 'expected an array');
      for (const item of items) workers.push(this.parseWorker('POST', path, response, item));
      if (items.length < pageLimit) break;
    }
    return workers;
  }

  /**
   * One call with its retries. Returns the last response when it is final (any status that is not
   * retried, or the last attempt's); throws PrefectUnreachableError when no response ever came.
   */
  private async call(method: HttpMethod, path: string, body?: unknown): Promise<RawResponse> {
    const url = new URL(path.slice(1), this.baseUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.authorization) headers.authorization = this.authorization;

    for (let attempt = 1; ; attempt++) {
      const signal = AbortSignal.timeout(this.timeoutMs);
      let outcome: PrefectCallOutcome;
      let response: RawResponse | undefined;
      let retryAfterMs: number | undefined;
      let failure: unknown;
      try {
        // redirect: manual, so the Authorization header never follows a redirect to another host.
        const res = await this.fetchImpl(url, { method, headers, body: payload, signal, redirect: 'manual' });
        const text = await res.text();
        response = { status: res.status, text, attempts: attempt };
        outcome = { kind: 'response', status: res.status };
        retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'), this.clock.now());
      } catch (error) {
        failure = error;
        outcome = isTimeout(error, signal) ? { kind: 'timeout' } : { kind: 'network' };
      }

      if (response && response.status >= 200 && response.status < 300) return response;
      if (!shouldRetry(outcome) || attempt >= this.maxAttempts) {
        if (response) return response;
        throw new PrefectUnreachableError({
          method,
          path,
          attempts: attempt,
          timedOut: outcome.kind === 'timeout',
          timeoutMs: this.timeoutMs,
          cause: failure,
        });
      }
      await this.sleep(
        retryDelayMs(attempt, {
          baseMs: this.retryBaseMs,
          capMs: this.retryCapMs,
          random: this.random,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        }),
      );
    }
  }

  /** Turns a status outside `ok` into the matching error. */
  private expect(method: HttpMethod, path: string, response: RawResponse, ok: readonly number[]): void {
    if (ok.includes(response.status)) return;
    const details = {
      method,
      path,
      status: response.status,
      responseBody: this.excerpt(response.text),
      attempts: response.attempts,
    };
    if (response.status === 409) throw new PrefectConflictError(details);
    throw new PrefectApiError(reasonForStatus(response.status), details);
  }

  private parseJson(method: HttpMethod, path: string, response: RawResponse): unknown {
    try {
      return JSON.parse(response.text) as unknown;
    } catch {
      // Not kept as the cause: JSON.parse's message quotes the start of the body, unscrubbed, and a
      // server that echoes credentials puts them there. The message below has the scrubbed excerpt.
      throw this.invalidResponse(method, path, response, 'not JSON');
    }
  }

  private parseWorkPool(method: HttpMethod, path: string, response: RawResponse): WorkPool {
    const raw = this.parseJson(method, path, response);
    if (!isRecord(raw) || typeof raw.name !== 'string' || typeof raw.type !== 'string') {
      throw this.invalidResponse(method, path, response, 'expected a work pool');
    }
    const status = workPoolStatuses.find((candidate) => candidate === raw.status) ?? null;
    return {
      ...raw,
      id: typeof raw.id === 'string' ? raw.id : '',
      name: raw.name,
      type: raw.type,
      description: typeof raw.description === 'string' ? raw.description : null,
      is_paused: raw.is_paused === true,
      concurrency_limit: typeof raw.concurrency_limit === 'number' ? raw.concurrency_limit : null,
      base_job_template: isRecord(raw.base_job_template) ? (raw.base_job_template as BaseJobTemplate) : {},
      status,
    };
  }

  private parseWorker(method: HttpMethod, path: string, response: RawResponse, item: unknown): PrefectWorker {
    if (!isRecord(item) || typeof item.name !== 'string') {
      throw this.invalidResponse(method, path, response, 'expected workers');
    }
    return {
      name: item.name,
      last_heartbeat_time: typeof item.last_heartbeat_time === 'string' ? item.last_heartbeat_time : null,
      status: item.status === 'ONLINE' ? 'ONLINE' : 'OFFLINE',
      ...(typeof item.heartbeat_interval_seconds === 'number'
        ? { heartbeat_interval_seconds: item.heartbeat_interval_seconds }
        : {}),
      ...(typeof item.id === 'string' ? { id: item.id } : {}),
      ...(typeof item.work_pool_id === 'string' ? { work_pool_id: item.work_pool_id } : {}),
    };
  }

  private invalidResponse(
    method: HttpMethod,
    path: string,
    response: RawResponse,
    what: string,
    cause?: unknown,
  ): PrefectApiError {
    const responseBody = this.excerpt(response.text);
    return new PrefectApiError(
      'InvalidResponse',
      { method, path, status: response.status, responseBody, attempts: response.attempts, cause },
      `Prefect API ${method} ${path} answered ${response.status} with an unexpected body (${what}): ${responseBody}`,
    );
  }

  /** The first characters of a response body, with any credential masked in case a server echoes one. */
  private excerpt(text: string): string {
    let scrubbed = text;
    for (const secret of this.secrets) if (secret) scrubbed = scrubbed.split(secret).join('***');
    const flat = scrubbed.replace(/\s+/g, ' ').trim();
    return flat.length > responseBodyLimit ? `${flat.slice(0, responseBodyLimit)}…` : flat;
  }
}

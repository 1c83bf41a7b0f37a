/**
 * An in-process stand-in for the Prefect 3 REST API (DESIGN §6.4) on a free loopback port, for tests:
 * there is no local Prefect server here and tests never call a real one.
 *
 * It validates requests the way Prefect does where the controller could get it wrong (unknown keys are
 * a 422 because Prefect's action models forbid extras; limits above 200 are a 422; reserved `prefect*`
 * names are a 403) and is stricter where a lax answer would hide a client bug: a create without `type`
 * is a 422 here (Prefect would default it to "prefect-agent"), and a /flow_runs/count filter it does not
 * understand is a 422 rather than a silently wrong count.
 *
 * Flow runs are not stored; the stub keeps counts per pool and state type (setBacklog, setRunning,
 * setFlowRuns) and answers /flow_runs/count from them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  flowRunStateTypes,
  type FlowRunStateType,
  type PrefectWorker,
  type WorkPool,
} from '../../controller/prefect/prefectTypes.js';

export interface RecordedPrefectRequest {
  readonly method: string;
  /** Relative to the API root, query string included, e.g. `/work_pools/analytics`. */
  readonly path: string;
  /** Lowercased names as Node gives them; authorization is kept so tests can assert it. */
  readonly headers: IncomingHttpHeaders;
  /** The raw body ('' when none). */
  readonly body: string;
}

export interface PrefectStubAuth {
  /** The API key expected as `Authorization: Bearer <key>`. */
  readonly bearer?: string;
  /** The auth string (`user:password`) expected as `Authorization: Basic base64(<auth string>)`. */
  readonly basic?: string;
}

export interface PrefectStub {
  /** e.g. http://127.0.0.1:PORT/api */
  readonly url: string;
  readonly requests: RecordedPrefectRequest[];
  workPools: Map<string, WorkPool>;
  /** Due SCHEDULED runs of a pool (late ones included); `later` more are scheduled an hour from now. */
  setBacklog(pool: string, count: number, later?: number): void;
  setRunning(pool: string, count: number): void;
  setFlowRuns(pool: string, stateType: FlowRunStateType, count: number): void;
  setWorkers(pool: string, workers: readonly PrefectWorker[]): void;
  /** The next `count` API requests (not /health) get this status and body (JSON-encoded unless a string). */
  failNext(count: number, status: number, body?: unknown, headers?: Record<string, string>): void;
  /** Every response waits this long first. */
  setDelay(ms: number): void;
  /** While down, every connection is destroyed as it arrives: the client sees a network failure. */
  setDown(down: boolean): void;
  /** 401 unless the Authorization header matches; undefined turns the check off. /health never asks. */
  requireAuth(auth: PrefectStubAuth | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

interface Failure {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

interface ValidationIssue {
  readonly loc: (string | number)[];
  readonly msg: string;
  readonly type: string;
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {}
}

const stateTypes = flowRunStateTypes;
const workPoolCreateKeys = new Set([
  'name',
  'description',
  'type',
  'base_job_template',
  'is_paused',
  'concurrency_limit',
  'storage_configuration',
]);
const workPoolUpdateKeys = new Set([
  'description',
  'is_paused',
  'base_job_template',
  'concurrency_limit',
  'storage_configuration',
]);
const countBodyKeys = new Set([
  'flows',
  'flow_runs',
  'task_runs',
  'deployments',
  'work_pools',
  'work_pool_queues',
]);
const apiDefaultLimit = 200;
const laterOffsetMs = 60 * 60_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unprocessable(issues: ValidationIssue[], requestBody: unknown): HttpAnswer {
  // Prefect's validation handler answers this shape, echoing the request body.
  return new HttpAnswer(422, {
    exception_message: 'Invalid request received.',
    exception_detail: issues,
    request_body: requestBody,
  });
}

function extraForbidden(
  body: Record<string, unknown>,
  allowed: Set<string>,
  loc: string[],
): ValidationIssue[] {
  return Object.keys(body)
    .filter((key) => !allowed.has(key))
    .map((key) => ({ loc: [...loc, key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }));
}

/** Prefect's validate_base_job_template: `{}`, or both keys with every placeholder declared as a variable. */
function templateIssues(template: unknown, loc: string[]): ValidationIssue[] {
  if (!isRecord(template)) return [{ loc, msg: 'Input should be a valid dictionary', type: 'dict_type' }];
  if (Object.keys(template).length === 0) return [];
  const jobConfiguration = template.job_configuration;
  const variables = template.variables;
  if (!isRecord(jobConfiguration) || Object.keys(jobConfiguration).length === 0 || !isRecord(variables)) {
    return [
      {
        loc,
        msg: 'The `base_job_template` must contain both a `job_configuration` key and a `variables` key.',
        type: 'value_error',
      },
    ];
  }
  const declared = new Set(Object.keys(isRecord(variables.properties) ? variables.properties : {}));
  const used = new Set(
    [...JSON.stringify(jobConfiguration).matchAll(/\{\{\s*([\w.-]+)\s*\}\}/g)].map((m) => m[1]),
  );
  const missing = [...used].filter((name) => name !== undefined && !declared.has(name.split('.')[0] ?? name));
  return missing.length
    ? [{ loc, msg: `undeclared variable(s): ${missing.join(', ')}`, type: 'value_error' }]
    : [];
}

function fieldIssues(body: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if ('description' in body && body.description !== null && typeof body.description !== 'string') {
    issues.push({ loc: ['body', 'description'], msg: 'Input should be a valid string', type: 'string_type' });
  }
  if ('is_paused' in body && body.is_paused !== null && typeof body.is_paused !== 'boolean') {
    issues.push({ loc: ['body', 'is_paused'], msg: 'Input should be a valid boolean', type: 'bool_type' });
  }
  if (
    'concurrency_limit' in body &&
    body.concurrency_limit !== null &&
    !(Number.isInteger(body.concurrency_limit) && (body.concurrency_limit as number) >= 0)
  ) {
    issues.push({
      loc: ['body', 'concurrency_limit'],
      msg: 'Input should be greater than or equal to 0',
      type: 'greater_than_equal',
    });
  }
  if ('base_job_template' in body && body.base_job_template !== null) {
    issues.push(...templateIssues(body.base_job_template, ['body', 'base_job_template']));
  }
  return issues;
}

function anyOfStrings(value: unknown, loc: string[], allowedKeys: string[]): ValidationIssue[] | string[] {
  if (!isRecord(value)) return [{ loc, msg: 'Input should be a valid dictionary', type: 'dict_type' }];
  const extra = Object.keys(value).filter((key) => !allowedKeys.includes(key));
  if (extra.length)
    return [{ loc, msg: `stub does not understand ${extra.join(', ')}`, type: 'stub_unsupported' }];
  const any = value.any_;
  if (any === undefined || any === null) return [];
  if (!Array.isArray(any) || !any.every((item) => typeof item === 'string')) {
    return [{ loc: [...loc, 'any_'], msg: 'Input should be a valid list of strings', type: 'list_type' }];
  }
  return any as string[];
}

function isIssues(value: ValidationIssue[] | string[]): value is ValidationIssue[] {
  return value.length > 0 && typeof value[0] === 'object';
}

export async function startPrefectStub(): Promise<PrefectStub> {
  const requests: RecordedPrefectRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const flowRunCounts = new Map<string, Map<FlowRunStateType, number>>();
  const laterScheduled = new Map<string, number>();
  const workers = new Map<string, PrefectWorker[]>();
  let failures: Failure[] = [];
  let delayMs = 0;
  let down = false;
  let auth: PrefectStubAuth | undefined;

  const stub = {
    url: '',
    requests,
    workPools: new Map<string, WorkPool>(),
    setBacklog(pool: string, count: number, later = 0) {
      stub.setFlowRuns(pool, 'SCHEDULED', count);
      laterScheduled.set(pool, later);
    },
    setRunning(pool: string, count: number) {
      stub.setFlowRuns(pool, 'RUNNING', count);
    },
    setFlowRuns(pool: string, stateType: FlowRunStateType, count: number) {
      const counts = flowRunCounts.get(pool) ?? new Map<FlowRunStateType, number>();
      counts.set(stateType, count);
      flowRunCounts.set(pool, counts);
    },
    setWorkers(pool: string, list: readonly PrefectWorker[]) {
      workers.set(pool, [...list]);
    },
    failNext(count: number, status: number, body?: unknown, headers: Record<string, string> = {}) {
      for (let i = 0; i < count; i++)
        failures.push({ status, body: body ?? { detail: `stub failure ${status}` }, headers });
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    setDown(value: boolean) {
      down = value;
      if (down) for (const socket of sockets) socket.destroy();
    },
    requireAuth(value: PrefectStubAuth | undefined) {
      auth = value;
    },
    reset() {
      // A delayed answer still pending from the last test would otherwise land in this one's requests.
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      requests.length = 0;
      stub.workPools.clear();
      flowRunCounts.clear();
      laterScheduled.clear();
      workers.clear();
      failures = [];
      delayMs = 0;
      down = false;
      auth = undefined;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };

  function poolStatus(pool: WorkPool): WorkPool['status'] {
    if (pool.is_paused) return 'PAUSED';
    return (workers.get(pool.name) ?? []).some((worker) => worker.status === 'ONLINE')
      ? 'READY'
      : 'NOT_READY';
  }

  function present(pool: WorkPool): WorkPool {
    return { ...structuredClone(pool), status: poolStatus(pool) };
  }

  function authorized(headers: IncomingHttpHeaders): boolean {
    if (!auth || (auth.bearer === undefined && auth.basic === undefined)) return true;
    const header = headers.authorization;
    if (auth.bearer !== undefined && header === `Bearer ${auth.bearer}`) return true;
    if (
      auth.basic !== undefined &&
      header === `Basic ${Buffer.from(auth.basic, 'utf8').toString('base64')}`
    ) {
      return true;
    }
    return false;
  }

  function createWorkPool(body: unknown): HttpAnswer {
    if (!isRecord(body)) {
      return unprocessable(
        [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }],
        body,
      );
    }
    const issues = [...extraForbidden(body, workPoolCreateKeys, ['body']), ...fieldIssues(body)];
    if (typeof body.name !== 'string' || body.name.trim() === '') {
      issues.push({ loc: ['body', 'name'], msg: 'Field required (a non-empty string)', type: 'missing' });
    }
    if (typeof body.type !== 'string' || body.type === '') {
      issues.push({
        loc: ['body', 'type'],
        msg: 'Field required (the stub insists on a type)',
        type: 'missing',
      });
    }
    if (issues.length) return unprocessable(issues, body);
    const name = body.name as string;
    if (name.toLowerCase().startsWith('prefect')) {
      return new HttpAnswer(403, {
        detail: "Work pools starting with 'Prefect' are reserved for internal use.",
      });
    }
    if (stub.workPools.has(name))
      return new HttpAnswer(409, { detail: 'A work pool with this name already exists.' });
    const now = new Date().toISOString();
    const pool: WorkPool = {
      id: randomUUID(),
      created: now,
      updated: now,
      name,
      type: body.type as string,
      description: typeof body.description === 'string' ? body.description : null,
      base_job_template: isRecord(body.base_job_template) ? structuredClone(body.base_job_template) : {},
      is_paused: body.is_paused === true,
      concurrency_limit: typeof body.concurrency_limit === 'number' ? body.concurrency_limit : null,
      status: 'NOT_READY',
      default_queue_id: randomUUID(),
    };
    stub.workPools.set(name, pool);
    return new HttpAnswer(201, present(pool));
  }

  function updateWorkPool(name: string, body: unknown): HttpAnswer {
    if (!isRecord(body)) {
      return unprocessable(
        [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }],
        body,
      );
    }
    const issues = [...extraForbidden(body, workPoolUpdateKeys, ['body']), ...fieldIssues(body)];
    if (issues.length) return unprocessable(issues, body);
    if (
      name.toLowerCase().startsWith('prefect') &&
      Object.keys(body).some((key) => !['is_paused', 'concurrency_limit'].includes(key))
    ) {
      return new HttpAnswer(403, {
        detail: "Work pools starting with 'Prefect' are reserved for internal use.",
      });
    }
    const pool = stub.workPools.get(name);
    if (!pool) return new HttpAnswer(404, { detail: `Work pool "${name}" not found.` });
    // The server applies only the keys sent; null clears the nullable ones.
    if ('description' in body) pool.description = (body.description as string | null) ?? null;
    if ('concurrency_limit' in body)
      pool.concurrency_limit = (body.concurrency_limit as number | null) ?? null;
    if (typeof body.is_paused === 'boolean') pool.is_paused = body.is_paused;
    if (isRecord(body.base_job_template)) pool.base_job_template = structuredClone(body.base_job_template);
    pool.updated = new Date().toISOString();
    return new HttpAnswer(204);
  }

  function countFlowRuns(body: unknown): HttpAnswer {
    if (body === undefined) body = {};
    if (!isRecord(body)) {
      return unprocessable(
        [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }],
        body,
      );
    }
    const issues = extraForbidden(body, countBodyKeys, ['body']);
    for (const key of ['flows', 'task_runs', 'deployments', 'work_pool_queues']) {
      if (body[key] !== undefined && body[key] !== null) {
        issues.push({
          loc: ['body', key],
          msg: 'stub does not understand this filter',
          type: 'stub_unsupported',
        });
      }
    }

    let poolNames: string[] | undefined;
    if (body.work_pools !== undefined && body.work_pools !== null) {
      const workPools = body.work_pools;
      if (!isRecord(workPools)) {
        issues.push({
          loc: ['body', 'work_pools'],
          msg: 'Input should be a valid dictionary',
          type: 'dict_type',
        });
      } else {
        issues.push(...extraForbidden(workPools, new Set(['operator', 'name']), ['body', 'work_pools']));
        if (workPools.name !== undefined) {
          const names = anyOfStrings(workPools.name, ['body', 'work_pools', 'name'], ['any_']);
          if (isIssues(names)) issues.push(...names);
          else poolNames = names;
        }
      }
    }

    let types: FlowRunStateType[] | undefined;
    let before: number | undefined;
    if (body.flow_runs !== undefined && body.flow_runs !== null) {
      const flowRuns = body.flow_runs;
      if (!isRecord(flowRuns)) {
        issues.push({
          loc: ['body', 'flow_runs'],
          msg: 'Input should be a valid dictionary',
          type: 'dict_type',
        });
      } else {
        issues.push(
          ...extraForbidden(flowRuns, new Set(['operator', 'state', 'expected_start_time']), [
            'body',
            'flow_runs',
          ]),
        );
        if (flowRuns.operator !== undefined && flowRuns.operator !== 'and_') {
          issues.push({
            loc: ['body', 'flow_runs', 'operator'],
            msg: "stub understands only 'and_'",
            type: 'enum',
          });
        }
        const state = flowRuns.state;
        if (state !== undefined && state !== null) {
          if (!isRecord(state)) {
            issues.push({
              loc: ['body', 'flow_runs', 'state'],
              msg: 'Input should be a valid dictionary',
              type: 'dict_type',
            });
          } else {
            issues.push(
              ...extraForbidden(state, new Set(['operator', 'type']), ['body', 'flow_runs', 'state']),
            );
            if (state.type !== undefined && state.type !== null) {
              const listed = anyOfStrings(state.type, ['body', 'flow_runs', 'state', 'type'], ['any_']);
              if (isIssues(listed)) issues.push(...listed);
              else {
                const invalid = listed.filter((item) => !stateTypes.includes(item as FlowRunStateType));
                if (invalid.length) {
                  issues.push({
                    loc: ['body', 'flow_runs', 'state', 'type', 'any_'],
                    msg: `Input should be one of ${stateTypes.join(', ')}; got ${invalid.join(', ')}`,
                    type: 'enum',
                  });
                } else types = listed as FlowRunStateType[];
              }
            }
          }
        }
        const expected = flowRuns.expected_start_time;
        if (expected !== undefined && expected !== null) {
          if (!isRecord(expected)) {
            issues.push({
              loc: ['body', 'flow_runs', 'expected_start_time'],
              msg: 'Input should be a valid dictionary',
              type: 'dict_type',
            });
          } else {
            issues.push(
              ...extraForbidden(expected, new Set(['before_']), ['body', 'flow_runs', 'expected_start_time']),
            );
            if (expected.before_ !== undefined && expected.before_ !== null) {
              const parsed = typeof expected.before_ === 'string' ? Date.parse(expected.before_) : Number.NaN;
              if (Number.isNaN(parsed)) {
                issues.push({
                  loc: ['body', 'flow_runs', 'expected_start_time', 'before_'],
                  msg: 'Input should be a valid datetime',
                  type: 'datetime_parsing',
                });
              } else before = parsed;
            }
          }
        }
      }
    }
    if (issues.length) return unprocessable(issues, body);

    const pools = poolNames ?? [...flowRunCounts.keys()];
    let total = 0;
    for (const pool of pools) {
      const counts = flowRunCounts.get(pool);
      for (const [stateType, count] of counts ?? []) {
        if (types === undefined || types.includes(stateType)) total += count;
      }
      // Runs scheduled an hour ahead count only when the filter does not stop before them.
      const later = laterScheduled.get(pool) ?? 0;
      const laterAt = Date.now() + laterOffsetMs;
      if (
        later &&
        (types === undefined || types.includes('SCHEDULED')) &&
        (before === undefined || before >= laterAt)
      ) {
        total += later;
      }
    }
    return new HttpAnswer(200, total);
  }

  function listWorkers(name: string, body: unknown): HttpAnswer {
    if (body === undefined) body = {};
    if (!isRecord(body)) {
      return unprocessable(
        [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }],
        body,
      );
    }
    const issues = extraForbidden(body, new Set(['workers', 'limit', 'offset']), ['body']);
    const limit = body.limit ?? apiDefaultLimit;
    const offset = body.offset ?? 0;
    if (!Number.isInteger(limit) || (limit as number) < 0 || (limit as number) > apiDefaultLimit) {
      issues.push({
        loc: ['body', 'limit'],
        msg: `Invalid limit: must be less than or equal to ${apiDefaultLimit}.`,
        type: 'value_error',
      });
    }
    if (!Number.isInteger(offset) || (offset as number) < 0) {
      issues.push({
        loc: ['body', 'offset'],
        msg: 'Input should be greater than or equal to 0',
        type: 'greater_than_equal',
      });
    }
    if (body.workers !== undefined && body.workers !== null) {
      issues.push({
        loc: ['body', 'workers'],
        msg: 'stub does not understand worker filters',
        type: 'stub_unsupported',
      });
    }
    if (issues.length) return unprocessable(issues, body);
    const pool = stub.workPools.get(name);
    if (!pool) return new HttpAnswer(404, { detail: `Work pool "${name}" not found.` });
    const page = (workers.get(name) ?? []).slice(offset as number, (offset as number) + (limit as number));
    return new HttpAnswer(
      200,
      page.map((worker) => ({
        id: worker.id ?? randomUUID(),
        created: worker.last_heartbeat_time,
        updated: worker.last_heartbeat_time,
        work_pool_id: pool.id,
        heartbeat_interval_seconds: worker.heartbeat_interval_seconds ?? 30,
        ...worker,
      })),
    );
  }

  function route(method: string, path: string, body: unknown): HttpAnswer {
    const pathname = path.split('?')[0] ?? path;
    if (pathname === '/work_pools/') {
      return method === 'POST' ? createWorkPool(body) : new HttpAnswer(405, { detail: 'Method Not Allowed' });
    }
    if (pathname === '/flow_runs/count') {
      return method === 'POST' ? countFlowRuns(body) : new HttpAnswer(405, { detail: 'Method Not Allowed' });
    }
    const workersMatch = /^\/work_pools\/([^/]+)\/workers\/filter$/.exec(pathname);
    if (workersMatch) {
      const name = decodeURIComponent(workersMatch[1] ?? '');
      return method === 'POST'
        ? listWorkers(name, body)
        : new HttpAnswer(405, { detail: 'Method Not Allowed' });
    }
    const poolMatch = /^\/work_pools\/([^/]+)$/.exec(pathname);
    if (poolMatch) {
      const name = decodeURIComponent(poolMatch[1] ?? '');
      switch (method) {
        case 'GET': {
          const pool = stub.workPools.get(name);
          return pool
            ? new HttpAnswer(200, present(pool))
            : new HttpAnswer(404, { detail: `Work pool "${name}" not found.` });
        }
        case 'PATCH':
          return updateWorkPool(name, body);
        case 'DELETE':
          if (name.toLowerCase().startsWith('prefect')) {
            return new HttpAnswer(403, {
              detail: "Work pools starting with 'Prefect' are reserved for internal use.",
            });
          }
          return stub.workPools.delete(name)
            ? new HttpAnswer(204)
            : new HttpAnswer(404, { detail: `Work pool "${name}" not found.` });
        default:
          return new HttpAnswer(405, { detail: 'Method Not Allowed' });
      }
    }
    return new HttpAnswer(404, { detail: 'Not Found' });
  }

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (res.destroyed || res.writableEnded) return;
    if (body === undefined || status === 204) {
      res.writeHead(status, headers).end();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = req.url ?? '/';
    if (!url.startsWith('/api/') && url !== '/api') {
      send(res, 404, { detail: 'Not Found' });
      return;
    }
    const path = url.slice('/api'.length) || '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path, headers: { ...req.headers }, body: raw });

    if (path === '/health') {
      send(res, 200, true);
      return;
    }
    const failure = failures.shift();
    if (failure) {
      send(res, failure.status, failure.body, failure.headers);
      return;
    }
    if (!authorized(req.headers)) {
      send(res, 401, { detail: 'Invalid authentication credentials' });
      return;
    }
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        send(res, 422, {
          exception_message: 'Invalid request received.',
          exception_detail: [{ msg: 'JSON decode error' }],
        });
        return;
      }
    }
    const answer = route(method, path, body);
    send(res, answer.status, answer.body);
  }

  const server = createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (delayMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          handle(req, res, raw);
        }, delayMs);
        timers.add(timer);
      } else {
        handle(req, res, raw);
      }
    });
  });
  server.on('connection', (socket: Socket) => {
    if (down) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that gave up (timeout) leaves a reset socket behind; that is not the stub's failure.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  stub.url = `http://127.0.0.1:${port}/api`;
  return stub;
}

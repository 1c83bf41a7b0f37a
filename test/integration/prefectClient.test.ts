/**
 * The Prefect client against the in-process Prefect stub: the work pool lifecycle, counts, workers,
 * error reasons, retries, timeouts, auth headers, and the API key staying in the Authorization header.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withDefaults, type ResolvedPool } from '../../controller/api/poolDefaults.js';
import type { WorkPoolSpec } from '../../controller/api/generated/prefectWorkerPool.js';
import {
  PrefectClient,
  type PrefectAuth,
  type PrefectClientOptions,
} from '../../controller/prefect/prefectClient.js';
import {
  PrefectApiError,
  PrefectClientConfigError,
  PrefectConflictError,
  PrefectUnreachableError,
} from '../../controller/prefect/prefectErrors.js';
import type { WorkPoolCreate } from '../../controller/prefect/prefectTypes.js';
import { syncWorkPool } from '../../controller/prefect/workPoolSync.js';
import { startPrefectStub, type PrefectStub } from '../support/prefectStub.js';

const apiKey = 'pnu_TESTKEY_7f3a9c1e5b2d4a6f8e0c';
const authString = 'admin:BASIC_SECRET_93kd';
const basicEncoded = Buffer.from(authString, 'utf8').toString('base64');

let stub: PrefectStub;
/** Every error a client threw in this file, checked for credentials at the end. */
const thrown: unknown[] = [];
/** Every wait the clients asked for; the fake sleep does not wait, so retries cost no time. */
const sleeps: number[] = [];

function client(options: Partial<PrefectClientOptions> = {}, auth: PrefectAuth = { kind: 'bearer', apiKey }) {
  return new PrefectClient({
    apiUrl: stub.url,
    auth,
    timeoutMs: 1_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<PrefectApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  thrown.push(error);
  expect(error).toBeInstanceOf(PrefectApiError);
  return error as PrefectApiError;
}

function pool(workPool: WorkPoolSpec = {}): ResolvedPool {
  return withDefaults({
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name: 'analytics' },
    spec: { prefect: { apiUrl: 'https://prefect.example/api' }, workPool: { type: 'process', ...workPool } },
  });
}

const analytics: WorkPoolCreate = { name: 'analytics', type: 'process', is_paused: false };

/** A raw request to the stub, for its own contract. */
async function raw(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stub.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

beforeAll(async () => {
  stub = await startPrefectStub();
});

afterAll(async () => {
  await stub?.close();
});

// Requests of every test, collected before reset() clears them, for the final credential check.
const allRequests: PrefectStub['requests'] = [];
beforeEach(() => {
  allRequests.push(...stub.requests);
  stub.reset();
  stub.requireAuth({ bearer: apiKey });
  sleeps.length = 0;
});

describe('work pools', () => {
  it('creates a pool and reads it back', async () => {
    const prefect = client();
    const created = await prefect.createWorkPool({ ...analytics, description: 'd', concurrency_limit: 3 });
    expect(created).toMatchObject({
      name: 'analytics',
      type: 'process',
      description: 'd',
      is_paused: false,
      concurrency_limit: 3,
      status: 'NOT_READY',
      base_job_template: {},
    });
    expect(await prefect.readWorkPool('analytics')).toEqual(created);
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /work_pools/',
      'GET /work_pools/analytics',
    ]);
  });

  it('answers undefined for a pool that does not exist', async () => {
    expect(await client().readWorkPool('nope')).toBeUndefined();
  });

  it('patches an existing pool instead of recreating it', async () => {
    const prefect = client();
    expect(await syncWorkPool(prefect, pool({ concurrencyLimit: 2 }))).toMatchObject({ outcome: 'created' });
    const { id } = stub.workPools.get('analytics') ?? {};

    expect(await syncWorkPool(prefect, pool({ paused: true }))).toEqual({
      outcome: 'updated',
      changed: ['concurrency_limit', 'is_paused'],
      notes: [],
    });
    const live = await prefect.readWorkPool('analytics');
    expect(live).toMatchObject({ id, is_paused: true, concurrency_limit: null, status: 'PAUSED' });
    expect(stub.requests.filter((r) => r.method === 'POST' && r.path === '/work_pools/')).toHaveLength(1);
    expect(JSON.parse(stub.requests.find((r) => r.method === 'PATCH')?.body ?? '')).toEqual({
      is_paused: true,
      concurrency_limit: null,
    });

    stub.requests.length = 0;
    expect(await syncWorkPool(prefect, pool({ paused: true }))).toEqual({ outcome: 'unchanged', notes: [] });
    expect(stub.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('deletes a pool, and says so only the first time', async () => {
    const prefect = client();
    await prefect.createWorkPool(analytics);
    expect(await prefect.deleteWorkPool('analytics')).toBe(true);
    expect(await prefect.deleteWorkPool('analytics')).toBe(false);
    expect(stub.workPools.size).toBe(0);
  });

  it('encodes pool names in paths and joins URLs with or without a trailing slash', async () => {
    const name = 'data team #1?x=y';
    await client().createWorkPool({ name, type: 'process' });
    expect(await client({ apiUrl: `${stub.url}/` }).readWorkPool(name)).toMatchObject({ name });
    expect(stub.requests.map((r) => r.path)).toEqual([
      '/work_pools/',
      '/work_pools/data%20team%20%231%3Fx%3Dy',
    ]);
  });

  it.each(['', '.', '..'])('refuses the name %j, which would not stay one path segment', async (name) => {
    await expect(client().readWorkPool(name)).rejects.toBeInstanceOf(PrefectClientConfigError);
    await expect(client().deleteWorkPool(name)).rejects.toBeInstanceOf(PrefectClientConfigError);
    expect(stub.requests).toEqual([]);
  });

  it('sends only the keys Prefect knows', async () => {
    const body = { ...analytics, storage: 's3', name_prefix: 'x' } as unknown as WorkPoolCreate;
    await client().createWorkPool(body);
    expect(JSON.parse(stub.requests[0]?.body ?? '')).toEqual({
      name: 'analytics',
      type: 'process',
      is_paused: false,
    });
    await client().updateWorkPool('analytics', { is_paused: true, name: 'other' } as never);
    expect(JSON.parse(stub.requests[1]?.body ?? '')).toEqual({ is_paused: true });
  });

  it('raises a PrefectConflictError when the name is taken', async () => {
    await client().createWorkPool(analytics);
    const error = await failure(client().createWorkPool(analytics));
    expect(error).toBeInstanceOf(PrefectConflictError);
    expect(error).toMatchObject({ reason: 'Conflict', status: 409, method: 'POST', path: '/work_pools/' });
    expect(error.message).toContain('A work pool with this name already exists.');
  });

  it.each<[string, () => Promise<unknown>, string]>([
    [
      'a negative concurrency limit',
      () => client().createWorkPool({ ...analytics, concurrency_limit: -1 }),
      'greater_than_equal',
    ],
    [
      'a template without variables',
      () => client().createWorkPool({ ...analytics, base_job_template: { job_configuration: { a: 1 } } }),
      'job_configuration',
    ],
    ['an empty name', () => client().createWorkPool({ ...analytics, name: ' ' }), 'name'],
  ])('answers 422 Unprocessable for %s', async (_label, call, detail) => {
    const error = await failure(call());
    expect(error).toMatchObject({ reason: 'Unprocessable', status: 422 });
    expect(error.message).toContain(detail);
    expect(stub.requests).toHaveLength(1);
  });

  it('answers 403 Forbidden for names Prefect reserves', async () => {
    const error = await failure(client().createWorkPool({ ...analytics, name: 'Prefect-managed' }));
    expect(error).toMatchObject({ reason: 'Forbidden', status: 403 });
  });
});

describe('the stub validates like Prefect', () => {
  it.each<[string, string, string, unknown]>([
    ['an unknown key on create', 'POST', '/work_pools/', { name: 'a', type: 'process', colour: 'blue' }],
    ['a create without a type', 'POST', '/work_pools/', { name: 'a' }],
    ['a create without a name', 'POST', '/work_pools/', { type: 'process' }],
    ['a rename', 'PATCH', '/work_pools/analytics', { name: 'b' }],
    ['a type change', 'PATCH', '/work_pools/analytics', { type: 'ecs' }],
    [
      'a count filter it does not understand',
      'POST',
      '/flow_runs/count',
      { flows: { name: { any_: ['f'] } } },
    ],
    [
      'an unknown state type',
      'POST',
      '/flow_runs/count',
      { flow_runs: { state: { type: { any_: ['LATE'] } } } },
    ],
    ['a worker page above the API limit', 'POST', '/work_pools/analytics/workers/filter', { limit: 201 }],
  ])('answers 422 to %s', async (_label, method, path, body) => {
    await client().createWorkPool(analytics);
    stub.requireAuth(undefined);
    const response = await raw(method, path, body);
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ exception_message: 'Invalid request received.' });
  });

  it('answers /health without credentials', async () => {
    const response = await raw('GET', '/health');
    expect(response).toEqual({ status: 200, body: true });
  });
});

describe('errors and retries', () => {
  it('raises Unauthorized for a wrong key and does not retry it', async () => {
    const error = await failure(
      client({}, { kind: 'bearer', apiKey: 'pnu_wrong' }).readWorkPool('analytics'),
    );
    expect(error).toMatchObject({ reason: 'Unauthorized', status: 401, attempts: 1 });
    expect(stub.requests).toHaveLength(1);
  });

  it('retries 503 and succeeds', async () => {
    stub.failNext(2, 503);
    await client().createWorkPool(analytics);
    expect(stub.requests).toHaveLength(3);
    // Full jitter with random 0.5: half of 250, then half of 500.
    expect(sleeps).toEqual([125, 250]);
    expect(stub.workPools.has('analytics')).toBe(true);
  });

  it('gives up after maxAttempts with ServerError', async () => {
    stub.failNext(5, 500, { detail: 'database is locked' });
    const error = await failure(client({ maxAttempts: 3 }).readWorkPool('analytics'));
    expect(error).toMatchObject({ reason: 'ServerError', status: 500, attempts: 3 });
    expect(error.message).toContain('database is locked');
    expect(stub.requests).toHaveLength(3);
  });

  it('waits as long as Retry-After asks on 429, up to the cap', async () => {
    stub.failNext(1, 429, { detail: 'slow down' }, { 'retry-after': '2' });
    stub.failNext(1, 429, { detail: 'slow down' }, { 'retry-after': '60' });
    expect(await client({ retryCapMs: 10_000 }).countRunning('analytics')).toBe(0);
    expect(sleeps).toEqual([2_000, 10_000]);
    expect(stub.requests).toHaveLength(3);
  });

  it('raises RateLimited when 429 outlasts the attempts', async () => {
    stub.failNext(3, 429, { detail: 'slow down' }, { 'retry-after': '1' });
    const error = await failure(client().countRunning('analytics'));
    expect(error).toMatchObject({ reason: 'RateLimited', status: 429, attempts: 3 });
  });

  it('raises Unreachable after timing out on every attempt', async () => {
    // The stub answers after 5 s: an answer at all would mean the 40 ms timeout did not fire.
    stub.setDelay(5_000);
    const error = await failure(client({ timeoutMs: 40, maxAttempts: 2 }).readWorkPool('analytics'));
    expect(error).toBeInstanceOf(PrefectUnreachableError);
    expect(error).toMatchObject({ reason: 'Unreachable', status: undefined, timedOut: true, attempts: 2 });
    expect(error.message).toBe('Prefect API GET /work_pools/analytics timed out after 40 ms (2 attempts)');
  });

  it('raises Unreachable when the server drops every connection', async () => {
    stub.setDown(true);
    const error = await failure(client().countBacklog('analytics', new Date()));
    expect(error).toBeInstanceOf(PrefectUnreachableError);
    expect(error).toMatchObject({ reason: 'Unreachable', timedOut: false, attempts: 3 });
    expect(error.cause).toBeDefined();
    expect(sleeps).toHaveLength(2);
  });

  it('raises Unreachable when nothing listens', async () => {
    const closed = await startPrefectStub();
    const url = closed.url;
    await closed.close();
    const error = await failure(client({ apiUrl: url, maxAttempts: 1 }).readWorkPool('analytics'));
    expect(error).toMatchObject({ reason: 'Unreachable', timedOut: false, attempts: 1 });
  });

  it('truncates long response bodies in messages', async () => {
    stub.failNext(1, 400, { detail: 'x'.repeat(5_000) });
    const error = await failure(client().readWorkPool('analytics'));
    expect(error).toMatchObject({ reason: 'BadRequest' });
    expect(error.message.length).toBeLessThan(700);
    expect(error.responseBody?.endsWith('…')).toBe(true);
  });

  it('masks a credential a server echoes back', async () => {
    stub.failNext(1, 400, { detail: `bad token ${apiKey}` });
    const error = await failure(client().readWorkPool('analytics'));
    expect(error.message).toContain('bad token ***');
  });

  it('refuses an API URL with credentials in it, without repeating them', () => {
    const error = (() => {
      try {
        client({ apiUrl: 'https://user:hunter2@prefect.example/api' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PrefectClientConfigError);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('counts and workers', () => {
  it('counts the backlog as scheduled, late and pending runs that are due', async () => {
    stub.setBacklog('analytics', 4, 3); // 4 due (late ones included), 3 an hour ahead
    stub.setFlowRuns('analytics', 'PENDING', 2);
    stub.setRunning('analytics', 9);
    stub.setBacklog('other', 50);
    const now = new Date('2030-01-01T12:00:00.000Z');
    expect(await client().countBacklog('analytics', new Date())).toBe(6);
    await client().countBacklog('analytics', now);
    expect(JSON.parse(stub.requests[1]?.body ?? '')).toEqual({
      work_pools: { name: { any_: ['analytics'] } },
      flow_runs: {
        operator: 'and_',
        state: { type: { any_: ['SCHEDULED', 'PENDING'] } },
        expected_start_time: { before_: '2030-01-01T12:00:00.000Z' },
      },
    });
  });

  it('counts running and cancelling runs as running', async () => {
    stub.setRunning('analytics', 3);
    stub.setFlowRuns('analytics', 'CANCELLING', 1);
    stub.setBacklog('analytics', 7);
    expect(await client().countRunning('analytics')).toBe(4);
    expect(await client().countFlowRuns('analytics', ['RUNNING'])).toBe(3);
    expect(await client().countFlowRuns('analytics', [])).toBe(0);
  });

  it('lists the workers of a pool', async () => {
    await client().createWorkPool(analytics);
    stub.setWorkers('analytics', [
      { name: 'worker-a', last_heartbeat_time: '2030-01-01T11:59:50Z', status: 'ONLINE' },
      { name: 'worker-b', last_heartbeat_time: '2030-01-01T11:50:00Z', status: 'OFFLINE' },
    ]);
    const workers = await client().listWorkers('analytics');
    expect(workers).toMatchObject([
      {
        name: 'worker-a',
        status: 'ONLINE',
        last_heartbeat_time: '2030-01-01T11:59:50Z',
        heartbeat_interval_seconds: 30,
      },
      { name: 'worker-b', status: 'OFFLINE' },
    ]);
    expect(JSON.parse(stub.requests.at(-1)?.body ?? '')).toEqual({ limit: 200, offset: 0 });
    expect(await client().readWorkPool('analytics')).toMatchObject({ status: 'READY' });
  });

  it('pages through many workers', async () => {
    await client().createWorkPool(analytics);
    stub.setWorkers(
      'analytics',
      Array.from({ length: 450 }, (_, i) => ({
        name: `w${i}`,
        last_heartbeat_time: null,
        status: 'OFFLINE' as const,
      })),
    );
    expect(await client().listWorkers('analytics')).toHaveLength(450);
    expect(stub.requests.filter((r) => r.path.endsWith('/workers/filter'))).toHaveLength(3);
  });

  it('raises NotFound for the workers of a missing pool', async () => {
    const error = await failure(client().listWorkers('nope'));
    expect(error).toMatchObject({ reason: 'NotFound', status: 404, path: '/work_pools/nope/workers/filter' });
  });
});

describe('credentials', () => {
  it('sends the API key as a bearer token', async () => {
    await client().readWorkPool('analytics');
    expect(stub.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it('sends the auth string base64-encoded for basic auth', async () => {
    stub.requireAuth({ basic: authString });
    await client({}, { kind: 'basic', authString }).createWorkPool(analytics);
    expect(stub.requests[0]?.headers.authorization).toBe(`Basic ${basicEncoded}`);
    const error = await failure(
      client({}, { kind: 'basic', authString: 'admin:wrong' }).readWorkPool('analytics'),
    );
    expect(error).toMatchObject({ reason: 'Unauthorized' });
  });

  it('sends no Authorization header without credentials', async () => {
    stub.requireAuth(undefined);
    await client({}, { kind: 'none' }).readWorkPool('analytics');
    expect(stub.requests[0]?.headers).not.toHaveProperty('authorization');
  });

  it('never puts the key anywhere but the Authorization header', () => {
    allRequests.push(...stub.requests);
    expect(allRequests.length).toBeGreaterThan(40);
    const secrets = [apiKey, authString, basicEncoded];
    for (const request of allRequests) {
      const { authorization: _authorization, ...otherHeaders } = request.headers;
      const visible = [request.path, request.body, JSON.stringify(otherHeaders)].join('\n');
      for (const secret of secrets) expect(visible).not.toContain(secret);
    }
    expect(thrown.length).toBeGreaterThanOrEqual(15);
    for (const error of thrown) {
      const e = error as Error;
      const visible = [
        e.message,
        e.stack,
        String(e.cause),
        JSON.stringify(e),
        (e.cause as Error | undefined)?.message,
      ].join('\n');
      for (const secret of secrets) expect(visible).not.toContain(secret);
    }
  });
});

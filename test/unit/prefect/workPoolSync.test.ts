/**
 * Work pool sync: the pool a spec asks for, the plan against the live pool (create, patch only what
 * differs, nothing, or a type mismatch reported), the ecs job template defaults, and the thin apply.
 */
import { describe, expect, it } from 'vitest';
import { withDefaults, type ResolvedPool } from '../../../controller/api/poolDefaults.js';
import type { WorkPoolSpec } from '../../../controller/api/generated/prefectWorkerPool.js';
import { PrefectConflictError } from '../../../controller/prefect/prefectErrors.js';
import type {
  BaseJobTemplate,
  WorkPool,
  WorkPoolCreate,
  WorkPoolUpdate,
} from '../../../controller/prefect/prefectTypes.js';
import {
  deleteWorkPoolIfRequested,
  desiredWorkPool,
  emptyTemplateNote,
  fillEcsJobTemplateDefaults,
  planWorkPoolSync,
  syncWorkPool,
  type EcsJobTemplateDefaults,
  type WorkPoolApi,
} from '../../../controller/prefect/workPoolSync.js';

function pool(workPool: WorkPoolSpec = {}): ResolvedPool {
  return withDefaults({
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name: 'analytics' },
    spec: {
      prefect: { apiUrl: 'https://prefect.example/api' },
      workPool: { type: 'process', ...workPool },
    },
  });
}

function livePool(overrides: Partial<WorkPool> = {}): WorkPool {
  return {
    id: '6f0c2d1e-0000-4000-8000-000000000001',
    name: 'analytics',
    type: 'process',
    description: null,
    is_paused: false,
    concurrency_limit: null,
    base_job_template: {},
    status: 'NOT_READY',
    ...overrides,
  };
}

const defaults: EcsJobTemplateDefaults = {
  cluster: 'prefect-workers',
  vpcId: 'vpc-0abc1234',
  subnets: ['subnet-0aaa1111', 'subnet-0bbb2222'],
  securityGroupId: 'sg-0123abcd',
  executionRoleArn: 'arn:aws:iam::123456789012:role/prefect-execution',
  taskRoleArn: 'arn:aws:iam::123456789012:role/prefect-flow-run',
  logGroupName: '/prefect-ecs-operator/dev/flow-runs',
  region: 'eu-west-1',
};

const nullableString = (title: string) => ({
  title,
  anyOf: [{ type: 'string' }, { type: 'null' }],
  default: null,
});

/**
 * The shape of the prefect-aws ECS worker's default template as Prefect 3 (pydantic 2) renders it:
 * optional variables default to null, dict variables carry no default. Trimmed to the variables the
 * controller touches plus two it does not.
 */
function ecsTemplate(): BaseJobTemplate {
  return {
    job_configuration: {
      cluster: '{{ cluster }}',
      vpc_id: '{{ vpc_id }}',
      network_configuration: '{{ network_configuration }}',
      execution_role_arn: '{{ execution_role_arn }}',
      configure_cloudwatch_logs: '{{ configure_cloudwatch_logs }}',
      cloudwatch_logs_options: '{{ cloudwatch_logs_options }}',
      task_run_request: {
        launchType: '{{ launch_type }}',
        overrides: { taskRoleArn: '{{ task_role_arn }}' },
      },
      task_definition: { containerDefinitions: [{ image: '{{ image }}', name: 'prefect' }] },
    },
    variables: {
      type: 'object',
      properties: {
        cluster: nullableString('Cluster'),
        vpc_id: nullableString('VPC ID'),
        network_configuration: { title: 'Network Configuration', type: 'object' },
        execution_role_arn: nullableString('Execution Role ARN'),
        task_role_arn: nullableString('Task Role ARN'),
        configure_cloudwatch_logs: {
          title: 'Configure Cloudwatch Logs',
          anyOf: [{ type: 'boolean' }, { type: 'null' }],
          default: null,
        },
        cloudwatch_logs_options: {
          title: 'Cloudwatch Logs Options',
          type: 'object',
          additionalProperties: { type: 'string' },
        },
        launch_type: {
          title: 'Launch Type',
          enum: ['FARGATE', 'EC2', 'EXTERNAL', 'FARGATE_SPOT'],
          default: 'FARGATE',
        },
        image: nullableString('Image'),
      },
    },
  };
}

function withDefault(template: BaseJobTemplate, field: string, value: unknown): BaseJobTemplate {
  const copy = structuredClone(template);
  const properties = copy.variables?.properties ?? {};
  properties[field] = { ...properties[field], default: value };
  return copy;
}

function defaultsOf(template: BaseJobTemplate): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template.variables?.properties ?? {}).map(([name, property]) => [name, property.default]),
  );
}

describe('desiredWorkPool', () => {
  it('takes name, type and paused from the spec and sends nothing unset', () => {
    expect(desiredWorkPool(pool())).toEqual({ name: 'analytics', type: 'process', is_paused: false });
  });

  it('carries description, pause and concurrency limit when the spec sets them', () => {
    const desired = desiredWorkPool(
      pool({ name: 'etl', type: 'ecs', description: 'nightly ETL', paused: true, concurrencyLimit: 0 }),
    );
    expect(desired).toEqual({
      name: 'etl',
      type: 'ecs',
      description: 'nightly ETL',
      is_paused: true,
      concurrency_limit: 0,
    });
  });
});

describe('planWorkPoolSync', () => {
  it('creates a missing pool with exactly the desired body', () => {
    const desired = desiredWorkPool(pool({ concurrencyLimit: 5 }));
    expect(planWorkPoolSync(desired, undefined)).toEqual({ action: 'create', body: desired, notes: [] });
  });

  it('creates an ecs pool without a template and says the worker will provide one', () => {
    const plan = planWorkPoolSync(desiredWorkPool(pool({ type: 'ecs' })), undefined, defaults);
    expect(plan.action).toBe('create');
    if (plan.action !== 'create') return;
    expect(plan.body).not.toHaveProperty('base_job_template');
    expect(plan.notes).toEqual([emptyTemplateNote]);
  });

  it('does nothing when the live pool already matches', () => {
    const desired = desiredWorkPool(pool({ description: 'd', concurrencyLimit: 3 }));
    const live = livePool({ description: 'd', concurrency_limit: 3 });
    expect(planWorkPoolSync(desired, live)).toEqual({ action: 'none', notes: [] });
  });

  it.each<[string, WorkPoolSpec, Partial<WorkPool>, WorkPoolUpdate]>([
    ['pause', { paused: true }, {}, { is_paused: true }],
    ['unpause', { paused: false }, { is_paused: true }, { is_paused: false }],
    ['set a concurrency limit', { concurrencyLimit: 4 }, {}, { concurrency_limit: 4 }],
    [
      'change a concurrency limit',
      { concurrencyLimit: 4 },
      { concurrency_limit: 9 },
      { concurrency_limit: 4 },
    ],
    ['clear a concurrency limit the spec dropped', {}, { concurrency_limit: 9 }, { concurrency_limit: null }],
    ['change the description', { description: 'new' }, { description: 'old' }, { description: 'new' }],
    ['set the description', { description: 'new' }, {}, { description: 'new' }],
    [
      'change only what differs',
      { paused: true, description: 'same', concurrencyLimit: 2 },
      { description: 'same', concurrency_limit: 1 },
      { is_paused: true, concurrency_limit: 2 },
    ],
  ])('patches to %s', (_label, spec, live, patch) => {
    expect(planWorkPoolSync(desiredWorkPool(pool(spec)), livePool(live))).toEqual({
      action: 'update',
      patch,
      notes: [],
    });
  });

  it('leaves a description set in Prefect alone when the spec has none', () => {
    expect(planWorkPoolSync(desiredWorkPool(pool()), livePool({ description: 'from the UI' }))).toEqual({
      action: 'none',
      notes: [],
    });
  });

  it('reports a live pool of another type instead of changing or recreating it', () => {
    const plan = planWorkPoolSync(
      desiredWorkPool(pool({ type: 'ecs' })),
      livePool({ type: 'process' }),
      defaults,
    );
    expect(plan.action).toBe('typeMismatch');
    if (plan.action !== 'typeMismatch') return;
    expect(plan.message).toContain('"process"');
    expect(plan.message).toContain('"ecs"');
  });

  it('fills the ecs template defaults as a patch of the whole template', () => {
    const live = livePool({ type: 'ecs', base_job_template: ecsTemplate() });
    const plan = planWorkPoolSync(desiredWorkPool(pool({ type: 'ecs' })), live, defaults);
    expect(plan).toEqual({
      action: 'update',
      patch: { base_job_template: fillEcsJobTemplateDefaults(ecsTemplate(), defaults) },
      notes: [],
    });
  });

  it('is idempotent: once the defaults are in, there is nothing to do', () => {
    const filled = fillEcsJobTemplateDefaults(ecsTemplate(), defaults);
    const live = livePool({ type: 'ecs', base_job_template: filled });
    expect(planWorkPoolSync(desiredWorkPool(pool({ type: 'ecs' })), live, defaults)).toEqual({
      action: 'none',
      notes: [],
    });
  });

  it('leaves an ecs pool with an empty template alone and says why', () => {
    const live = livePool({ type: 'ecs', base_job_template: {} });
    expect(planWorkPoolSync(desiredWorkPool(pool({ type: 'ecs' })), live, defaults)).toEqual({
      action: 'none',
      notes: [emptyTemplateNote],
    });
  });

  it('never touches the template of a process pool', () => {
    const live = livePool({ type: 'process', base_job_template: ecsTemplate() });
    expect(planWorkPoolSync(desiredWorkPool(pool()), live, defaults)).toEqual({ action: 'none', notes: [] });
  });

  it('never touches the template when the controller has no defaults to give', () => {
    const live = livePool({ type: 'ecs', base_job_template: ecsTemplate() });
    expect(planWorkPoolSync(desiredWorkPool(pool({ type: 'ecs' })), live)).toEqual({
      action: 'none',
      notes: [],
    });
  });
});

describe('fillEcsJobTemplateDefaults', () => {
  it('sets the defaults the controller knows and leaves the rest', () => {
    expect(defaultsOf(fillEcsJobTemplateDefaults(ecsTemplate(), defaults))).toEqual({
      cluster: 'prefect-workers',
      vpc_id: 'vpc-0abc1234',
      network_configuration: {
        subnets: ['subnet-0aaa1111', 'subnet-0bbb2222'],
        securityGroups: ['sg-0123abcd'],
        assignPublicIp: 'DISABLED',
      },
      execution_role_arn: 'arn:aws:iam::123456789012:role/prefect-execution',
      task_role_arn: 'arn:aws:iam::123456789012:role/prefect-flow-run',
      configure_cloudwatch_logs: true,
      cloudwatch_logs_options: {
        'awslogs-group': '/prefect-ecs-operator/dev/flow-runs',
        'awslogs-region': 'eu-west-1',
        'awslogs-create-group': 'false',
      },
      launch_type: 'FARGATE',
      image: null,
    });
  });

  it('keeps the rest of each variable schema and the job configuration as they were', () => {
    const filled = fillEcsJobTemplateDefaults(ecsTemplate(), defaults);
    expect(filled.job_configuration).toEqual(ecsTemplate().job_configuration);
    expect(filled.variables?.properties?.cluster).toEqual({
      ...nullableString('Cluster'),
      default: 'prefect-workers',
    });
  });

  it('does not change the template it was given', () => {
    const template = ecsTemplate();
    fillEcsJobTemplateDefaults(template, defaults);
    expect(template).toEqual(ecsTemplate());
  });

  it.each<[string, string, unknown]>([
    ['cluster', 'cluster', 'someone-elses-cluster'],
    ['execution role', 'execution_role_arn', 'arn:aws:iam::123456789012:role/custom-exec'],
    ['task role', 'task_role_arn', 'arn:aws:iam::123456789012:role/custom-task'],
    [
      'network configuration',
      'network_configuration',
      { subnets: ['subnet-0fff9999'], assignPublicIp: 'ENABLED' },
    ],
    ['log options', 'cloudwatch_logs_options', { 'awslogs-group': 'mine' }],
  ])('never overwrites a %s default someone set', (_label, field, value) => {
    const filled = fillEcsJobTemplateDefaults(withDefault(ecsTemplate(), field, value), defaults);
    expect(defaultsOf(filled)[field]).toEqual(value);
  });

  it('treats null, empty strings and empty objects as unset', () => {
    let template = withDefault(ecsTemplate(), 'cluster', '');
    template = withDefault(template, 'network_configuration', {});
    const filled = defaultsOf(fillEcsJobTemplateDefaults(template, defaults));
    expect(filled.cluster).toBe('prefect-workers');
    expect(filled.network_configuration).toMatchObject({ securityGroups: ['sg-0123abcd'] });
  });

  it('does not give subnets of its VPC to a template that names another VPC', () => {
    const filled = defaultsOf(
      fillEcsJobTemplateDefaults(withDefault(ecsTemplate(), 'vpc_id', 'vpc-0other'), defaults),
    );
    expect(filled.vpc_id).toBe('vpc-0other');
    expect(filled.network_configuration).toBeUndefined();
  });

  it('respects logging switched off and then adds no log options', () => {
    const filled = defaultsOf(
      fillEcsJobTemplateDefaults(withDefault(ecsTemplate(), 'configure_cloudwatch_logs', false), defaults),
    );
    expect(filled.configure_cloudwatch_logs).toBe(false);
    expect(filled.cloudwatch_logs_options).toBeUndefined();
  });

  it('sets no task role or logging when the controller has none to give', () => {
    const { taskRoleArn: _taskRole, logGroupName: _logGroup, ...withoutOptional } = defaults;
    const filled = defaultsOf(fillEcsJobTemplateDefaults(ecsTemplate(), withoutOptional));
    expect(filled.task_role_arn).toBeNull();
    expect(filled.configure_cloudwatch_logs).toBeNull();
    expect(filled.cloudwatch_logs_options).toBeUndefined();
  });

  it('adds no variable the template does not declare', () => {
    const template = ecsTemplate();
    delete template.variables?.properties?.vpc_id;
    delete template.variables?.properties?.task_role_arn;
    const filled = fillEcsJobTemplateDefaults(template, defaults);
    expect(Object.keys(filled.variables?.properties ?? {})).not.toContain('vpc_id');
    expect(Object.keys(filled.variables?.properties ?? {})).not.toContain('task_role_arn');
    // Without the controller's VPC in effect, its subnets are not given either.
    expect(defaultsOf(filled).network_configuration).toBeUndefined();
  });

  it('returns an empty template unchanged', () => {
    expect(fillEcsJobTemplateDefaults({}, defaults)).toEqual({});
  });
});

/** An in-memory work pool API that records its calls. */
function fakeApi(initial: WorkPool[] = []) {
  const pools = new Map(initial.map((p) => [p.name, p]));
  const calls: string[] = [];
  let conflictOnce = false;
  const api: WorkPoolApi = {
    async readWorkPool(name) {
      calls.push(`read ${name}`);
      return pools.get(name);
    },
    async createWorkPool(body: WorkPoolCreate) {
      calls.push(`create ${body.name}`);
      if (conflictOnce) {
        conflictOnce = false;
        // Someone else (a starting worker) created it between our read and our create.
        pools.set(body.name, livePool({ name: body.name, type: body.type }));
        throw new PrefectConflictError({ method: 'POST', path: '/work_pools/', status: 409 });
      }
      const created = livePool({
        ...body,
        description: body.description ?? null,
        concurrency_limit: body.concurrency_limit ?? null,
      });
      pools.set(body.name, created);
      return created;
    },
    async updateWorkPool(name, patch) {
      calls.push(`update ${name} ${Object.keys(patch).sort().join(',')}`);
      const live = pools.get(name);
      if (live) pools.set(name, { ...live, ...patch } as WorkPool);
    },
    async deleteWorkPool(name) {
      calls.push(`delete ${name}`);
      return pools.delete(name);
    },
  };
  return {
    api,
    pools,
    calls,
    conflictOnNextCreate: () => {
      conflictOnce = true;
    },
  };
}

describe('syncWorkPool', () => {
  it('creates a missing pool', async () => {
    const fake = fakeApi();
    const result = await syncWorkPool(fake.api, pool({ concurrencyLimit: 2 }));
    expect(result.outcome).toBe('created');
    expect(fake.pools.get('analytics')).toMatchObject({
      type: 'process',
      concurrency_limit: 2,
      is_paused: false,
    });
  });

  it('patches only what differs, then makes no call the second time but the read', async () => {
    const fake = fakeApi([livePool({ concurrency_limit: 7 })]);
    expect(await syncWorkPool(fake.api, pool({ paused: true }))).toEqual({
      outcome: 'updated',
      changed: ['concurrency_limit', 'is_paused'],
      notes: [],
    });
    fake.calls.length = 0;
    expect(await syncWorkPool(fake.api, pool({ paused: true }))).toEqual({ outcome: 'unchanged', notes: [] });
    expect(fake.calls).toEqual(['read analytics']);
  });

  it('continues as an update when the create loses a race', async () => {
    const fake = fakeApi();
    fake.conflictOnNextCreate();
    const result = await syncWorkPool(fake.api, pool({ paused: true }));
    expect(result).toEqual({ outcome: 'updated', changed: ['is_paused'], notes: [] });
    expect(fake.calls).toEqual([
      'read analytics',
      'create analytics',
      'read analytics',
      'update analytics is_paused',
    ]);
  });

  it('reports a type mismatch and changes nothing', async () => {
    const fake = fakeApi([livePool({ type: 'kubernetes' })]);
    const result = await syncWorkPool(fake.api, pool({ type: 'ecs' }), defaults);
    expect(result).toMatchObject({ outcome: 'typeMismatch', reason: 'WorkPoolTypeMismatch' });
    expect(fake.calls).toEqual(['read analytics']);
  });

  it('only reads an unmanaged pool, and says when it is missing', async () => {
    const fake = fakeApi();
    expect(await syncWorkPool(fake.api, pool({ manage: false, paused: true }))).toMatchObject({
      outcome: 'missing',
      reason: 'WorkPoolNotFound',
    });
    fake.pools.set('analytics', livePool());
    expect(await syncWorkPool(fake.api, pool({ manage: false, paused: true }))).toEqual({
      outcome: 'unmanaged',
      notes: [],
    });
    expect(fake.calls).toEqual(['read analytics', 'read analytics']);
  });
});

describe('deleteWorkPoolIfRequested', () => {
  it('deletes a managed pool whose spec asks for it', async () => {
    const fake = fakeApi([livePool()]);
    expect(await deleteWorkPoolIfRequested(fake.api, pool({ deleteOnPoolDeletion: true }))).toEqual({
      outcome: 'deleted',
    });
    expect(fake.pools.size).toBe(0);
  });

  it('is satisfied when the pool is gone already', async () => {
    const fake = fakeApi();
    expect(await deleteWorkPoolIfRequested(fake.api, pool({ deleteOnPoolDeletion: true }))).toEqual({
      outcome: 'absent',
    });
  });

  it.each<[string, WorkPoolSpec, Partial<WorkPool>]>([
    ['the spec does not ask for it', {}, {}],
    ['the controller does not manage the pool', { manage: false, deleteOnPoolDeletion: true }, {}],
    ['the pool has another type', { deleteOnPoolDeletion: true }, { type: 'docker' }],
  ])('keeps the pool when %s', async (_label, spec, live) => {
    const fake = fakeApi([livePool(live)]);
    expect(await deleteWorkPoolIfRequested(fake.api, pool(spec))).toMatchObject({ outcome: 'kept' });
    expect(fake.pools.size).toBe(1);
    expect(fake.calls.filter((call) => call.startsWith('delete'))).toEqual([]);
  });
});

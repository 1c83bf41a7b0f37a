/**
 * The contracts between the schemas and the code built from them: generated types are current, the
 * schema's documented defaults are the ones applied, the Fargate table is DESIGN §6.1's, and the status
 * schema accepts what the controller writes.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import manifestSchema from '../../../schemas/prefect-worker-pool.v1.json' with { type: 'json' };
import statusSchema from '../../../schemas/prefect-worker-pool-status.v1.json' with { type: 'json' };
import { generatedTargets, renderTypes } from '../../../scripts/generateTypes.js';
import type { PrefectWorkerPoolStatus } from '../../../controller/api/generated/prefectWorkerPoolStatus.js';
import type { PrefectWorkerPool } from '../../../controller/api/generated/prefectWorkerPool.js';
import {
  describeFargateMemoryFor,
  fargateCpuSizes,
  isValidFargatePair,
} from '../../../controller/api/fargateSizes.js';
import { defaultImages, withDefaults } from '../../../controller/api/poolDefaults.js';
import { validatePool } from '../../../controller/api/validatePool.js';
import {
  context,
  designFargateMemory,
  expectValid,
  issuesOf,
  minimalManifest,
  setAt,
  type Json,
  type JsonObject,
} from './manifestFixtures.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface SchemaNode {
  readonly default?: Json;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly enum?: readonly Json[];
  readonly minimum?: number;
  readonly maximum?: number;
}

type Segment = string | number;

/** Every `default` annotation with its instance path. Items are visited as element 0; map values are skipped. */
function schemaDefaults(node: SchemaNode, path: readonly Segment[] = []): { path: Segment[]; value: Json }[] {
  const found: { path: Segment[]; value: Json }[] = [];
  if (node.default !== undefined) found.push({ path: [...path], value: node.default });
  for (const [key, child] of Object.entries(node.properties ?? {}))
    found.push(...schemaDefaults(child, [...path, key]));
  if (node.items) found.push(...schemaDefaults(node.items, [...path, 0]));
  // additionalProperties (env, secrets, tags, labels values) is deliberately not walked: a default there
  // would describe every key of a user's map, which withDefaults cannot fill.
  return found;
}

function valueAt(value: unknown, path: readonly Segment[]): unknown {
  return path.reduce<unknown>(
    (node, segment) => (node as Record<Segment, unknown> | undefined)?.[segment],
    value,
  );
}

function schemaAt(path: readonly Segment[]): SchemaNode {
  return path.reduce<SchemaNode>(
    (node, segment) =>
      typeof segment === 'number' ? (node.items as SchemaNode) : (node.properties?.[segment] as SchemaNode),
    manifestSchema as SchemaNode,
  );
}

/** The minimal manifest, with one egress rule when the path reaches inside the egress list. */
function baseFor(path: readonly Segment[]): JsonObject {
  const base = minimalManifest();
  if (path.includes('egress') && path.length > 3)
    setAt(base, ['spec', 'network', 'egress'], [{ port: 443, cidr: '0.0.0.0/0' }]);
  return base;
}

describe('generated types', () => {
  it.each(generatedTargets.map((target) => ({ ...target })))(
    '$output is up to date with $schema',
    async ({ schema, output }) => {
      // act
      const rendered = await renderTypes(schema);
      const onDisk = await readFile(root + output, 'utf8');

      // assess
      expect(onDisk === rendered, `${output} is stale: run \`npm run generate\``).toBe(true);
    },
  );
});

describe('schema defaults', () => {
  const defaults = schemaDefaults(manifestSchema as SchemaNode);

  it('finds the defaults of every section', () => {
    const paths = defaults.map(({ path }) => path.join('.'));

    expect(paths).toEqual(
      expect.arrayContaining([
        'spec.workPool.type',
        'spec.workPool.workQueues',
        'spec.worker.cpu',
        'spec.worker.memory',
        'spec.scaling.maxWorkers',
        'spec.network.egress',
        'spec.network.egress.0.protocol',
        'spec.tags',
      ]),
    );
    expect(defaults.length).toBeGreaterThanOrEqual(20);
  });

  it.each(defaults.map(({ path, value }) => ({ path, value, label: path.join('.') })))(
    'the default of $label is what withDefaults applies',
    ({ path, value }) => {
      // prepare: the same manifest with and without the default spelled out
      const implicit = baseFor(path);
      const explicit = setAt(baseFor(path), path, value);

      // act
      const fromImplicit = withDefaults(implicit as unknown as PrefectWorkerPool);
      const fromExplicit = withDefaults(explicit as unknown as PrefectWorkerPool);

      // assess
      expectValid(validatePool(explicit, context));
      expect(fromImplicit).toEqual(fromExplicit);
      // Where the resolved pool keeps the manifest's shape, the value itself is there too. (Egress rules are
      // resolved to fromPort/toPort, so the list default is only checked through the comparison above.)
      if (path.join('.') !== 'spec.network.egress') expect(valueAt(fromImplicit, path)).toEqual(value);
    },
  );

  it('documents every default withDefaults fills in a section', () => {
    // prepare
    const resolved = withDefaults(minimalManifest() as unknown as PrefectWorkerPool);
    const undocumented: string[] = [];

    // act
    for (const section of ['workPool', 'worker', 'scaling'] as const) {
      for (const key of Object.keys(resolved.spec[section])) {
        const node = schemaAt(['spec', section, key]);
        if (node.default === undefined && !/Default: /.test(node.description ?? '')) {
          undocumented.push(`spec.${section}.${key}`);
        }
      }
    }

    // assess
    expect(undocumented).toEqual([]);
  });

  it('names both default images in the image field description', () => {
    const description = schemaAt(['spec', 'worker', 'image']).description ?? '';

    expect(description).toContain(defaultImages.process);
    expect(description).toContain(defaultImages.ecs);
  });
});

describe('Fargate sizes', () => {
  it('offers exactly the CPU sizes of DESIGN §6.1, which the schema enumerates', () => {
    const designCpus = Object.keys(designFargateMemory).map(Number);

    expect(fargateCpuSizes).toEqual(designCpus);
    expect(schemaAt(['spec', 'worker', 'cpu']).enum).toEqual(designCpus);
  });

  it('bounds memory in the schema by the smallest and largest Fargate sizes', () => {
    const all = Object.values(designFargateMemory).flat();
    const memory = schemaAt(['spec', 'worker', 'memory']);

    expect(memory.minimum).toBe(Math.min(...all));
    expect(memory.maximum).toBe(Math.max(...all));
  });

  it('accepts exactly the pairs of DESIGN §6.1 over every multiple of 512 MiB', () => {
    // prepare
    const disagreements: string[] = [];

    // act
    for (const cpu of [...fargateCpuSizes, 128, 768, 32768]) {
      for (let memory = 0; memory <= 131072; memory += 512) {
        const expected = designFargateMemory[cpu]?.includes(memory) ?? false;
        if (isValidFargatePair(cpu, memory) !== expected) disagreements.push(`${cpu}/${memory}`);
      }
    }

    // assess
    expect(disagreements).toEqual([]);
  });

  it.each([
    { cpu: 256, memory: 511, valid: false },
    { cpu: 256, memory: 2048, valid: true },
    { cpu: 512, memory: 4096, valid: true },
    { cpu: 512, memory: 4097, valid: false },
    { cpu: 1024, memory: 2049, valid: false },
    { cpu: 4096, memory: 30720, valid: true },
    { cpu: 4096, memory: 31744, valid: false },
    { cpu: 8192, memory: 20480, valid: true },
    { cpu: 8192, memory: 17408, valid: false },
    { cpu: 16384, memory: 122880, valid: true },
    { cpu: 16384, memory: 40960, valid: true },
    { cpu: 16384, memory: 36864, valid: false },
  ])('cpu $cpu with memory $memory is valid: $valid', ({ cpu, memory, valid }) => {
    expect(isValidFargatePair(cpu, memory)).toBe(valid);
  });

  it('describes each CPU size as DESIGN §6.1 does', () => {
    expect(fargateCpuSizes.map((cpu) => `${cpu}: ${describeFargateMemoryFor(cpu)}`)).toEqual([
      '256: 512, 1024, 2048',
      '512: 1024 to 4096 in steps of 1024',
      '1024: 2048 to 8192 in steps of 1024',
      '2048: 4096 to 16384 in steps of 1024',
      '4096: 8192 to 30720 in steps of 1024',
      '8192: 16384 to 61440 in steps of 4096',
      '16384: 32768 to 122880 in steps of 8192',
    ]);
  });
});

describe('status schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats.default(ajv);
  const validateStatus = ajv.compile(statusSchema);

  const sample: PrefectWorkerPoolStatus = {
    phase: 'Ready',
    observedGeneration: 3,
    observedSpecHash: 'sha256:0f1e2d',
    conditions: [
      {
        type: 'Valid',
        status: 'True',
        reason: 'SpecValid',
        message: 'the spec is valid',
        lastTransitionTime: '2026-01-01T00:00:00.000Z',
      },
      {
        type: 'Provisioned',
        status: 'True',
        reason: 'ResourcesInSync',
        message: 'security group, task definition and service match the spec',
        lastTransitionTime: '2026-01-01T00:00:05.000Z',
      },
      {
        type: 'Ready',
        status: 'True',
        reason: 'WorkersRunning',
        message: '2 of 2 workers running',
        lastTransitionTime: '2026-01-01T00:01:00Z',
      },
    ],
    workers: { desired: 2, running: 2, pending: 0 },
    scaling: {
      desiredWorkers: 2,
      lastScaleTime: '2026-01-01T00:00:30Z',
      lastScaleReason: 'backlog 9 > 5 per worker',
    },
    backlog: { count: 9, observedAt: '2026-01-01T00:00:29Z' },
    resources: {
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prefect/dev-analytics',
      serviceName: 'dev-analytics',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/dev-analytics:4',
      taskDefinitionHash: 'abc123',
      securityGroupId: 'sg-0123456789abcdef0',
      alarmNames: ['dev-analytics-backlog-scale-out', 'dev-analytics-backlog-scale-in'],
    },
    lastReconcileTime: '2026-01-01T00:01:00.000Z',
    lastError: null,
  };

  it('accepts a complete status', () => {
    const valid = validateStatus(sample);

    expect(validateStatus.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('accepts an Invalid status carrying the validator issues as they are', () => {
    // prepare
    const issues = issuesOf(
      validatePool(setAt(minimalManifest('Bad_Name'), ['spec', 'worker', 'cpu'], 3), context),
    );
    const status: PrefectWorkerPoolStatus = {
      phase: 'Invalid',
      observedGeneration: 1,
      conditions: [
        {
          type: 'Valid',
          status: 'False',
          reason: 'SpecInvalid',
          message: `${issues[0]?.path}: ${issues[0]?.message}`,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
      validationErrors: [...issues],
      workers: { desired: 0, running: 0, pending: 0 },
      resources: {},
      lastReconcileTime: '2026-01-01T00:00:00Z',
      backlog: { count: null },
      lastError: { code: 'SpecInvalid', message: 'x', time: '2026-01-01T00:00:00Z' },
    };

    // act
    const valid = validateStatus(status);

    // assess
    expect(validateStatus.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it.each([
    { change: { phase: 'Running' }, why: 'an unknown phase' },
    { change: { lastReconcileTime: 'yesterday' }, why: 'a time that is not RFC 3339' },
    { change: { workers: { desired: 1, running: -1, pending: 0 } }, why: 'a negative worker count' },
    {
      change: {
        conditions: [
          {
            type: 'Ready',
            status: 'Yes',
            reason: 'Up',
            message: '',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
      why: 'a condition status other than True/False/Unknown',
    },
    {
      change: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'workers_running',
            message: '',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      },
      why: 'a reason that is not PascalCase',
    },
    { change: { extra: 1 }, why: 'an unknown field' },
  ])('rejects a status with $why', ({ change }) => {
    const valid = validateStatus({ ...sample, ...change });

    expect(valid).toBe(false);
  });

  it('rejects a status without its required fields', () => {
    const { workers: _workers, ...withoutWorkers } = sample;

    expect(validateStatus(withoutWorkers)).toBe(false);
    expect(validateStatus.errors?.map((error) => error.params)).toContainEqual({
      missingProperty: 'workers',
    });
  });
});

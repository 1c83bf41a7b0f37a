/**
 * Properties of validatePool over generated input: it never throws, every rejection says where and why,
 * every targeted mutation of a valid manifest is caught at the mutated field, and every manifest from the
 * allowed value space is accepted with defaults that are a fixed point.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import manifestSchema from '../../../schemas/prefect-worker-pool.v1.json' with { type: 'json' };
import type { ResolvedPool } from '../../../controller/api/poolDefaults.js';
import { withDefaults } from '../../../controller/api/poolDefaults.js';
import type { PrefectWorkerPool } from '../../../controller/api/generated/prefectWorkerPool.js';
import { formatPath, isSecretLookingName, validatePool } from '../../../controller/api/validatePool.js';
import type { ValidationResult } from '../../../controller/api/validatePool.js';
import {
  context,
  designFargatePairs,
  ecsWorkerRoleArn,
  minimalManifest,
  secretPrefix,
  workerRoleArn,
  type Json,
  type JsonObject,
} from './manifestFixtures.js';

interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | SchemaNode;
  readonly items?: SchemaNode;
  readonly enum?: readonly Json[];
  readonly const?: Json;
}

const rootSchema = manifestSchema as SchemaNode;
type Segment = string | number;

function isMap(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every rejection names a place and a reason. */
function assertWellFormed(result: ValidationResult): void {
  if (result.valid) return;
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(typeof issue.path).toBe('string');
    expect(issue.path.length).toBeGreaterThan(0);
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
  }
}

/** Whether `path` is `prefix` or lies under it in formatPath notation. */
function isAtOrUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

// ---------------------------------------------------------------------------------------------------------
// (a) arbitrary input

/** Anything JSON, or an object shaped like the schema at this node with arbitrary leaves: reaches deeper rules. */
function schemaShaped(node: SchemaNode, depth: number): fc.Arbitrary<Json> {
  const anything = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
  if (depth === 0) return anything;
  if (node.properties) {
    const model = Object.fromEntries(
      Object.entries(node.properties).map(([key, child]) => [key, schemaShaped(child, depth - 1)]),
    );
    return fc.oneof(
      { weight: 1, arbitrary: anything },
      { weight: 3, arbitrary: fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Json> },
    );
  }
  if (node.items) return fc.oneof(anything, fc.array(schemaShaped(node.items, depth - 1), { maxLength: 3 }));
  return anything;
}

// ---------------------------------------------------------------------------------------------------------
// (c) the allowed value space

const envNameVocabulary = [
  'LOG_LEVEL',
  'PYTHONUNBUFFERED',
  'TZ',
  'DATABASE_URL',
  'TOKENIZERS_PARALLELISM',
  'KEYBOARD_LAYOUT',
];
const controllerOwned = new Set([
  'PREFECT_API_URL',
  'PREFECT_API_KEY',
  'PREFECT_API_AUTH_STRING',
  'EXTRA_PIP_PACKAGES',
]);
const plainEnvName = fc
  .oneof(fc.constantFrom(...envNameVocabulary), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/))
  .filter((name) => !isSecretLookingName(name) && !controllerOwned.has(name));
const secretEnvName = fc
  .stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/)
  .filter((name) => !controllerOwned.has(name));
const secretArn = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9/_+=.@-]{1,30}$/),
    fc.constantFrom('', ':password::', ':user:AWSCURRENT:'),
  )
  .map(([name, jsonKey]) => `${secretPrefix}${name}${jsonKey}`);
const octet = fc.integer({ min: 0, max: 255 });
const cidr = fc
  .tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 32 }))
  .map(([a, b, c, d, prefix]) => `${a}.${b}.${c}.${d}/${prefix}`);
const port = fc.integer({ min: 0, max: 65535 });
const ruleDescription = fc.stringMatching(/^[A-Za-z0-9 ._:/()#,@[\]+=&;{}!$*-]{0,40}$/);
const queueName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,20}$/);
const reservedTag = (key: string) =>
  key.toLowerCase().startsWith('prefect-ecs-operator:') || key.toLowerCase().startsWith('aws:');
const dictionary = <T>(key: fc.Arbitrary<string>, value: fc.Arbitrary<T>, maxKeys: number) =>
  fc.dictionary(key, value, { maxKeys, noNullPrototype: true });
const optional = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
  fc.record(model, { requiredKeys: [], noNullPrototype: true });

const egressRule: fc.Arbitrary<JsonObject> = fc.oneof(
  optional({ description: ruleDescription }).chain((rest) =>
    cidr.map((c): JsonObject => ({ protocol: 'all', cidr: c, ...rest })),
  ),
  fc
    .tuple(port, cidr, optional({ protocol: fc.constantFrom('tcp', 'udp'), description: ruleDescription }))
    .map(([p, c, rest]): JsonObject => ({ port: p, cidr: c, ...rest })),
  fc
    .tuple(port, port, cidr, optional({ protocol: fc.constantFrom('tcp', 'udp') }))
    .map(([a, b, c, rest]): JsonObject => ({
      fromPort: Math.min(a, b),
      toPort: Math.max(a, b),
      cidr: c,
      ...rest,
    })),
);

/** Sizes from DESIGN §6.1, sometimes leaving cpu or memory to its default (512 / 1024). */
const workerSize: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.constant({}),
  fc.constantFrom(...designFargatePairs).map(([cpu, memory]) => ({ cpu, memory })),
  fc.constantFrom(256, 512).map((cpu) => ({ cpu })),
  fc.constantFrom(1024, 2048, 3072, 4096).map((memory) => ({ memory })),
);

const workerBounds: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.constant({}),
  fc
    .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 }))
    .map(([a, b]) => ({ minWorkers: Math.min(a, b), maxWorkers: Math.max(a, b) })),
  fc.integer({ min: 0, max: 10 }).map((minWorkers) => ({ minWorkers })),
  fc.integer({ min: 0, max: 1000 }).map((maxWorkers) => ({ maxWorkers })),
);

const scalingTuning = optional({
  backlogPerWorker: fc.integer({ min: 1, max: 10000 }),
  cpuTargetPercent: fc.integer({ min: 10, max: 95 }),
  scaleOutCooldownSeconds: fc.integer({ min: 0, max: 86400 }),
  scaleInCooldownSeconds: fc.integer({ min: 0, max: 86400 }),
});

const scaling: fc.Arbitrary<JsonObject> = fc.oneof(
  fc
    .tuple(workerBounds, scalingTuning, fc.boolean())
    .map(([bounds, tuning, explicit]) => ({ ...(explicit ? { mode: 'auto' } : {}), ...bounds, ...tuning })),
  fc
    .tuple(fc.integer({ min: 0, max: 1000 }), workerBounds, scalingTuning)
    .map(([workers, bounds, tuning]) => ({ mode: 'fixed', workers, ...bounds, ...tuning })),
);

const worker: fc.Arbitrary<JsonObject> = fc
  .tuple(
    workerSize,
    optional({
      image: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,40}$/),
      architecture: fc.constantFrom('ARM64', 'X86_64'),
      ephemeralStorageGiB: fc.integer({ min: 21, max: 200 }),
      limit: fc.integer({ min: 1, max: 1000 }),
      env: dictionary(plainEnvName, fc.string({ maxLength: 30 }), 5),
      secrets: dictionary(secretEnvName, secretArn, 5),
      extraPipPackages: fc.stringMatching(/^[A-Za-z0-9 ._<>=!~[\],-]{0,40}$/),
      taskRoleArn: fc.constantFrom(workerRoleArn, ecsWorkerRoleArn),
      spot: fc.integer({ min: 0, max: 100 }),
    }),
  )
  .map(([size, rest]) => {
    // A name may be set in env or in secrets, not both.
    const secrets = (rest.secrets ?? {}) as Record<string, string>;
    const env =
      rest.env &&
      Object.fromEntries(Object.entries(rest.env).filter(([name]) => !Object.hasOwn(secrets, name)));
    return { ...size, ...rest, ...(env ? { env } : {}) } as JsonObject;
  });

const validManifest: fc.Arbitrary<JsonObject> = fc
  .record(
    {
      name: fc.stringMatching(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/),
      labels: fc.option(
        dictionary(
          fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._/-]{0,20}[A-Za-z0-9])?$/),
          fc.string({ maxLength: 20 }),
          4,
        ),
        { nil: undefined },
      ),
      generation: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
      prefect: fc.oneof(
        fc.webUrl().map((apiUrl) => ({ apiUrl })),
        secretArn.map((arn) => ({
          apiUrl: 'https://api.prefect.cloud/api/accounts/a/workspaces/w',
          apiKeySecretArn: arn,
        })),
        secretArn.map((arn) => ({ apiUrl: 'http://prefect.internal:4200/api', authStringSecretArn: arn })),
      ),
      workPool: optional({
        name: queueName,
        type: fc.constantFrom('process', 'ecs'),
        description: fc.string({ maxLength: 50 }),
        workQueues: fc.uniqueArray(queueName, { minLength: 1, maxLength: 20 }),
        concurrencyLimit: fc.integer({ min: 0, max: 100000 }),
        paused: fc.boolean(),
        manage: fc.boolean(),
        deleteOnPoolDeletion: fc.boolean(),
      }),
      worker,
      scaling,
      network: optional({ egress: fc.array(egressRule, { maxLength: 5 }) }),
      alarms: optional({
        notifyTopicArn: fc
          .stringMatching(/^[A-Za-z0-9_-]{1,40}$/)
          .map((topic) => `arn:aws:sns:us-east-1:123456789012:${topic}`),
      }),
      tags: dictionary(
        fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{1,30}$/).filter((key) => !reservedTag(key)),
        fc.stringMatching(/^[A-Za-z0-9 _.:/=+@-]{0,30}$/),
        5,
      ),
      sections: fc.subarray(['workPool', 'worker', 'scaling', 'network', 'alarms', 'tags'] as const),
    },
    { noNullPrototype: true },
  )
  .map(({ name, labels, generation, prefect, sections, ...optionalSections }) => {
    const spec: JsonObject = { prefect };
    for (const section of sections) spec[section] = optionalSections[section] as Json;
    const metadata: JsonObject = { name };
    if (labels !== undefined) metadata.labels = labels;
    if (generation !== undefined) metadata.generation = generation;
    return { apiVersion: 'prefect-ecs-operator/v1', kind: 'PrefectWorkerPool', metadata, spec };
  });

/** A resolved pool written back as a manifest, every default spelled out. */
function asManifest(pool: ResolvedPool): PrefectWorkerPool {
  const { network, ...spec } = pool.spec;
  return {
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: {
      name: pool.name,
      labels: { ...pool.labels },
      ...(pool.generation !== undefined ? { generation: pool.generation } : {}),
    },
    spec: {
      ...structuredClone(spec),
      worker: { ...spec.worker, cpu: spec.worker.cpu as 512 },
      workPool: { ...spec.workPool, workQueues: [...spec.workPool.workQueues] as [string, ...string[]] },
      network: {
        egress: network.egress.map(({ protocol, fromPort, toPort, cidr: ruleCidr, description }) => ({
          protocol,
          ...(protocol === 'all' ? {} : { fromPort, toPort }),
          cidr: ruleCidr,
          ...(description !== undefined ? { description } : {}),
        })),
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// (b) mutations

type Mutation =
  | { readonly kind: 'wrongType'; readonly path: readonly Segment[]; readonly node: SchemaNode }
  | { readonly kind: 'delete'; readonly path: readonly Segment[] }
  | { readonly kind: 'unknownKey'; readonly path: readonly Segment[]; readonly known: readonly string[] };

/** Every place of `value` a mutation can target, found by walking the schema beside the value. */
function mutationSites(node: SchemaNode, value: Json | undefined, path: readonly Segment[]): Mutation[] {
  const sites: Mutation[] = [];
  if (node.properties && isMap(value)) {
    sites.push({ kind: 'unknownKey', path, known: Object.keys(node.properties) });
    for (const [key, child] of Object.entries(node.properties)) {
      sites.push({ kind: 'wrongType', path: [...path, key], node: child });
      if (Object.hasOwn(value, key)) {
        if (node.required?.includes(key)) sites.push({ kind: 'delete', path: [...path, key] });
        sites.push(...mutationSites(child, value[key], [...path, key]));
      }
    }
  } else if (typeof node.additionalProperties === 'object' && isMap(value)) {
    for (const key of Object.keys(value))
      sites.push({ kind: 'wrongType', path: [...path, key], node: node.additionalProperties });
  } else if (node.items && Array.isArray(value)) {
    value.forEach((item, index) => {
      sites.push({ kind: 'wrongType', path: [...path, index], node: node.items as SchemaNode });
      sites.push(...mutationSites(node.items as SchemaNode, item, [...path, index]));
    });
  }
  return sites;
}

function jsonType(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const candidateValues: readonly Json[] = ['text', 7, 2.5, true, null, [], ['x'], {}, { k: 'v' }];

/** Values whose JSON type the node does not accept (for enums and consts: the types of their values). */
function wrongTypeValues(node: SchemaNode): Json[] {
  const declared =
    node.type === undefined ? [] : typeof node.type === 'string' ? [node.type] : [...node.type];
  const listed = [...(node.enum ?? []), ...(node.const !== undefined ? [node.const] : [])].map(jsonType);
  const allowed = new Set([...declared, ...listed]);
  if (allowed.has('number')) allowed.add('integer');
  return candidateValues.filter((value) => !allowed.has(jsonType(value)));
}

function parentOf(target: JsonObject, path: readonly Segment[]): Record<Segment, Json> {
  return path
    .slice(0, -1)
    .reduce<Json>((node, segment) => (node as Record<Segment, Json>)[segment] as Json, target) as Record<
    Segment,
    Json
  >;
}

const mutatedManifest = validManifest.chain((manifest) => {
  const sites = mutationSites(rootSchema, manifest, []);
  return fc.constantFrom(...sites).chain((site) => {
    switch (site.kind) {
      case 'wrongType':
        return fc.constantFrom(...wrongTypeValues(site.node)).map((value) => {
          const mutated = structuredClone(manifest);
          parentOf(mutated, site.path)[site.path[site.path.length - 1] as Segment] = value;
          return {
            mutated,
            expectedPath: formatPath(site.path),
            description: `${formatPath(site.path)} = ${JSON.stringify(value)}`,
          };
        });
      case 'delete':
        return fc.constant(null).map(() => {
          const mutated = structuredClone(manifest);
          delete parentOf(mutated, site.path)[site.path[site.path.length - 1] as Segment];
          return {
            mutated,
            expectedPath: formatPath(site.path),
            description: `delete ${formatPath(site.path)}`,
          };
        });
      case 'unknownKey':
        return (
          fc
            .oneof(
              fc.string({ minLength: 1, maxLength: 12 }),
              fc.constantFrom('status', 'replicas', 'Name', 'cpu '),
            )
            // pk/sk are the table keys (ignored at the top), __proto__ would set the prototype, not a key.
            .filter(
              (key) =>
                !site.known.includes(key) &&
                key !== '__proto__' &&
                (site.path.length > 0 || (key !== 'pk' && key !== 'sk')),
            )
            .map((key) => {
              const mutated = structuredClone(manifest);
              const target =
                site.path.length === 0 ? mutated : (parentOf(mutated, [...site.path, key]) as JsonObject);
              target[key] = 'surprise';
              const path = formatPath([...site.path, key]);
              return { mutated, expectedPath: path, description: `add ${path}` };
            })
        );
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('validatePool properties', () => {
  it('never throws on arbitrary JSON in place of the item, and explains every rejection', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), schemaShaped(rootSchema, 4)), (item) => {
        const result = validatePool(item, context);

        assertWellFormed(result);
        if (result.valid) expect(result.pool).toEqual(withDefaults(result.manifest));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary JSON in place of the spec, and explains every rejection', () => {
    const specSchema = rootSchema.properties?.spec as SchemaNode;
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), schemaShaped(specSchema, 4)), (spec) => {
        const item = { ...minimalManifest(), spec };

        const result = validatePool(item, context);

        assertWellFormed(result);
        if (result.valid) expect(result.pool).toEqual(withDefaults(result.manifest));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects every mutation of a valid manifest at the mutated field', () => {
    fc.assert(
      fc.property(mutatedManifest, ({ mutated, expectedPath, description }) => {
        const result = validatePool(mutated, context);

        expect(result.valid, description).toBe(false);
        assertWellFormed(result);
        const paths = result.valid ? [] : result.issues.map((issue) => issue.path);
        expect(
          paths.some((path) => isAtOrUnder(path, expectedPath)),
          `${description}: issues at ${paths.join(', ')}`,
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts every manifest from the allowed value space, with defaults that are a fixed point', () => {
    fc.assert(
      fc.property(validManifest, (manifest) => {
        // prepare
        const before = structuredClone(manifest);

        // act
        const result = validatePool(manifest, context);

        // assess
        if (!result.valid)
          expect.fail(`rejected ${JSON.stringify(manifest)}: ${JSON.stringify(result.issues)}`);
        expect(manifest).toEqual(before);
        expect(result.pool).toEqual(withDefaults(result.manifest));
        const again = validatePool(asManifest(result.pool), context);
        if (!again.valid)
          expect.fail(`the resolved pool is not a valid manifest: ${JSON.stringify(again.issues)}`);
        expect(again.pool).toEqual(result.pool);
      }),
      { numRuns: 200 },
    );
  });
});

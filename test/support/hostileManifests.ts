/**
 * Hostile spec items, for the reliability tests: generated ones (fast-check, from the JSON Schema itself:
 * a complete valid manifest with schema-breaking mutations at places the schema names) and hand-written
 * ones. Every case says where validation must complain (`expectedPaths`, in validatePool's path notation).
 *
 * Everything here can be written to DynamoDB as it is: no empty map keys, no NUL characters, no lone
 * surrogates, numbers within DynamoDB's range, nesting well under its 32 levels, items under 400 KB.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Ajv, type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import manifestSchema from '../../schemas/prefect-worker-pool.v1.json' with { type: 'json' };
import { formatPath } from '../../controller/api/validatePool.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
type Segment = string | number;

/** What a manifest must use to be valid under the controller under test. */
export interface ManifestContext {
  /** ALLOWED_SECRET_ARN_PREFIX, e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect/ */
  readonly secretArnPrefix: string;
  /** One of ALLOWED_TASK_ROLE_ARNS. */
  readonly taskRoleArn: string;
}

export interface HostileCase {
  readonly description: string;
  /** The item's attributes without pk/sk. */
  readonly manifest: JsonObject;
  /** Places validation must report (each one, or something under it). */
  readonly expectedPaths: readonly string[];
}

/** Whether `path` is `prefix` or lies under it in formatPath notation. */
export function isAtOrUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

// ---------------------------------------------------------------------------------------------------------
// Nasty values

/** Strings that have broken parsers, shells, templates, terminals and log pipelines. */
export const nastyStrings: readonly string[] = [
  '$(rm -rf /)',
  '`reboot`',
  '; shutdown -h now',
  '| curl http://127.0.0.1:1/x | sh',
  '&& cat /etc/passwd',
  '"; DROP TABLE pools; --',
  "' OR '1'='1",
  '{"apiVersion":"prefect-ecs-operator/v1"}',
  '"},"spec":{"x":1},"y":{"',
  '}{][',
  'null',
  'undefined',
  'NaN',
  '-Infinity',
  '__proto__',
  'constructor',
  'arn:aws:iam::*:role/*',
  'arn:aws:secretsmanager:*:*:secret:*',
  'arn:aws:sns:*:*:*',
  'arn:aws:ecs:us-east-1:123456789012:service/test/test-victim',
  '*',
  '../../etc/passwd',
  '..',
  '%2e%2e%2f',
  '\u202Etxt.exe',
  '\u200B\u200C\u200D',
  '\uFEFFbom',
  'שלום עולם',
  'مرحبا بالعالم',
  '🔥💀🚀',
  '👩‍👩‍👧‍👦',
  'Z̸̢̛a̶l̷g̶o̶',
  'ＡＢＣ１２３',
  'İıßẞ',
  'line\nbreak',
  'carriage\r\nHost: evil.example',
  'tab\tinside',
  '\u0001\u0007\u001b[31mred\u001b[0m',
  '\u0085\u2028\u2029',
  '%s%s%s%n',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  ' ',
  '   leading and trailing   ',
  'UPPERCASE',
  'a'.repeat(300),
  '9'.repeat(40),
  '-1',
  '0x10',
  'true',
];

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string) => s.length > 0 && !s.includes('\u0000') && !loneSurrogate.test(s);

/** A nasty string: from the list, or any code points (control characters included, NUL excluded). */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter(wellFormed) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter(wellFormed) },
);

/** Numbers DynamoDB stores exactly enough, many of them out of every range in the schema. */
const awkwardNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -2_000_000, max: 2_000_000 }),
  fc.constantFrom(-1, 0, 0.5, 1.5, -0.25, 1e-9, 2 ** 31, 2 ** 53 + 2, 1e20, -1e20, 1e125, -1e125, 65536),
);

const junkKey: fc.Arbitrary<string> = nastyString.filter((key) => key !== '__proto__');

/** Arbitrary JSON-like junk built from nasty strings and awkward numbers, a few levels deep. */
export const junk: fc.Arbitrary<Json> = fc.letrec<{ value: Json; list: Json[]; map: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4, depthIdentifier: 'junk' },
    nastyString,
    awkwardNumber,
    fc.boolean(),
    fc.constant(null),
    tie('list'),
    tie('map'),
  ),
  list: fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'junk' }),
  map: fc.dictionary(junkKey, tie('value'), { maxKeys: 3, noNullPrototype: true, depthIdentifier: 'junk' }),
})).value;

/** Maps (and lists) nested `depth` levels, junk at the bottom. */
export function nestedJunk(depth: number, leaf: Json = '$(rm -rf /)'): Json {
  let value: Json = leaf;
  for (let level = 0; level < depth; level++) value = level % 3 === 2 ? [value] : { [`n${level}`]: value };
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// The valid base

/** A manifest that sets every field the schema has (except the alternatives of one another) validly. */
export function completeManifest(name: string, context: ManifestContext): JsonObject {
  return {
    $schema: '../schemas/prefect-worker-pool.v1.json',
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name, labels: { team: 'data', 'example.com/tier': 'gold' }, generation: 3 },
    spec: {
      prefect: {
        apiUrl: 'https://api.prefect.cloud/api/accounts/acc/workspaces/ws',
        apiKeySecretArn: `${context.secretArnPrefix}api-key`,
      },
      workPool: {
        name: `pool ${name}`,
        type: 'process',
        description: 'Nightly analytics',
        workQueues: ['default', 'high priority'],
        concurrencyLimit: 10,
        paused: false,
        manage: true,
        deleteOnPoolDeletion: false,
      },
      worker: {
        image: 'prefecthq/prefect:3-python3.12',
        cpu: 1024,
        memory: 4096,
        architecture: 'X86_64',
        ephemeralStorageGiB: 50,
        limit: 4,
        env: { LOG_LEVEL: 'INFO' },
        secrets: { DB_PASSWORD: `${context.secretArnPrefix}db-password` },
        extraPipPackages: 'prefect-aws s3fs>=2024.1',
        taskRoleArn: context.taskRoleArn,
        spot: 50,
      },
      scaling: {
        mode: 'auto',
        minWorkers: 1,
        maxWorkers: 20,
        backlogPerWorker: 3,
        cpuTargetPercent: 60,
        scaleOutCooldownSeconds: 30,
        scaleInCooldownSeconds: 600,
      },
      network: {
        egress: [
          { port: 443, protocol: 'tcp', cidr: '0.0.0.0/0', description: 'HTTPS' },
          { fromPort: 5432, toPort: 5433, cidr: '10.0.0.0/16' },
          { protocol: 'all', cidr: '10.1.0.0/16' },
        ],
      },
      alarms: { notifyTopicArn: 'arn:aws:sns:us-east-1:123456789012:prefect-alarms' },
      tags: { CostCenter: '1234', 'team name': 'data platform' },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Walking the schema

interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly maxProperties?: number;
  readonly items?: SchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly enum?: readonly Json[];
  readonly const?: Json;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
}

type Site =
  | {
      readonly kind: 'value';
      readonly path: Segment[];
      readonly node: SchemaNode;
      readonly required: boolean;
    }
  | { readonly kind: 'object'; readonly path: Segment[]; readonly node: SchemaNode }
  | { readonly kind: 'map'; readonly path: Segment[]; readonly node: SchemaNode }
  | { readonly kind: 'array'; readonly path: Segment[]; readonly node: SchemaNode };

const ajv = new Ajv({ strict: false, allErrors: false });
const validators = new Map<SchemaNode, ValidateFunction>();

/** Whether `value` passes the schema node on its own: a mutation must make it fail. */
function passes(node: SchemaNode, value: Json): boolean {
  let validate = validators.get(node);
  if (!validate) {
    validate = ajv.compile(node as object);
    validators.set(node, validate);
  }
  return validate(value) === true;
}

function isMap(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every place of `value` the schema describes, walked beside the value so map keys and items exist. */
function sitesOf(node: SchemaNode, value: Json | undefined, path: Segment[], required: boolean): Site[] {
  const sites: Site[] = path.length > 0 ? [{ kind: 'value', path, node, required }] : [];
  if (node.properties) {
    if (node.additionalProperties === false) sites.push({ kind: 'object', path, node });
    for (const [key, child] of Object.entries(node.properties)) {
      const inner = isMap(value) ? value[key] : undefined;
      sites.push(...sitesOf(child, inner, [...path, key], node.required?.includes(key) ?? false));
    }
  }
  if (typeof node.additionalProperties === 'object') {
    sites.push({ kind: 'map', path, node });
    for (const key of isMap(value) ? Object.keys(value) : []) {
      sites.push(...sitesOf(node.additionalProperties, (value as JsonObject)[key], [...path, key], false));
    }
  }
  if (node.items) {
    sites.push({ kind: 'array', path, node });
    if (Array.isArray(value) && value.length > 0)
      sites.push(...sitesOf(node.items, value[0], [...path, 0], false));
  }
  return sites;
}

// ---------------------------------------------------------------------------------------------------------
// Mutations

interface Mutation {
  readonly description: string;
  /** Where the mutation acts; mutations in one case never sit one inside another. */
  readonly path: readonly Segment[];
  apply(manifest: JsonObject): void;
}

function containerOf(target: JsonObject, path: readonly Segment[]): Record<Segment, Json> {
  let node: Json = target;
  for (const segment of path.slice(0, -1)) {
    const container = node as Record<Segment, Json>;
    if (container[segment] === undefined || container[segment] === null) container[segment] = {};
    node = container[segment] as Json;
  }
  return node as Record<Segment, Json>;
}

function setAt(target: JsonObject, path: readonly Segment[], value: Json): void {
  containerOf(target, path)[path[path.length - 1] as Segment] = value;
}

function deleteAt(target: JsonObject, path: readonly Segment[]): void {
  const container = containerOf(target, path);
  const last = path[path.length - 1] as Segment;
  if (Array.isArray(container)) container.splice(Number(last), 1);
  else delete container[last];
}

function show(value: Json): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 50 ? `${text.slice(0, 50)}…` : text;
}

function typeOf(node: SchemaNode): readonly string[] {
  return node.type === undefined ? [] : typeof node.type === 'string' ? [node.type] : node.type;
}

/** Values a node does not accept: of other types, out of its range, off its pattern, outside its enum. */
function violatingValue(node: SchemaNode): fc.Arbitrary<Json> {
  const candidates: fc.Arbitrary<Json>[] = [
    nastyString,
    awkwardNumber,
    fc.boolean(),
    fc.constant(null),
    fc.constant([]),
    fc.constant({}),
    junk,
  ];
  const types = typeOf(node);
  if (typeof node.minimum === 'number' || typeof node.maximum === 'number') {
    const below = (node.minimum ?? 0) - 1;
    const above = (node.maximum ?? 0) + 1;
    candidates.push(
      fc.integer({ min: below - 1_000_000, max: below }),
      fc.integer({ min: above, max: above + 1_000_000 }),
      fc.constantFrom((node.minimum ?? 0) + 0.5, above + 1e20),
    );
  }
  if (types.includes('string')) {
    if (node.maxLength !== undefined) {
      const max = node.maxLength;
      candidates.push(
        fc
          .tuple(fc.integer({ min: 1, max: 64 }), fc.constantFrom('x', 'ü', '💥', 'A'))
          .map(([extra, char]) => char.repeat(max + extra)),
      );
    }
    if ((node.minLength ?? 0) > 0) candidates.push(fc.constant(''));
    if (node.pattern) {
      candidates.push(
        fc
          .tuple(fc.constantFrom('prefecthq', 'analytics', 'a', '10.0.0.0/8'), nastyString)
          .map(([a, b]) => `${a}${b}`),
      );
    }
  }
  if (node.enum || node.const !== undefined) {
    candidates.push(
      fc.constantFrom<Json>(
        'Process',
        'ECS',
        'arm64',
        'prefect-ecs-operator/v2',
        'prefectworkerpool',
        1000,
        3,
        ' tcp',
      ),
    );
  }
  return fc.oneof(...candidates).filter((value) => !passes(node, value));
}

function mutationsFor(site: Site): fc.Arbitrary<Mutation> {
  switch (site.kind) {
    case 'value': {
      const options: fc.Arbitrary<Mutation>[] = [
        violatingValue(site.node).map((value) => ({
          description: `${formatPath(site.path)} = ${show(value)}`,
          path: site.path,
          apply: (m: JsonObject) => setAt(m, site.path, value),
        })),
      ];
      if (typeOf(site.node).includes('object')) {
        options.push(
          fc.integer({ min: 8, max: 22 }).map((depth) => ({
            description: `${formatPath(site.path)} = junk nested ${depth} deep`,
            path: site.path,
            apply: (m: JsonObject) => setAt(m, site.path, { deep: nestedJunk(depth) }),
          })),
        );
      }
      if (site.required) {
        options.push(
          fc.constant({
            description: `without ${formatPath(site.path)}`,
            path: site.path,
            apply: (m: JsonObject) => deleteAt(m, site.path),
          }),
        );
      }
      return fc.oneof(...options);
    }
    case 'object': {
      const known = Object.keys(site.node.properties ?? {});
      return fc
        .tuple(
          junkKey.filter(
            (key) => !known.includes(key) && (site.path.length > 0 || !['pk', 'sk'].includes(key)),
          ),
          junk,
        )
        .map(([key, value]) => ({
          description: `unknown field ${formatPath([...site.path, key])} = ${show(value)}`,
          path: [...site.path, key],
          apply: (m: JsonObject) => setAt(m, [...site.path, key], value),
        }));
    }
    case 'map': {
      const options: fc.Arbitrary<Mutation>[] = [];
      const names = site.node.propertyNames;
      if (names) {
        options.push(
          junkKey
            .filter((key) => !passes(names, key))
            .map((key) => ({
              description: `bad name ${formatPath([...site.path, key])}`,
              path: [...site.path, key],
              apply: (m: JsonObject) => setAt(m, [...site.path, key], 'v'),
            })),
        );
      }
      if (site.node.maxProperties !== undefined) {
        const count = site.node.maxProperties + 1;
        options.push(
          fc.constant({
            description: `${count} entries in ${formatPath(site.path)}`,
            path: site.path,
            apply: (m: JsonObject) => {
              const entries = Object.fromEntries(Array.from({ length: count }, (_, i) => [`K${i}`, 'v']));
              setAt(m, site.path, entries);
            },
          }),
        );
      }
      return fc.oneof(...options);
    }
    case 'array': {
      const options: fc.Arbitrary<Mutation>[] = [];
      const itemNode = site.node.items as SchemaNode;
      const validItem = (i: number): Json =>
        typeOf(itemNode).includes('object') ? { port: 443, cidr: `10.${i % 256}.0.0/16` } : `queue ${i}`;
      if (site.node.maxItems !== undefined) {
        const count = site.node.maxItems + 1;
        options.push(
          fc.constant({
            description: `${count} items in ${formatPath(site.path)}`,
            path: site.path,
            apply: (m: JsonObject) =>
              setAt(
                m,
                site.path,
                Array.from({ length: count }, (_, i) => validItem(i)),
              ),
          }),
        );
      }
      if ((site.node.minItems ?? 0) > 0) {
        options.push(
          fc.constant({
            description: `empty ${formatPath(site.path)}`,
            path: site.path,
            apply: (m: JsonObject) => setAt(m, site.path, []),
          }),
        );
      }
      if (site.node.uniqueItems) {
        options.push(
          fc.constant({
            description: `duplicates in ${formatPath(site.path)}`,
            path: site.path,
            apply: (m: JsonObject) => setAt(m, site.path, [validItem(1), validItem(1)]),
          }),
        );
      }
      return options.length > 0 ? fc.oneof(...options) : fc.constant(noMutation);
    }
  }
}

const noMutation: Mutation = { description: '', path: [], apply: () => {} };

function overlaps(a: readonly Segment[], b: readonly Segment[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (String(a[i]) !== String(b[i])) return false;
  return true;
}

/**
 * Rules beyond the schema (validatePool's own), each applied alone: they are only checked where the
 * fields they read are otherwise sound, so combining them with other damage could hide them.
 */
function semanticMutations(context: ManifestContext): Mutation[] {
  const set = (description: string, path: Segment[], value: Json, at: Segment[] = path): Mutation => ({
    description,
    path: at,
    apply: (m) => setAt(m, path, value),
  });
  return [
    set('metadata.name differs from the key', ['metadata', 'name'], 'someone-else'),
    set('memory not a Fargate size for cpu 1024', ['spec', 'worker', 'memory'], 1024),
    set('minWorkers above maxWorkers', ['spec', 'scaling', 'minWorkers'], 50),
    set('workers in auto mode', ['spec', 'scaling', 'workers'], 3),
    set('fixed mode without workers', ['spec', 'scaling', 'mode'], 'fixed', ['spec', 'scaling', 'workers']),
    set(
      'API key secret outside the allowed prefix',
      ['spec', 'prefect', 'apiKeySecretArn'],
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:other/key',
    ),
    set(
      'API key and auth string together',
      ['spec', 'prefect', 'authStringSecretArn'],
      `${context.secretArnPrefix}auth`,
      ['spec', 'prefect'],
    ),
    set(
      'wildcard secret ARN',
      ['spec', 'worker', 'secrets', 'DB_PASSWORD'],
      'arn:aws:secretsmanager:*:*:secret:*',
    ),
    set('a password in plain env', ['spec', 'worker', 'env', 'DB_PASS'], 'hunter2'),
    set('overriding the controller’s PREFECT_API_KEY', ['spec', 'worker', 'env', 'PREFECT_API_KEY'], 'pnu_x'),
    set('env and secrets with one name', ['spec', 'worker', 'env', 'DB_PASSWORD'], 'x'),
    set(
      'a task role nobody allowed',
      ['spec', 'worker', 'taskRoleArn'],
      'arn:aws:iam::123456789012:role/Admin',
    ),
    set('protocol all with a port', ['spec', 'network', 'egress', 0], {
      protocol: 'all',
      port: 22,
      cidr: '0.0.0.0/0',
    }),
    set(
      'fromPort above toPort',
      ['spec', 'network', 'egress', 0],
      { fromPort: 9000, toPort: 80, cidr: '0.0.0.0/0' },
      ['spec', 'network', 'egress', 0, 'fromPort'],
    ),
    set('a rule without ports', ['spec', 'network', 'egress', 0], { cidr: '10.0.0.0/8' }),
    set('a work pool name Prefect reserves', ['spec', 'workPool', 'name'], 'prefect-internal'),
    set(
      'a tag that claims another controller’s ownership',
      ['spec', 'tags', 'prefect-ecs-operator:instance'],
      'other',
    ),
    set('an aws: tag', ['spec', 'tags', 'aws:cloudformation:stack-name'], 'x'),
  ];
}

/** Generated hostile manifests for the pool `name`: 1 to 3 schema mutations, or one semantic one. */
export function hostileManifest(name: string, context: ManifestContext): fc.Arbitrary<HostileCase> {
  const base = completeManifest(name, context);
  const sites = sitesOf(manifestSchema as SchemaNode, base, [], true);
  const schemaMutation = fc.constantFrom(...sites).chain(mutationsFor);
  const schemaCase = fc
    .array(schemaMutation, { minLength: 1, maxLength: 3 })
    .map((mutations) => {
      const chosen: Mutation[] = [];
      for (const mutation of mutations) {
        if (mutation === noMutation) continue;
        if (chosen.every((other) => !overlaps(other.path, mutation.path))) chosen.push(mutation);
      }
      return chosen;
    })
    .filter((chosen) => chosen.length > 0);
  const semanticCase = fc.constantFrom(...semanticMutations(context)).map((mutation) => [mutation]);
  return fc
    .oneof({ weight: 5, arbitrary: schemaCase }, { weight: 1, arbitrary: semanticCase })
    .map((mutations) => {
      const manifest = structuredClone(base);
      for (const mutation of mutations) mutation.apply(manifest);
      return {
        description: mutations.map((m) => m.description).join('; '),
        manifest,
        expectedPaths: mutations.map((m) => formatPath(m.path)),
      };
    });
}

/** `count` generated cases for pools `<prefix>0`, `<prefix>1`..., reproducible from `seed`. */
export function generateHostileCases(
  count: number,
  prefix: string,
  context: ManifestContext,
  seed = 20261128,
): (HostileCase & { readonly pk: string })[] {
  const arbitrary = fc.array(hostileManifest('placeholder', context), { minLength: count, maxLength: count });
  const [cases] = fc.sample(arbitrary, { numRuns: 1, seed });
  return (cases ?? []).map((hostile, index) => {
    const pk = `${prefix}${index}`;
    const manifest = structuredClone(hostile.manifest);
    // The base was built for 'placeholder': name the pool after its key unless a mutation renamed it.
    const metadata = manifest.metadata;
    if (isMap(metadata) && metadata.name === 'placeholder') metadata.name = pk;
    const workPool =
      isMap(manifest.spec) && isMap(manifest.spec.workPool) ? manifest.spec.workPool : undefined;
    if (workPool && workPool.name === 'pool placeholder') workPool.name = `pool ${pk}`;
    return { ...hostile, pk };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Hand-written cases

export interface HandWrittenCase {
  readonly title: string;
  /** The table key; default `hand-<index>`. */
  readonly pk?: string;
  /** The item's attributes without pk/sk, for the DocumentClient (Sets, Uint8Arrays and null allowed). */
  readonly item?: Record<string, unknown>;
  /** Or raw attribute values, for shapes the DocumentClient refuses to write. */
  readonly raw?: Record<string, AttributeValue>;
  /** Places validation must report. */
  readonly expect: readonly string[];
}

/** The complete manifest, for editing by hand: any shape may be written anywhere. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Editable = { [key: string]: any };

function patched(context: ManifestContext, name: string, edit: (manifest: Editable) => void): JsonObject {
  const manifest: Editable = completeManifest(name, context);
  edit(manifest);
  return manifest;
}

/** About 390 KB: an item near DynamoDB's 400 KB limit once the rest of the manifest is added. */
export const nearLimitBytes = 390_000;

/**
 * Fifty-odd hostile items written by hand, one line of intent each. `pk` defaults to `hand-<index>`;
 * manifests name themselves after their key unless the case is about the name.
 */
export function handWrittenCases(context: ManifestContext): HandWrittenCase[] {
  const c = (
    title: string,
    expect: string[],
    edit: (m: Editable) => void,
    pk?: string,
  ): ((index: number) => HandWrittenCase) => {
    return (index) => {
      const key = pk ?? `hand-${index}`;
      return { title, pk: key, item: patched(context, key, edit), expect };
    };
  };
  const withoutSpec = (index: number): HandWrittenCase => {
    const { spec: _spec, ...rest } = completeManifest(`hand-${index}`, context);
    return { title: 'an item without spec', item: rest, expect: ['spec'] };
  };
  const specAs =
    (title: string, value: unknown) =>
    (index: number): HandWrittenCase => ({
      title,
      item: { ...completeManifest(`hand-${index}`, context), spec: value },
      expect: ['spec'],
    });
  const manyUnknownFields = (m: Editable) => {
    const fields: JsonObject = {};
    // ~125-byte names, about 390 KB in all: every one is an unknown field of spec.worker.
    for (let i = 0; fieldsSize(fields) < nearLimitBytes - 20_000; i++)
      fields[`unknown_${String(i).padStart(5, '0')}_${'x'.repeat(110)}`] = 1;
    Object.assign(m.spec.worker as JsonObject, fields);
  };
  const rawProto = (index: number): HandWrittenCase => {
    const manifest = marshall(completeManifest(`hand-${index}`, context), { removeUndefinedValues: true });
    const spec = manifest.spec as { M: Record<string, AttributeValue> };
    // The key DynamoDB keeps and JavaScript's unmarshalling turns into a prototype.
    // An own key named __proto__ (plain assignment would set the prototype of this object instead).
    Object.defineProperty(spec.M, '__proto__', {
      value: { M: { worker: { M: { cpu: { S: '$(rm -rf /)' } } }, evil: { BOOL: true } } },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return {
      title: 'spec with a __proto__ field (low-level put)',
      raw: manifest,
      expect: ['spec'],
    };
  };

  const makers: ((index: number) => HandWrittenCase)[] = [
    withoutSpec,
    specAs('spec is a string', 'nope'),
    specAs('spec is a list', [{ prefect: {} }]),
    specAs('spec is a number', 42),
    specAs('spec is null', null),
    specAs('spec is a boolean', true),
    specAs('spec is a string set', new Set(['prefect', 'worker'])),
    specAs('spec is binary', new Uint8Array([0x7b, 0x7d])),
    specAs('spec is an empty map... missing prefect', {}),
    c('without apiVersion', ['apiVersion'], (m) => delete m.apiVersion),
    c('apiVersion v2', ['apiVersion'], (m) => (m.apiVersion = 'prefect-ecs-operator/v2')),
    c('kind Pod', ['kind'], (m) => (m.kind = 'Pod')),
    c('without metadata', ['metadata'], (m) => delete m.metadata),
    c('metadata is a string', ['metadata'], (m) => (m.metadata = 'name: x')),
    c('without metadata.name', ['metadata.name'], (m) => delete (m.metadata as JsonObject).name),
    c(
      'metadata.name differs from the key',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = 'analytics'),
    ),
    c(
      'metadata.name is a shell command',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = '$(rm -rf /)'),
    ),
    c('metadata.name with backticks', ['metadata.name'], (m) => ((m.metadata as JsonObject).name = '`id`')),
    c(
      'metadata.name is a JSON fragment',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = '{"a":1}'),
    ),
    c(
      'metadata.name is an ARN pattern',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = 'arn:aws:iam::*:role/*'),
    ),
    c(
      'metadata.name in upper case',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = 'Analytics'),
    ),
    c(
      'metadata.name of 64 characters',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = 'a'.repeat(64)),
    ),
    c(
      'metadata.name with a right-to-left override',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = 'a\u202Eb'),
    ),
    c('metadata.name of emoji', ['metadata.name'], (m) => ((m.metadata as JsonObject).name = '🔥🔥')),
    c('metadata.name is a number', ['metadata.name'], (m) => ((m.metadata as JsonObject).name = 12)),
    c(
      'key and name are a shell command',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = '$(reboot)'),
      '$(reboot)',
    ),
    c(
      'key and name are unicode',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = 'pöol-名前'),
      'pöol-名前',
    ),
    c(
      'key of 2 KB',
      ['metadata.name'],
      (m) => ((m.metadata as JsonObject).name = `k${'e'.repeat(2000)}`),
      `k${'e'.repeat(2000)}`,
    ),
    c('generation 0', ['metadata.generation'], (m) => ((m.metadata as JsonObject).generation = 0)),
    c(
      'a label with a unicode name',
      ['metadata.labels["ключ"]'],
      (m) => (((m.metadata as JsonObject).labels as JsonObject)['ключ'] = 'x'),
    ),
    c('without spec.prefect', ['spec.prefect'], (m) => delete m.spec.prefect),
    c('without apiUrl', ['spec.prefect.apiUrl'], (m) => delete m.spec.prefect.apiUrl),
    c('apiUrl javascript:', ['spec.prefect.apiUrl'], (m) => (m.spec.prefect.apiUrl = 'javascript:alert(1)')),
    c(
      'apiUrl with a header injection',
      ['spec.prefect.apiUrl'],
      (m) => (m.spec.prefect.apiUrl = 'https://x/api\r\nHost: evil'),
    ),
    c(
      'API key ARN with wildcards',
      ['spec.prefect.apiKeySecretArn'],
      (m) => (m.spec.prefect.apiKeySecretArn = 'arn:aws:secretsmanager:*:*:secret:*'),
    ),
    c(
      'API key ARN outside the allowed prefix',
      ['spec.prefect.apiKeySecretArn'],
      (m) =>
        (m.spec.prefect.apiKeySecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other/key'),
    ),
    c(
      'API key and auth string together',
      ['spec.prefect'],
      (m) => (m.spec.prefect.authStringSecretArn = `${context.secretArnPrefix}auth`),
    ),
    c('cpu as a string', ['spec.worker.cpu'], (m) => (m.spec.worker.cpu = '1024')),
    c('cpu 1000', ['spec.worker.cpu'], (m) => (m.spec.worker.cpu = 1000)),
    c('memory not a Fargate pair', ['spec.worker.memory'], (m) =>
      Object.assign(m.spec.worker, { cpu: 256, memory: 4096 }),
    ),
    c('memory 1e20', ['spec.worker.memory'], (m) => (m.spec.worker.memory = 1e20)),
    c('memory 1.5', ['spec.worker.memory'], (m) => (m.spec.worker.memory = 1.5)),
    c('image with a shell command', ['spec.worker.image'], (m) => (m.spec.worker.image = 'nginx; rm -rf /')),
    c(
      'image with a newline',
      ['spec.worker.image'],
      (m) => (m.spec.worker.image = 'prefecthq/prefect\nFROM evil'),
    ),
    c(
      'env name is a shell command',
      ['spec.worker.env["$(reboot)"]'],
      (m) => ((m.spec.worker.env as JsonObject)['$(reboot)'] = 'x'),
    ),
    c(
      'a password in plain env',
      ['spec.worker.env.DB_PASS'],
      (m) => ((m.spec.worker.env as JsonObject).DB_PASS = 'hunter2'),
    ),
    c(
      'overriding PREFECT_API_KEY',
      ['spec.worker.env.PREFECT_API_KEY'],
      (m) => ((m.spec.worker.env as JsonObject).PREFECT_API_KEY = 'pnu_x'),
    ),
    c(
      'env value of 5000 characters',
      ['spec.worker.env.LOG_LEVEL'],
      (m) => ((m.spec.worker.env as JsonObject).LOG_LEVEL = 'x'.repeat(5000)),
    ),
    c('env is a list', ['spec.worker.env'], (m) => (m.spec.worker.env = [['LOG_LEVEL', 'INFO']])),
    c(
      'secret value is a wildcard ARN',
      ['spec.worker.secrets.DB_PASSWORD'],
      (m) => ((m.spec.worker.secrets as JsonObject).DB_PASSWORD = 'arn:aws:secretsmanager:*:*:secret:*'),
    ),
    c(
      'task role is an ARN pattern',
      ['spec.worker.taskRoleArn'],
      (m) => (m.spec.worker.taskRoleArn = 'arn:aws:iam::*:role/*'),
    ),
    c(
      'extraPipPackages with a pipe to sh',
      ['spec.worker.extraPipPackages'],
      (m) => (m.spec.worker.extraPipPackages = 'prefect-aws; curl 127.0.0.1 | sh'),
    ),
    c('spot 150', ['spec.worker.spot'], (m) => (m.spec.worker.spot = 150)),
    c('minWorkers above maxWorkers', ['spec.scaling.minWorkers'], (m) => (m.spec.scaling.minWorkers = 30)),
    c('fixed mode without workers', ['spec.scaling.workers'], (m) => (m.spec.scaling.mode = 'fixed')),
    c('mode turbo', ['spec.scaling.mode'], (m) => (m.spec.scaling.mode = 'turbo')),
    c('workers as a string', ['spec.scaling.workers'], (m) =>
      Object.assign(m.spec.scaling, { mode: 'fixed', workers: '2' }),
    ),
    c('work queues empty', ['spec.workPool.workQueues'], (m) => (m.spec.workPool.workQueues = [])),
    c('work queues repeated', ['spec.workPool.workQueues'], (m) => (m.spec.workPool.workQueues = ['a', 'a'])),
    c(
      'work queues as a string set',
      ['spec.workPool.workQueues'],
      (m) => ((m.spec.workPool as Record<string, unknown>).workQueues = new Set(['a', 'b']) as never),
    ),
    c(
      'work pool name Prefect reserves',
      ['spec.workPool.name'],
      (m) => (m.spec.workPool.name = 'prefect-internal'),
    ),
    c('egress is a map', ['spec.network.egress'], (m) => (m.spec.network.egress = { port: 443 })),
    c(
      'egress cidr with SQL',
      ['spec.network.egress[0].cidr'],
      (m) => (((m.spec.network.egress as JsonObject[])[0] as JsonObject).cidr = "0.0.0.0/0'; DROP TABLE x"),
    ),
    c(
      'egress port 70000',
      ['spec.network.egress[0].port'],
      (m) => (((m.spec.network.egress as JsonObject[])[0] as JsonObject).port = 70000),
    ),
    c(
      'egress all with a port',
      ['spec.network.egress[2]'],
      (m) => (((m.spec.network.egress as JsonObject[])[2] as JsonObject).port = 22),
    ),
    c(
      'egress description with control characters',
      ['spec.network.egress[0].description'],
      (m) => (((m.spec.network.egress as JsonObject[])[0] as JsonObject).description = 'a\u0007\u001b[2Jb'),
    ),
    c(
      'notify topic ARN pattern',
      ['spec.alarms.notifyTopicArn'],
      (m) => (m.spec.alarms.notifyTopicArn = 'arn:aws:sns:*:*:*'),
    ),
    c(
      'a tag claiming another instance',
      ['spec.tags["prefect-ecs-operator:instance"]'],
      (m) => (m.spec.tags['prefect-ecs-operator:instance'] = 'other'),
    ),
    c(
      'an aws: tag',
      ['spec.tags["aws:cloudformation:stack-name"]'],
      (m) => (m.spec.tags['aws:cloudformation:stack-name'] = 'x'),
    ),
    c(
      '41 tags',
      ['spec.tags'],
      (m) => (m.spec.tags = Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`t${i}`, 'v']))),
    ),
    c('a status field in the spec item', ['status'], (m) => (m.status = { phase: 'Ready' })),
    c('an unknown field named like JSON', ['spec["\\"},{\\""]'], (m) => (m.spec['"},{"'] = { a: 1 })),
    c('junk nested 25 levels deep', ['spec.worker.deep'], (m) => (m.spec.worker.deep = nestedJunk(25))),
    c(
      `a ${nearLimitBytes / 1000} KB description`,
      ['spec.workPool.description'],
      (m) => (m.spec.workPool.description = 'd'.repeat(nearLimitBytes)),
    ),
    c(`${nearLimitBytes / 1000} KB of unknown fields`, ['spec.worker'], manyUnknownFields),
    c('a field name of 60 KB', ['spec.tags'], (m) => (m.spec.tags[`k${'€'.repeat(20_000)}`] = 'v')),
    c('generation 1e125 beside an error', ['kind'], (m) =>
      Object.assign(m, { kind: 'Nope', metadata: { ...(m.metadata as JsonObject), generation: 1e125 } }),
    ),
    rawProto,
  ];
  return makers.map((make, index) => {
    const made = make(index);
    return { ...made, pk: made.pk ?? `hand-${index}` };
  });
}

function fieldsSize(fields: JsonObject): number {
  let size = 0;
  for (const key of Object.keys(fields)) size += key.length + 3;
  return size;
}

/**
 * Validates a spec item: the JSON Schema (schemas/prefect-worker-pool.v1.json) first, then the rules a
 * schema cannot express or that depend on the controller's configuration. Every problem is reported at
 * once, each with the field's path and what was expected, so a user fixes a manifest in one round.
 */
import { Ajv, type ErrorObject } from 'ajv';
import manifestSchema from '../../schemas/prefect-worker-pool.v1.json' with { type: 'json' };
import type { PrefectWorkerPool } from './generated/prefectWorkerPool.js';
import type { ValidationIssue } from './generated/prefectWorkerPoolStatus.js';
import { describeFargateMemoryFor, isValidFargatePair } from './fargateSizes.js';
import { withDefaults, type ResolvedPool } from './poolDefaults.js';
import { awsNameLimits, poolResourceNames, reservedTagPrefix } from './resourceNames.js';
import { poolTableKeys } from './tableContract.js';

export type { ValidationIssue };

export interface ValidationContext {
  readonly instanceId: string;
  /**
   * Secret ARNs must start with this. undefined: not known here (poolctl without the controller's
   * configuration), so only each ARN's format is checked. The controller always passes it.
   */
  readonly allowedSecretArnPrefix?: string | undefined;
  /**
   * Task roles a spec may name. undefined: the controller's task-role configuration is not known here,
   * so only the ARN's format is checked, and not whether an ecs-type pool needs a role of its own.
   * The controller always passes it.
   */
  readonly allowedTaskRoleArns?: readonly string[] | undefined;
  readonly defaultWorkerTaskRoleArn?: string | undefined;
  /** The table's partition key: metadata.name must equal it. */
  readonly expectedName?: string;
}

export type ValidationResult =
  | { readonly valid: true; readonly pool: ResolvedPool; readonly manifest: PrefectWorkerPool }
  | { readonly valid: false; readonly issues: readonly ValidationIssue[] };

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
// An annotation for people: what a pattern means, used in messages instead of the raw regex.
ajv.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
const validateSchema = ajv.compile<PrefectWorkerPool>(manifestSchema);

/** Environment names the controller sets itself, each from the spec field named; a spec may not override them. */
const controllerOwnedEnv = new Map([
  ['PREFECT_API_URL', 'spec.prefect.apiUrl'],
  ['PREFECT_API_KEY', 'spec.prefect.apiKeySecretArn'],
  ['PREFECT_API_AUTH_STRING', 'spec.prefect.authStringSecretArn'],
  ['EXTRA_PIP_PACKAGES', 'spec.worker.extraPipPackages'],
]);

/**
 * Names that look like they carry a secret. Such values belong in `secrets`, never in plain env. The
 * lookaheads keep common harmless names out: GIT_AUTHOR_NAME (AUTHOR is not AUTH), TOKENIZERS_PARALLELISM
 * (a tokenizer is not a token), SSL_CERT_FILE / SSL_CERT_DIR (a path to a certificate, not key material).
 */
const secretLookingName =
  /(PASSWORD|PASSWD|SECRET|TOKEN(?!IZ)|CREDENTIAL|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|AUTH(?!ORS?(_|$))|(^|_)(KEY|PWD|PASS|DSN)(_|$)|(^|_)CERT(?!_(FILE|DIR|PATH)(_|$))(_|$))/i;

export function isSecretLookingName(name: string): boolean {
  return secretLookingName.test(name);
}

/** `spec.worker.env.FOO`, `spec.network.egress[0].cidr`, `spec.tags["a b"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path === '' ? '(item)' : path;
}

/**
 * A JSON pointer as path segments. A segment is an index only where the data holds an array there: a map
 * key such as "2024" in spec.tags stays a key (`spec.tags["2024"]`, not `spec.tags[2024]`).
 */
function pointerSegments(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  let node = data;
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const segment = Array.isArray(node) ? Number(key) : key;
      node =
        typeof node === 'object' && node !== null
          ? (node as Record<string | number, unknown>)[segment]
          : undefined;
      return segment;
    });
}

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function truncate(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function schemaIssue(error: ErrorObject, data: unknown): ValidationIssue {
  const segments = pointerSegments(error.instancePath, data);
  const parentSchema = error.parentSchema as { 'x-expected'?: string } | undefined;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: formatPath([...segments, String(params.missingProperty)]), message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys((parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        path: formatPath([...segments, String(params.additionalProperty)]),
        message: `is not a known field; expected one of: ${known.join(', ')}`,
      };
    }
    case 'type':
      return {
        path: formatPath(segments),
        message: `expected ${String(params.type)}, got ${typeOfValue(error.data)}`,
      };
    case 'enum':
      return {
        path: formatPath(segments),
        message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${truncate(JSON.stringify(error.data) ?? 'undefined')}`,
      };
    case 'const':
      return {
        path: formatPath(segments),
        message: `expected ${JSON.stringify(params.allowedValue)}, got ${truncate(JSON.stringify(error.data) ?? 'undefined')}`,
      };
    case 'pattern': {
      // A pattern failing under propertyNames is about a key, not a value.
      const key = error.propertyName;
      const expected = parentSchema?.['x-expected'] ?? `a value matching ${String(params.pattern)}`;
      if (key !== undefined) {
        return { path: formatPath([...segments, key]), message: `name is not allowed; expected ${expected}` };
      }
      return {
        path: formatPath(segments),
        message: `expected ${expected}, got ${truncate(JSON.stringify(error.data))}`,
      };
    }
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
    case 'minProperties':
    case 'maxProperties':
    case 'minimum':
    case 'maximum':
    case 'uniqueItems': {
      const where = error.propertyName !== undefined ? [...segments, error.propertyName] : segments;
      return { path: formatPath(where), message: error.message ?? 'is out of range' };
    }
    default:
      return { path: formatPath(segments), message: error.message ?? `fails ${error.keyword}` };
  }
}

function schemaIssues(errors: readonly ErrorObject[], data: unknown): ValidationIssue[] {
  // propertyNames reports a wrapper error beside the specific one; the specific one says it better.
  const specific = errors.filter((e) => e.keyword !== 'propertyNames');
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of specific) {
    const issue = schemaIssue(error, data);
    const key = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

/**
 * Whether a check may run: none of the fields it reads had a schema error. Checks reading only sound
 * fields run even when other fields are wrong, so one round reports every problem.
 */
type Guard = (...pointers: string[]) => boolean;

function guardFor(errorPointers: readonly string[]): Guard {
  return (...pointers) =>
    pointers.every((pointer) =>
      errorPointers.every(
        (bad) => bad !== pointer && !bad.startsWith(`${pointer}/`) && !pointer.startsWith(`${bad}/`),
      ),
    );
}

function semanticIssues(
  pool: ResolvedPool,
  manifest: PrefectWorkerPool,
  context: ValidationContext,
  sound: Guard,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (segments: (string | number)[], message: string) =>
    issues.push({ path: formatPath(segments), message });
  const { spec } = pool;

  if (sound('/metadata/name') && context.expectedName !== undefined && pool.name !== context.expectedName) {
    add(
      ['metadata', 'name'],
      `must equal the item's key ${poolTableKeys.partitionKey}="${truncate(context.expectedName)}"`,
    );
  }

  const names = poolResourceNames(context.instanceId, pool.name);
  for (const [kind, limit] of Object.entries(awsNameLimits) as [keyof typeof names, number][]) {
    if (sound('/metadata/name') && names[kind].length > limit) {
      add(
        ['metadata', 'name'],
        `is too long: the derived ${kind} "${truncate(names[kind])}" has ${names[kind].length} characters, AWS allows ${limit}`,
      );
    }
  }

  if (
    sound('/spec/worker/cpu', '/spec/worker/memory') &&
    !isValidFargatePair(spec.worker.cpu, spec.worker.memory)
  ) {
    add(
      ['spec', 'worker', 'memory'],
      `${spec.worker.memory} MiB is not a valid Fargate size for cpu ${spec.worker.cpu}; expected ${describeFargateMemoryFor(spec.worker.cpu)}`,
    );
  }

  const { scaling } = spec;
  if (
    sound('/spec/scaling/minWorkers', '/spec/scaling/maxWorkers') &&
    scaling.minWorkers > scaling.maxWorkers
  ) {
    add(
      ['spec', 'scaling', 'minWorkers'],
      `must be at most maxWorkers (${scaling.maxWorkers}), got ${scaling.minWorkers}`,
    );
  }
  const modeSound = sound('/spec/scaling/mode', '/spec/scaling/workers');
  if (modeSound && scaling.mode === 'fixed' && scaling.workers === undefined) {
    add(['spec', 'scaling', 'workers'], 'is required when mode is "fixed"');
  }
  if (modeSound && scaling.mode === 'auto' && scaling.workers !== undefined) {
    add(
      ['spec', 'scaling', 'workers'],
      'is only allowed when mode is "fixed"; auto mode scales within [minWorkers, maxWorkers]',
    );
  }

  const secretRefs: [(string | number)[], string][] = [];
  if (spec.prefect.apiKeySecretArn !== undefined) {
    secretRefs.push([['spec', 'prefect', 'apiKeySecretArn'], spec.prefect.apiKeySecretArn]);
  }
  if (spec.prefect.authStringSecretArn !== undefined) {
    secretRefs.push([['spec', 'prefect', 'authStringSecretArn'], spec.prefect.authStringSecretArn]);
  }
  if (spec.prefect.apiKeySecretArn !== undefined && spec.prefect.authStringSecretArn !== undefined) {
    add(
      ['spec', 'prefect'],
      'set either apiKeySecretArn (Prefect Cloud) or authStringSecretArn (self-hosted), not both',
    );
  }
  for (const [name, arn] of Object.entries(spec.worker.secrets))
    secretRefs.push([['spec', 'worker', 'secrets', name], arn]);
  for (const [path, arn] of secretRefs) {
    if (!sound(`/${path.join('/')}`) || typeof arn !== 'string') continue;
    if (
      !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+(:[\w-]*:[\w-]*:[\w-]*)?$/.test(
        arn,
      )
    ) {
      add(
        path,
        `expected a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>), got ${truncate(JSON.stringify(arn))}`,
      );
    } else if (
      context.allowedSecretArnPrefix !== undefined &&
      !arn.startsWith(context.allowedSecretArnPrefix)
    ) {
      add(
        path,
        `secret is outside the allowed prefix; expected an ARN starting with ${context.allowedSecretArnPrefix}`,
      );
    }
  }

  const envSound = sound('/spec/worker/env', '/spec/worker/secrets');
  for (const name of envSound ? Object.keys(spec.worker.env) : []) {
    const owner = controllerOwnedEnv.get(name);
    if (owner !== undefined) {
      add(['spec', 'worker', 'env', name], `is set by the controller from ${owner}; remove it`);
    } else if (isSecretLookingName(name)) {
      add(
        ['spec', 'worker', 'env', name],
        'looks like a secret and would be stored in plain text; put a Secrets Manager ARN under spec.worker.secrets instead',
      );
    }
    if (Object.hasOwn(spec.worker.secrets, name)) {
      add(['spec', 'worker', 'env', name], 'is also set in spec.worker.secrets; set it in one place');
    }
  }
  for (const name of envSound ? Object.keys(spec.worker.secrets) : []) {
    const owner = controllerOwnedEnv.get(name);
    if (owner !== undefined) {
      add(['spec', 'worker', 'secrets', name], `is set by the controller from ${owner}; remove it`);
    }
  }

  const taskRoleArn = spec.worker.taskRoleArn;
  const roleSound = sound('/spec/worker/taskRoleArn', '/spec/workPool/type');
  const allowedRoles = context.allowedTaskRoleArns;
  if (roleSound && taskRoleArn !== undefined && allowedRoles === undefined) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(taskRoleArn)) {
      add(
        ['spec', 'worker', 'taskRoleArn'],
        `expected an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${truncate(JSON.stringify(taskRoleArn))}`,
      );
    }
  } else if (roleSound && taskRoleArn !== undefined && allowedRoles && !allowedRoles.includes(taskRoleArn)) {
    const allowed = allowedRoles.length > 0 ? allowedRoles.join(', ') : '(none configured)';
    add(
      ['spec', 'worker', 'taskRoleArn'],
      `is not a task role this controller may pass; expected one of: ${allowed}`,
    );
  }
  if (
    roleSound &&
    allowedRoles !== undefined &&
    spec.workPool.type === 'ecs' &&
    taskRoleArn === undefined &&
    context.defaultWorkerTaskRoleArn === undefined
  ) {
    add(
      ['spec', 'worker', 'taskRoleArn'],
      'is required for ecs-type pools: the controller has no default worker task role',
    );
  }

  (sound('/spec/network/egress') ? (manifest.spec.network?.egress ?? []) : []).forEach((rule, index) => {
    const at = ['spec', 'network', 'egress', index];
    const protocol = rule.protocol ?? 'tcp';
    const hasRange = rule.fromPort !== undefined || rule.toPort !== undefined;
    if (protocol === 'all') {
      if (rule.port !== undefined || hasRange)
        add(at, 'protocol "all" takes no port; remove port/fromPort/toPort');
      return;
    }
    if (rule.port !== undefined && hasRange) add(at, 'set either port or fromPort/toPort, not both');
    else if (rule.port === undefined && (rule.fromPort === undefined || rule.toPort === undefined)) {
      add(at, 'expected port, or both fromPort and toPort');
    } else if (rule.fromPort !== undefined && rule.toPort !== undefined && rule.fromPort > rule.toPort) {
      add([...at, 'fromPort'], `must be at most toPort (${rule.toPort}), got ${rule.fromPort}`);
    }
  });

  if (sound('/spec/workPool/name', '/metadata/name') && /^prefect/i.test(spec.workPool.name)) {
    // Prefect refuses such names (403: reserved for internal use); better to say so before applying.
    add(
      manifest.spec.workPool?.name !== undefined ? ['spec', 'workPool', 'name'] : ['metadata', 'name'],
      `"${truncate(spec.workPool.name)}" starts with "prefect", which Prefect reserves for its own work pools; ${
        manifest.spec.workPool?.name !== undefined
          ? 'choose another name'
          : 'set spec.workPool.name to another name'
      }`,
    );
  }

  for (const key of sound('/spec/tags') ? Object.keys(spec.tags) : []) {
    if (key.toLowerCase().startsWith(reservedTagPrefix) || key.toLowerCase().startsWith('aws:')) {
      add(['spec', 'tags', key], `uses a reserved prefix (${reservedTagPrefix} or aws:)`);
    }
  }
  return issues;
}

function errorPointer(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${error.instancePath}/${String(params.missingProperty)}`;
  if (error.keyword === 'additionalProperties')
    return `${error.instancePath}/${String(params.additionalProperty)}`;
  if (error.propertyName !== undefined) return `${error.instancePath}/${error.propertyName}`;
  return error.instancePath;
}

/**
 * The controller's own rules over the parts of a schema-invalid manifest that are sound. Nothing here
 * may assume more than the guards promise, so a malformed manifest can never make it throw.
 */
function partialSemanticIssues(
  manifest: Record<string, unknown>,
  errors: readonly ErrorObject[],
  context: ValidationContext,
): ValidationIssue[] {
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(manifest.metadata) || !isMap(manifest.spec) || !isMap(manifest.spec.prefect)) return [];
  const sound = guardFor(errors.map(errorPointer));
  try {
    const candidate = manifest as unknown as PrefectWorkerPool;
    return semanticIssues(withDefaults(candidate), candidate, context, sound);
  } catch {
    return [];
  }
}

/**
 * Validates a spec item as read from the table (the table keys `pk` and `sk` are ignored) and returns
 * either the resolved pool, with defaults applied, or every problem found.
 */
export function validatePool(item: unknown, context: ValidationContext): ValidationResult {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return {
      valid: false,
      issues: [{ path: '(item)', message: `expected a map of attributes, got ${typeOfValue(item)}` }],
    };
  }
  const {
    [poolTableKeys.partitionKey]: _pk,
    [poolTableKeys.sortKey]: _sk,
    ...manifest
  } = item as Record<string, unknown>;
  if (!validateSchema(manifest)) {
    const errors = validateSchema.errors ?? [];
    return {
      valid: false,
      issues: [...schemaIssues(errors, manifest), ...partialSemanticIssues(manifest, errors, context)],
    };
  }
  const pool = withDefaults(manifest);
  const issues = semanticIssues(pool, manifest, context, () => true);
  return issues.length > 0 ? { valid: false, issues } : { valid: true, pool, manifest };
}

/**
 * Where the pool table is, and what poolctl knows of the controller's configuration (for validating
 * exactly as the controller does). In order: the flags `--table`, `--endpoint-url`, `--region`; the
 * environment `POOL_TABLE_NAME`, `AWS_ENDPOINT_URL`, `AWS_REGION`; else a running local mode, found by
 * its `.local/runtime.json` (controller/local/localRuntimeFile.ts) while its process is alive.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { ValidationContext } from '../api/validatePool.js';
import type { LocalRuntimeInfo } from '../local/localRuntimeFile.js';
import { NoTableError } from './poolctlErrors.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface TargetFlags {
  readonly table?: string | undefined;
  readonly endpointUrl?: string | undefined;
  readonly region?: string | undefined;
}

export interface TableTarget {
  readonly tableName: string;
  /** undefined: the SDK's regional endpoint (or AWS_ENDPOINT_URL, which the SDK reads itself). */
  readonly endpoint?: string;
  /** undefined: whatever the SDK finds (a profile's region). */
  readonly region?: string;
  /** Explicit credentials (local mode: moto takes any); undefined: the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Where the table came from. */
  readonly source: 'flags' | 'environment' | 'local';
  /** The running local mode, when that is the target: pools there settle where moto lets them. */
  readonly local?: LocalRuntimeInfo;
  /** For messages: `http://127.0.0.1:43817 (local mode)`, `AWS eu-west-1`, ... */
  readonly where: string;
}

/** Worst case of CONTROLLER_INSTANCE_ID's length (1–20): derived-name limits are checked against it. */
export const worstCaseInstanceId = 'i'.repeat(20);

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Whether a process exists. EPERM: it exists but belongs to someone else, still alive. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

function isLocalRuntimeInfo(value: unknown): value is LocalRuntimeInfo {
  const info = value as Partial<LocalRuntimeInfo> | null;
  return (
    typeof info === 'object' &&
    info !== null &&
    typeof info.endpoint === 'string' &&
    typeof info.table === 'string' &&
    typeof info.region === 'string' &&
    typeof info.pid === 'number' &&
    Number.isInteger(info.pid) &&
    info.pid > 0 &&
    typeof info.validation === 'object' &&
    info.validation !== null &&
    typeof info.validation.instanceId === 'string' &&
    typeof info.validation.allowedSecretArnPrefix === 'string' &&
    Array.isArray(info.validation.allowedTaskRoleArns)
  );
}

export interface LocalRuntimeLookup {
  readonly path: string;
  readonly isAlive?: (pid: number) => boolean;
  readonly readText?: (path: string) => string;
}

/** The running local mode, or undefined when there is none (no file, a malformed one, or its process is gone). */
export function findLocalRuntime(lookup: LocalRuntimeLookup): LocalRuntimeInfo | undefined {
  const readText = lookup.readText ?? ((path: string) => readFileSync(path, 'utf8'));
  const isAlive = lookup.isAlive ?? isProcessAlive;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(lookup.path));
  } catch {
    return undefined;
  }
  if (!isLocalRuntimeInfo(parsed)) return undefined;
  // A local mode killed without cleaning up leaves its file; its moto died with it.
  return isAlive(parsed.pid) ? parsed : undefined;
}

/** Resolves the table; throws NoTableError with what to do when there is none. */
export function resolveTableTarget(
  flags: TargetFlags,
  env: Env,
  findLocal: () => LocalRuntimeInfo | undefined,
): TableTarget {
  const flagTable = nonEmpty(flags.table);
  const envTable = nonEmpty(env.POOL_TABLE_NAME);
  const flagEndpoint = nonEmpty(flags.endpointUrl);
  const flagRegion = nonEmpty(flags.region);
  if (flagTable !== undefined || envTable !== undefined) {
    const endpoint = flagEndpoint ?? nonEmpty(env.AWS_ENDPOINT_URL);
    const region = flagRegion ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
    return {
      tableName: (flagTable ?? envTable) as string,
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(region !== undefined ? { region } : {}),
      source: flagTable !== undefined ? 'flags' : 'environment',
      where: endpoint ?? `AWS ${region ?? '(Region from your AWS profile)'}`,
    };
  }
  const local = findLocal();
  if (!local) throw new NoTableError();
  // The table lives in the local mode's moto: its endpoint and Region, whatever the shell says, and
  // any credentials (moto accepts all; a profile of the shell must never be consulted for it).
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const endpoint = flagEndpoint ?? local.endpoint;
  return {
    tableName: local.table,
    endpoint,
    region: flagRegion ?? local.region,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey }
        : { accessKeyId: 'testing', secretAccessKey: 'testing' },
    source: 'local',
    local,
    where: `${endpoint} (local mode, pid ${local.pid})`,
  };
}

export interface KnownValidationContext {
  readonly context: ValidationContext;
  /** Where it came from, for a note when checks had to be skipped. */
  readonly source: 'local mode' | 'environment' | 'unknown';
  /** The checks skipped for lack of configuration, in words (empty when nothing was skipped). */
  readonly skipped: readonly string[];
}

/**
 * What validation can know of the controller: the local mode's configuration when that is the target
 * (or, with no target, when one runs and the environment says nothing), else CONTROLLER_INSTANCE_ID,
 * ALLOWED_SECRET_ARN_PREFIX, ALLOWED_TASK_ROLE_ARNS and DEFAULT_WORKER_TASK_ROLE_ARN from the
 * environment, else nothing: checks depending on an unknown setting are skipped (the controller still
 * makes them) and derived names are checked against the longest instance id.
 */
export function resolveValidationContext(
  env: Env,
  local: LocalRuntimeInfo | undefined,
  target: TableTarget | undefined,
): KnownValidationContext {
  const envInstance = nonEmpty(env.CONTROLLER_INSTANCE_ID);
  const envPrefix = nonEmpty(env.ALLOWED_SECRET_ARN_PREFIX);
  const envRoles = env.ALLOWED_TASK_ROLE_ARNS;
  const envDefaultRole = nonEmpty(env.DEFAULT_WORKER_TASK_ROLE_ARN);
  const envSaysSomething = [envInstance, envPrefix, nonEmpty(envRoles), envDefaultRole].some(
    (value) => value !== undefined,
  );
  const useLocal = local && (target ? target.source === 'local' : !envSaysSomething);
  if (useLocal) {
    const { validation } = local;
    return {
      context: {
        instanceId: validation.instanceId,
        allowedSecretArnPrefix: validation.allowedSecretArnPrefix,
        allowedTaskRoleArns: validation.allowedTaskRoleArns,
        defaultWorkerTaskRoleArn: validation.defaultWorkerTaskRoleArn,
      },
      source: 'local mode',
      skipped: [],
    };
  }
  // ALLOWED_SECRET_ARN_PREFIX is required of a controller: with it set, the environment holds a whole
  // controller configuration, so unset role variables mean "none", as they do for the controller.
  const wholeConfiguration = envPrefix !== undefined;
  const roles =
    nonEmpty(envRoles) !== undefined
      ? (envRoles as string)
          .split(',')
          .map((arn) => arn.trim())
          .filter((arn) => arn !== '')
      : wholeConfiguration
        ? []
        : undefined;
  const skipped = [
    ...(envPrefix === undefined ? ['the allowed secret prefix (ALLOWED_SECRET_ARN_PREFIX)'] : []),
    ...(roles === undefined ? ['the allowed task roles (ALLOWED_TASK_ROLE_ARNS)'] : []),
  ];
  return {
    context: {
      instanceId: envInstance ?? worstCaseInstanceId,
      allowedSecretArnPrefix: envPrefix,
      allowedTaskRoleArns: roles,
      defaultWorkerTaskRoleArn: envDefaultRole,
    },
    source: envSaysSomething ? 'environment' : 'unknown',
    skipped,
  };
}

/** `.local/runtime.json` relative to the working directory when inside it, for messages. */
export function displayPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown.startsWith('..') ? path : shown;
}

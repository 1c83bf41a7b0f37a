/**
 * The one place defaults are applied. The schema's `default` annotations document the same values for
 * editors and readers; a unit test checks the two agree.
 */
import type {
  PoolSpec,
  PrefectConnectionSpec,
  PrefectWorkerPool,
  WorkPoolSpec,
} from './generated/prefectWorkerPool.js';

export const defaultImages = {
  process: 'prefecthq/prefect:3-python3.12',
  ecs: 'prefecthq/prefect-aws:latest',
} as const;

export type WorkPoolType = 'process' | 'ecs';
export type Protocol = 'tcp' | 'udp' | 'all';

export interface ResolvedEgressRule {
  readonly protocol: Protocol;
  /** -1 for protocol all. */
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr: string;
  readonly description?: string;
}

export interface ResolvedPoolSpec {
  readonly prefect: PrefectConnectionSpec;
  readonly workPool: {
    readonly name: string;
    readonly type: WorkPoolType;
    readonly description?: string;
    readonly workQueues: readonly string[];
    readonly concurrencyLimit?: number;
    readonly paused: boolean;
    readonly manage: boolean;
    readonly deleteOnPoolDeletion: boolean;
  };
  readonly worker: {
    readonly image: string;
    readonly cpu: number;
    readonly memory: number;
    readonly architecture: 'ARM64' | 'X86_64';
    readonly ephemeralStorageGiB?: number;
    readonly limit?: number;
    readonly env: Readonly<Record<string, string>>;
    readonly secrets: Readonly<Record<string, string>>;
    readonly extraPipPackages?: string;
    readonly taskRoleArn?: string;
    readonly spot: number;
  };
  readonly scaling: {
    readonly mode: 'auto' | 'fixed';
    readonly workers?: number;
    readonly minWorkers: number;
    readonly maxWorkers: number;
    readonly backlogPerWorker: number;
    readonly cpuTargetPercent: number;
    readonly scaleOutCooldownSeconds: number;
    readonly scaleInCooldownSeconds: number;
  };
  readonly network: { readonly egress: readonly ResolvedEgressRule[] };
  readonly alarms: { readonly notifyTopicArn?: string };
  readonly tags: Readonly<Record<string, string>>;
}

/** A valid pool with every default filled in: what the core works from. */
export interface ResolvedPool {
  readonly name: string;
  readonly generation?: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: ResolvedPoolSpec;
}

function definedEntries(record: Record<string, string | undefined> | undefined): Record<string, string> {
  // fromEntries defines own properties, so a key like "__proto__" survives as data.
  return Object.fromEntries(
    Object.entries(record ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Expects a manifest that passed schema validation. */
export function withDefaults(manifest: PrefectWorkerPool): ResolvedPool {
  const spec: PoolSpec = manifest.spec;
  const workPool: WorkPoolSpec = spec.workPool ?? {};
  const type: WorkPoolType = workPool.type ?? 'process';
  const worker = spec.worker ?? {};
  const scaling = spec.scaling ?? {};
  return withoutUndefined({
    name: manifest.metadata.name,
    generation: manifest.metadata.generation,
    labels: definedEntries(manifest.metadata.labels),
    spec: {
      prefect: withoutUndefined({ ...spec.prefect }),
      workPool: withoutUndefined({
        name: workPool.name ?? manifest.metadata.name,
        type,
        description: workPool.description,
        workQueues: workPool.workQueues ?? ['default'],
        concurrencyLimit: workPool.concurrencyLimit,
        paused: workPool.paused ?? false,
        manage: workPool.manage ?? true,
        deleteOnPoolDeletion: workPool.deleteOnPoolDeletion ?? false,
      }),
      worker: withoutUndefined({
        image: worker.image ?? defaultImages[type],
        cpu: worker.cpu ?? 512,
        memory: worker.memory ?? 1024,
        architecture: worker.architecture ?? 'ARM64',
        ephemeralStorageGiB: worker.ephemeralStorageGiB,
        limit: worker.limit,
        env: definedEntries(worker.env),
        secrets: definedEntries(worker.secrets),
        extraPipPackages: worker.extraPipPackages,
        taskRoleArn: worker.taskRoleArn,
        spot: worker.spot ?? 0,
      }),
      scaling: withoutUndefined({
        mode: scaling.mode ?? 'auto',
        workers: scaling.workers,
        minWorkers: scaling.minWorkers ?? 0,
        maxWorkers: scaling.maxWorkers ?? 10,
        backlogPerWorker: scaling.backlogPerWorker ?? 5,
        cpuTargetPercent: scaling.cpuTargetPercent ?? 70,
        scaleOutCooldownSeconds: scaling.scaleOutCooldownSeconds ?? 60,
        scaleInCooldownSeconds: scaling.scaleInCooldownSeconds ?? 300,
      }),
      network: {
        egress: (spec.network?.egress ?? [{ port: 443, protocol: 'tcp', cidr: '0.0.0.0/0' }]).map((rule) => {
          const protocol = rule.protocol ?? 'tcp';
          const fromPort = protocol === 'all' ? -1 : (rule.port ?? rule.fromPort ?? 0);
          const toPort = protocol === 'all' ? -1 : (rule.port ?? rule.toPort ?? fromPort);
          return withoutUndefined({
            protocol,
            fromPort,
            toPort,
            cidr: rule.cidr,
            description: rule.description,
          });
        }),
      },
      alarms: withoutUndefined({ notifyTopicArn: spec.alarms?.notifyTopicArn }),
      tags: definedEntries(spec.tags),
    },
  });
}

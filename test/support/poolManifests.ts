/** Manifests for integration tests, valid against the test environment's configuration. */
export const testSecretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect/api-key';

/** The manifest's frame around a spec: the same for every test pool. */
function manifest(
  name: string,
  apiKeySecretArn: string,
  spec: Record<string, unknown>,
): Record<string, unknown> {
  return {
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name },
    spec: {
      prefect: { apiUrl: 'https://api.prefect.cloud/api/accounts/a/workspaces/w', apiKeySecretArn },
      ...spec,
    },
  };
}

export interface ManifestOptions {
  readonly image?: string;
  readonly cpu?: number;
  readonly memory?: number;
  readonly workers?: number;
  readonly egress?: readonly Record<string, unknown>[];
  readonly spot?: number;
}

/** A process-type pool with a fixed worker count (the scaler does not move it). */
export function processPoolManifest(name: string, options: ManifestOptions = {}): Record<string, unknown> {
  return manifest(name, testSecretArn, {
    workPool: { type: 'process', workQueues: ['default'] },
    worker: {
      image: options.image ?? 'prefecthq/prefect:3-python3.12',
      cpu: options.cpu ?? 512,
      memory: options.memory ?? 1024,
      limit: 4,
      env: { LOG_LEVEL: 'INFO' },
      secrets: { DB_PASSWORD: `${testSecretArn.replace('api-key', 'db-password')}` },
      spot: options.spot ?? 0,
    },
    scaling: { mode: 'fixed', workers: options.workers ?? 1 },
    network: { egress: options.egress ?? [{ port: 443, cidr: '0.0.0.0/0' }] },
    tags: { CostCenter: '1234' },
  });
}

export interface AutoPoolOptions {
  readonly type?: 'process' | 'ecs';
  readonly minWorkers?: number;
  readonly maxWorkers?: number;
  readonly backlogPerWorker?: number;
  readonly scaleOutCooldownSeconds?: number;
  readonly scaleInCooldownSeconds?: number;
  readonly paused?: boolean;
  readonly concurrencyLimit?: number;
  /** The API key secret; the test environment's example secret holds a known value. */
  readonly apiKeySecretArn?: string;
}

/** An auto-scaling pool: the scaler owns its count within [minWorkers, maxWorkers]. */
export function autoPoolManifest(name: string, options: AutoPoolOptions = {}): Record<string, unknown> {
  return manifest(name, options.apiKeySecretArn ?? testSecretArn, {
    workPool: {
      type: options.type ?? 'process',
      paused: options.paused ?? false,
      ...(options.concurrencyLimit !== undefined ? { concurrencyLimit: options.concurrencyLimit } : {}),
    },
    worker: { cpu: 512, memory: 1024 },
    scaling: {
      mode: 'auto',
      minWorkers: options.minWorkers ?? 0,
      maxWorkers: options.maxWorkers ?? 10,
      backlogPerWorker: options.backlogPerWorker ?? 5,
      scaleOutCooldownSeconds: options.scaleOutCooldownSeconds ?? 60,
      scaleInCooldownSeconds: options.scaleInCooldownSeconds ?? 300,
    },
  });
}

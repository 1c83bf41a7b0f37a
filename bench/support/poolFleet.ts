/**
 * The pools the benchmark runs: one in ten auto-scaled (five alarms each, backlog from Prefect), the rest
 * fixed at zero workers (the cheapest pool to reach Ready on moto, one health alarm each). Manifests come
 * from the tests' own builders; every pool reads its Prefect API key from the local example secret.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { poolTableKeys } from '../../controller/api/tableContract.js';
import { reconcilePool } from '../../controller/reconciler/reconcilePool.js';
import type { ReconcilerDependencies } from '../../controller/reconciler/reconcilerDependencies.js';
import type { ReconcileResult } from '../../controller/reconciler/reconcileResult.js';
import { autoPoolManifest, processPoolManifest } from '../../test/support/poolManifests.js';

/** Every `autoEvery`-th pool is auto-scaled. */
export const autoEvery = 10;

export function poolName(index: number, prefix = 'p'): string {
  return `${prefix}${String(index).padStart(4, '0')}`;
}

export function isAutoPool(index: number): boolean {
  return index % autoEvery === 0;
}

export function fleetManifest(
  name: string,
  kind: 'auto' | 'fixed',
  secretArn: string,
  options: { workers?: number } = {},
): Record<string, unknown> {
  if (kind === 'auto') return autoPoolManifest(name, { apiKeySecretArn: secretArn });
  const manifest = processPoolManifest(name, { workers: options.workers ?? 0 }) as {
    spec: { prefect: Record<string, unknown> };
  };
  manifest.spec.prefect.apiKeySecretArn = secretArn;
  return manifest as unknown as Record<string, unknown>;
}

export interface FleetPool {
  readonly name: string;
  readonly item: Record<string, unknown>;
}

/** Spec items for pools `from` (inclusive) to `to` (exclusive) of the fleet. */
export function fleetSpecItems(from: number, to: number, secretArn: string, prefix = 'p'): FleetPool[] {
  const pools: FleetPool[] = [];
  for (let index = from; index < to; index++) {
    const name = poolName(index, prefix);
    const manifest = fleetManifest(name, isAutoPool(index) ? 'auto' : 'fixed', secretArn);
    pools.push({
      name,
      item: {
        [poolTableKeys.partitionKey]: name,
        [poolTableKeys.sortKey]: poolTableKeys.specSortKey,
        ...manifest,
      },
    });
  }
  return pools;
}

/** Puts spec items as `poolctl apply` or a script would, 25 a BatchWriteItem, a few at once. */
export async function putSpecItems(
  dynamodb: DynamoDBDocumentClient,
  tableName: string,
  pools: readonly FleetPool[],
): Promise<void> {
  const limit = pLimit(4);
  const batches: FleetPool[][] = [];
  for (let i = 0; i < pools.length; i += 25) batches.push(pools.slice(i, i + 25));
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        let requests: Record<string, unknown>[] = batch.map((pool) => ({ PutRequest: { Item: pool.item } }));
        while (requests.length > 0) {
          const response = await dynamodb.send(
            new BatchWriteCommand({ RequestItems: { [tableName]: requests as never } }),
          );
          requests = (response.UnprocessedItems?.[tableName] ?? []) as Record<string, unknown>[];
        }
      }),
    ),
  );
}

/**
 * Brings pools to their first status quickly: reconciles each directly, many at once, with no pacing
 * (moto has no quotas). The benchmark measures what comes after, not this.
 */
export async function reconcileAll(
  deps: ReconcilerDependencies,
  names: readonly string[],
  concurrency = 16,
): Promise<ReconcileResult[]> {
  const limit = pLimit(concurrency);
  return Promise.all(names.map((name) => limit(() => reconcilePool(deps, name))));
}

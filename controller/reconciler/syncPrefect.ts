/**
 * The Prefect side of a reconcile: make the work pool match the spec. It runs only when due (spec
 * changed, last sync failed, or every ten minutes), never throws, and never holds up the ECS side:
 * its outcome is a PrefectSynced condition.
 */
import type { ResolvedPool } from '../api/poolDefaults.js';
import type { PrefectStatus, PrefectWorkerPoolStatus } from '../api/generated/prefectWorkerPoolStatus.js';
import type { ConditionUpdate } from '../core/poolStatus.js';
import { findCondition } from '../core/poolStatus.js';
import { isPrefectApiError } from '../prefect/prefectErrors.js';
import { syncWorkPool, type EcsJobTemplateDefaults } from '../prefect/workPoolSync.js';
import type { ReconcilerDependencies } from './reconcilerDependencies.js';

export const prefectResyncMs = 10 * 60_000;

export interface PrefectSyncOutcome {
  readonly condition: ConditionUpdate;
  readonly prefect: PrefectStatus;
}

export function isPrefectSyncDue(
  previous: PrefectWorkerPoolStatus | undefined,
  specHash: string,
  now: Date,
  enabled: boolean,
): boolean {
  const condition = findCondition(previous, 'PrefectSynced');
  if (!enabled) return condition?.reason !== 'PrefectAccessDisabled';
  if (!previous?.prefect?.lastSyncTime || previous.prefect.syncedSpecHash !== specHash) return true;
  if (condition?.status !== 'True') return true;
  return now.getTime() - Date.parse(previous.prefect.lastSyncTime) >= prefectResyncMs;
}

function statusBase(pool: ResolvedPool, now: Date, previous: PrefectStatus | undefined): PrefectStatus {
  const { prefect } = pool.spec;
  return {
    ...previous,
    workPoolName: pool.spec.workPool.name,
    workPoolType: pool.spec.workPool.type,
    deleteWorkPoolOnDeletion: pool.spec.workPool.manage && pool.spec.workPool.deleteOnPoolDeletion,
    connection: {
      apiUrl: prefect.apiUrl,
      ...(prefect.apiKeySecretArn ? { apiKeySecretArn: prefect.apiKeySecretArn } : {}),
      ...(prefect.authStringSecretArn ? { authStringSecretArn: prefect.authStringSecretArn } : {}),
    },
    lastSyncTime: now.toISOString(),
  };
}

export async function syncPrefect(
  deps: ReconcilerDependencies,
  pool: ResolvedPool,
  specHash: string,
  previous: PrefectStatus | undefined,
  ecsDefaults: EcsJobTemplateDefaults | undefined,
): Promise<PrefectSyncOutcome> {
  const now = deps.clock.now();
  const base = statusBase(pool, now, previous);
  const connection = await deps.prefect.connect(pool.spec.prefect);
  if (!connection.available) {
    return {
      condition: {
        type: 'PrefectSynced',
        status: connection.reason === 'PrefectAccessDisabled' ? 'Unknown' : 'False',
        reason: connection.reason,
        message: connection.message,
      },
      prefect: base,
    };
  }
  const name = pool.spec.workPool.name;
  try {
    const result = await syncWorkPool(
      connection.client,
      pool,
      pool.spec.workPool.type === 'ecs' ? ecsDefaults : undefined,
    );
    switch (result.outcome) {
      case 'missing':
      case 'typeMismatch':
        return {
          condition: {
            type: 'PrefectSynced',
            status: 'False',
            reason: result.reason,
            message: result.message,
          },
          prefect: base,
        };
      case 'unmanaged':
        return {
          condition: {
            type: 'PrefectSynced',
            status: 'True',
            reason: 'WorkPoolUnmanaged',
            message: `work pool "${name}" exists; spec.workPool.manage is false, so it is left as it is`,
          },
          prefect: { ...base, syncedSpecHash: specHash },
        };
      default: {
        const what =
          result.outcome === 'created'
            ? 'created'
            : result.outcome === 'updated'
              ? `updated (${result.changed.join(', ')})`
              : 'in sync';
        const notes = result.notes.length > 0 ? `; ${result.notes.join('; ')}` : '';
        return {
          condition: {
            type: 'PrefectSynced',
            status: 'True',
            reason: 'WorkPoolSynced',
            message: `work pool "${name}" ${what}${notes}`,
          },
          prefect: {
            ...base,
            syncedSpecHash: specHash,
            ...(result.outcome === 'created' && result.pool.status
              ? { workPoolStatus: result.pool.status }
              : {}),
          },
        };
      }
    }
  } catch (error) {
    // PrefectApiError messages carry method, path and status only: never the credential.
    const reason = isPrefectApiError(error) ? error.reason : 'PrefectError';
    const message = error instanceof Error ? error.message : String(error);
    return {
      condition: {
        type: 'PrefectSynced',
        status: 'False',
        reason,
        message: `work pool "${name}": ${message}`,
      },
      prefect: base,
    };
  }
}

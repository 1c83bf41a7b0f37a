/**
 * DynamoDB stream → reconcile. Thin: find the pools the records are about, reconcile each once (several
 * records for one pool share one reconcile: it is level-based), and report per-record failures so one
 * bad record never blocks the others (ReportBatchItemFailures).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent, DynamoDBBatchResponse } from 'aws-lambda';
import { poolTableKeys } from '../api/tableContract.js';
import { Deadline } from '../reconciler/deadline.js';
import { reconcilePool } from '../reconciler/reconcilePool.js';
import type { ReconcilerDependencies } from '../reconciler/reconcilerDependencies.js';
import type { ReconcileResult } from '../reconciler/reconcileResult.js';

/** A record the controller cannot make sense of; retrying will not help, it goes to the failure queue. */
export class PoisonRecordError extends Error {
  override readonly name = 'PoisonRecordError';
}

/** Not started because the invocation was running out of time; Lambda delivers it again. */
export class DeadlineReachedError extends Error {
  override readonly name = 'DeadlineReachedError';
}

/** The reconcile hit a transient error (throttling, 5xx): fail the record so Lambda retries it soon. */
export class TransientReconcileError extends Error {
  override readonly name = 'TransientReconcileError';
}

export interface StreamRecordKey {
  readonly pool: string;
  readonly isSpec: boolean;
}

export function streamRecordKey(record: DynamoDBRecord): StreamRecordKey {
  const keys = record.dynamodb?.Keys;
  const pool = keys?.[poolTableKeys.partitionKey]?.S;
  const sortKey = keys?.[poolTableKeys.sortKey]?.S;
  if (!pool || sortKey === undefined) {
    throw new PoisonRecordError(
      `stream record ${record.eventID ?? '(no id)'} has no string keys ${poolTableKeys.partitionKey}/${poolTableKeys.sortKey}`,
    );
  }
  return { pool, isSpec: sortKey === poolTableKeys.specSortKey };
}

export function createStreamHandler(getDeps: () => ReconcilerDependencies) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
    const deps = getDeps();
    const deadline = Deadline.fromLambdaContext(context, deps.config.deadlineSafetyMs);
    deps.pacer?.setBudget(() => deadline.budgetMs());
    const reconciles = new Map<string, Promise<ReconcileResult>>();

    const handleRecord = async (record: DynamoDBRecord): Promise<void> => {
      const key = streamRecordKey(record);
      // The event filter passes spec items only; a status record reaching here is ignored, not retried.
      if (!key.isSpec) return;
      let pending = reconciles.get(key.pool);
      if (!pending) {
        if (!deadline.hasTimeForAnother()) {
          throw new DeadlineReachedError(
            `not started: the invocation is running out of time (pool ${key.pool})`,
          );
        }
        pending = reconcilePool(deps, key.pool);
        reconciles.set(key.pool, pending);
      }
      const result = await pending;
      if (result.error && result.retryable) {
        throw new TransientReconcileError(`${result.error.code}: ${result.error.message}`);
      }
    };

    // Every record failing is reported record by record too: Lambda retries the same way, and callers
    // (the local poller, tests) get one shape of answer.
    return processPartialResponse(event, handleRecord, processor, {
      ...(context ? { context } : {}),
      throwOnFullBatchFailure: false,
    });
  };
}

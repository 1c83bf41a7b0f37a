/**
 * The local stand-in for the Lambda event source mapping on the table stream: reads every shard from
 * TRIM_HORIZON, applies the deployed event filter, and invokes the stream handler with batches, one
 * batch at a time (the handler is not re-entrant, and a shard's records must stay in order).
 *
 * Failure handling follows the mapping's settings (DESIGN §6.3): records reported in batchItemFailures
 * are delivered again from the first failed one, with backoff, at most `maximumRetryAttempts` times; then
 * they are logged and skipped, where the deployment sends them to its on-failure queue.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { poolTableKeys } from '../api/tableContract.js';
import { passesStreamEventFilter } from '../handlers/streamEventFilter.js';
import { BackgroundLoop } from './backgroundLoop.js';
import { createLocalLambdaContext } from './localLambdaContext.js';
import { toLambdaStreamRecord } from './toLambdaStreamRecord.js';

export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerOptions {
  readonly streams: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: StreamHandler;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Records per invocation, like the mapping's BatchSize (default 100). */
  readonly batchSize?: number;
  /** Pause between reads when a read found nothing (default 300 ms). */
  readonly pollIntervalMs?: number;
  /** Deliveries after the first before a failing batch is skipped (default 5). */
  readonly maximumRetryAttempts?: number;
  /** Delay before retry number `attempt` (1-based); default 0.5 s doubling, at most 8 s. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** The time budget each invocation's context reports (default 60 s). */
  readonly invocationTimeoutMs?: number;
  /** How often the shard list is read again for new shards (default 10 s). */
  readonly shardRefreshMs?: number;
  /** Where the read starts in shards seen for the first time (default TRIM_HORIZON, as deployed). */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Called after every invocation (e.g. to look at status right away). */
  readonly afterInvocation?: () => void;
  /** Called with the records given up on after the last retry (the on-failure destination's stand-in). */
  readonly onDiscarded?: (records: readonly DynamoDBRecord[], reason: string) => void;
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** undefined: get one; null: the shard is closed and fully read. */
  iterator: string | null | undefined;
  /** Sequence number of the last record read, to resume after an expired iterator. */
  lastReadSequence: string | undefined;
  /** Read and passing the filter, not yet acknowledged by the handler. */
  pending: DynamoDBRecord[];
  retry: { readonly firstSequence: string; attempts: number; notBefore: number } | undefined;
}

const defaultRetryDelayMs = (attempt: number): number => Math.min(8_000, 500 * 2 ** (attempt - 1));

export class StreamPoller extends BackgroundLoop {
  private readonly shards = new Map<string, ShardState>();
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maximumRetryAttempts: number;
  private readonly retryDelayMs: (attempt: number) => number;
  private readonly invocationTimeoutMs: number;
  private readonly shardRefreshMs: number;
  private lastShardRefresh = Number.NEGATIVE_INFINITY;
  private shardClosed = false;

  constructor(private readonly options: StreamPollerOptions) {
    super();
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 300;
    this.maximumRetryAttempts = options.maximumRetryAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? defaultRetryDelayMs;
    this.invocationTimeoutMs = options.invocationTimeoutMs ?? 60_000;
    this.shardRefreshMs = options.shardRefreshMs ?? 10_000;
  }

  /** Reads until stop(), which resolves once an invocation in flight has finished. */
  protected async run(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        busy = await this.pollOnce();
      } catch (error) {
        // The stream or the endpoint is unreachable for now: say so and keep trying at the normal pace.
        this.options.logger.error('stream poll failed', { error });
      }
      if (!busy) await this.pause(this.pollIntervalMs);
    }
  }

  /** One pass over the shards; true when it delivered or read records (so the next pass goes at once). */
  private async pollOnce(): Promise<boolean> {
    // A shard that just closed has a child to read next: look for it at once rather than at the next refresh.
    if (Date.now() - this.lastShardRefresh >= this.shardRefreshMs || this.shardClosed) {
      this.shardClosed = false;
      await this.refreshShards();
    }

    let busy = false;
    for (const shard of this.shards.values()) {
      if (this.stopped) break;
      if (shard.iterator === null && shard.pending.length === 0) continue;
      // A child shard's records come after its parent's: read it only once the parent is done.
      const parent = shard.parentShardId ? this.shards.get(shard.parentShardId) : undefined;
      if (parent && !isFinished(parent)) continue;
      if (shard.retry && Date.now() < shard.retry.notBefore) continue;
      if (shard.pending.length === 0) busy = (await this.read(shard)) || busy;
      if (shard.pending.length > 0 && !(shard.retry && Date.now() < shard.retry.notBefore)) {
        await this.deliver(shard);
        busy = true;
      }
    }
    return busy;
  }

  private async refreshShards(): Promise<void> {
    const listed: Shard[] = [];
    let startShardId: string | undefined;
    do {
      const page = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: startShardId }),
      );
      listed.push(...(page.StreamDescription?.Shards ?? []));
      startShardId = page.StreamDescription?.LastEvaluatedShardId;
    } while (startShardId);
    this.lastShardRefresh = Date.now();

    const listedIds = new Set<string>();
    for (const shard of listed) {
      if (!shard.ShardId) continue;
      listedIds.add(shard.ShardId);
      if (this.shards.has(shard.ShardId)) continue;
      this.shards.set(shard.ShardId, {
        shardId: shard.ShardId,
        parentShardId: shard.ParentShardId,
        iterator: undefined,
        lastReadSequence: undefined,
        pending: [],
        retry: undefined,
      });
    }
    // Shards past the stream's 24-hour retention disappear from the list; forget them once read.
    for (const [id, shard] of this.shards) {
      if (!listedIds.has(id) && isFinished(shard)) this.shards.delete(id);
    }
  }

  /** Reads the next records of a shard into `pending`; true when it read any. */
  private async read(shard: ShardState): Promise<boolean> {
    const { streams, streamArn } = this.options;
    if (shard.iterator === undefined) {
      const type: ShardIteratorType = shard.lastReadSequence
        ? 'AFTER_SEQUENCE_NUMBER'
        : (this.options.startingPosition ?? 'TRIM_HORIZON');
      const answer = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.shardId,
          ShardIteratorType: type,
          ...(shard.lastReadSequence ? { SequenceNumber: shard.lastReadSequence } : {}),
        }),
      );
      shard.iterator = answer.ShardIterator ?? null;
      if (shard.iterator === null) {
        this.shardClosed = true;
        return false;
      }
    }
    if (shard.iterator === null) return false;

    let answer;
    try {
      answer = await streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: this.batchSize }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ExpiredIteratorException') {
        // Iterators live 15 minutes on AWS; resume after the last record read.
        shard.iterator = undefined;
        return false;
      }
      if (name === 'TrimmedDataAccessException') {
        this.options.logger.warn('stream records expired before they were read', { shard: shard.shardId });
        shard.iterator = undefined;
        shard.lastReadSequence = undefined;
        return false;
      }
      throw error;
    }
    shard.iterator = answer.NextShardIterator ?? null;
    if (shard.iterator === null) this.shardClosed = true;
    const records = answer.Records ?? [];
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) shard.lastReadSequence = last;
    // Like the mapping, records the filter drops are never delivered and count as processed.
    shard.pending = records
      .map((record) => toLambdaStreamRecord(record, streamArn))
      .filter(passesStreamEventFilter);
    return records.length > 0;
  }

  private async deliver(shard: ShardState): Promise<void> {
    const batch = shard.pending.slice(0, this.batchSize);
    let failedFrom: number;
    try {
      const response = await this.options.handler(
        { Records: batch },
        createLocalLambdaContext('stream-handler', this.invocationTimeoutMs),
      );
      failedFrom = firstFailedIndex(batch, response ?? undefined);
    } catch (error) {
      // A thrown error (or a timed-out invocation) fails the whole batch.
      this.options.logger.error('stream handler failed the whole batch', { error, records: batch.length });
      failedFrom = 0;
    } finally {
      this.options.afterInvocation?.();
    }

    if (failedFrom >= batch.length) {
      shard.pending = shard.pending.slice(batch.length);
      shard.retry = undefined;
      return;
    }
    shard.pending = shard.pending.slice(failedFrom);
    const firstSequence = shard.pending[0]?.dynamodb?.SequenceNumber ?? '';
    const attempts = shard.retry?.firstSequence === firstSequence ? shard.retry.attempts + 1 : 1;
    const retried = batch.slice(failedFrom);
    if (attempts > this.maximumRetryAttempts) {
      shard.pending = shard.pending.slice(retried.length);
      shard.retry = undefined;
      const reason = `still failing after ${this.maximumRetryAttempts} retries`;
      this.options.logger.error('stream records skipped', {
        reason,
        sequenceNumbers: retried.map((record) => record.dynamodb?.SequenceNumber),
        pools: [...new Set(retried.map((record) => record.dynamodb?.Keys?.[poolTableKeys.partitionKey]?.S))],
      });
      this.options.onDiscarded?.(retried, reason);
      return;
    }
    shard.retry = { firstSequence, attempts, notBefore: Date.now() + this.retryDelayMs(attempts) };
    this.options.logger.warn('stream records will be delivered again', {
      attempt: attempts,
      maximumRetryAttempts: this.maximumRetryAttempts,
      fromSequenceNumber: firstSequence,
      records: retried.length,
    });
  }
}

function isFinished(shard: ShardState): boolean {
  return shard.iterator === null && shard.pending.length === 0;
}

/**
 * Index of the first record to deliver again. As with the deployed mapping, an identifier that names no
 * record of the batch fails the whole batch.
 */
function firstFailedIndex(
  batch: readonly DynamoDBRecord[],
  response: DynamoDBBatchResponse | undefined,
): number {
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return batch.length;
  let first = batch.length;
  for (const failure of failures) {
    const index = batch.findIndex((record) => record.dynamodb?.SequenceNumber === failure.itemIdentifier);
    if (index < 0) return 0;
    first = Math.min(first, index);
  }
  return first;
}

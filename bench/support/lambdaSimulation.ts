/**
 * Lambda's side of a bulk apply, played in process: the DynamoDB stream's event source mapping (shards
 * read in order, batches of records, ReportBatchItemFailures with retries from the first failed record,
 * a bounded number of retries before a record goes to the failure queue) and the EventBridge schedule
 * (an invocation every interval, overlapping if the previous one still runs, as Lambda allows). Each
 * invocation gets a Lambda context whose remaining time counts down from the function's timeout; the
 * handler is never cut off, so an invocation that overruns its time is counted instead.
 */
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { createLocalLambdaContext } from '../../controller/local/localLambdaContext.js';

export interface InvocationRecord {
  readonly fn: 'stream' | 'schedule';
  /** The container (stream: the shard's index; schedule: 0). */
  readonly container: number;
  /** performance.now() at the start. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
  /** What the handler returned (the schedule's summary), when it returned. */
  readonly result?: unknown;
  readonly records?: number;
  readonly failedRecords?: number;
  /** The handler threw (Lambda would retry the whole batch, or drop the scheduled event). */
  readonly threw?: boolean;
}

export class InvocationLog {
  readonly invocations: InvocationRecord[] = [];

  add(record: InvocationRecord): void {
    this.invocations.push(record);
  }

  overruns(fn?: InvocationRecord['fn']): InvocationRecord[] {
    return this.invocations.filter((i) => (!fn || i.fn === fn) && i.durationMs > i.timeoutMs);
  }

  count(fn: InvocationRecord['fn']): number {
    return this.invocations.filter((i) => i.fn === fn).length;
  }

  longest(fn: InvocationRecord['fn']): InvocationRecord | undefined {
    return this.invocations
      .filter((i) => i.fn === fn)
      .reduce<InvocationRecord | undefined>((a, b) => (!a || b.durationMs > a.durationMs ? b : a), undefined);
  }
}

/** INSERT records for spec items, as the stream delivers them after the event filter (spec items only). */
export function specInsertRecords(pools: readonly string[]): DynamoDBRecord[] {
  return pools.map((pool, index) => {
    const sequence = String(index + 1).padStart(21, '0');
    return {
      eventID: `bench-${sequence}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: 'us-east-1',
      dynamodb: { Keys: { pk: { S: pool }, sk: { S: 'spec' } }, SequenceNumber: sequence },
    };
  });
}

/** Records of one item always land in the same shard (DynamoDB shards by partition key). */
export function assignShards(records: readonly DynamoDBRecord[], shards: number): DynamoDBRecord[][] {
  const assigned: DynamoDBRecord[][] = Array.from({ length: shards }, () => []);
  for (const record of records) {
    const key = record.dynamodb?.Keys?.pk?.S ?? '';
    const digest = createHash('md5').update(key).digest();
    (assigned[digest.readUInt32BE(0) % shards] as DynamoDBRecord[]).push(record);
  }
  return assigned;
}

export type StreamHandler = (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse>;

export interface ShardOptions {
  readonly shard: number;
  readonly batchSize: number;
  /** The function's timeout, in wall milliseconds. */
  readonly timeoutMs: number;
  /** Retries of a failing record before it goes to the failure queue. */
  readonly retryAttempts: number;
  readonly log: InvocationLog;
  readonly stopped: () => boolean;
}

export interface ShardOutcome {
  /** Records given up on after their retries (the failure queue); the drift pass picks their pools up. */
  readonly toFailureQueue: string[];
  readonly deliveries: number;
}

/**
 * One shard, read in order: a batch at a time; when records fail, the shard resumes from the first failed
 * one (records after it are delivered again), as Lambda does with ReportBatchItemFailures.
 */
export async function runStreamShard(
  records: readonly DynamoDBRecord[],
  handler: StreamHandler,
  options: ShardOptions,
): Promise<ShardOutcome> {
  const toFailureQueue: string[] = [];
  let position = 0;
  let attempts = 0;
  let deliveries = 0;
  while (position < records.length && !options.stopped()) {
    const batch = records.slice(position, position + options.batchSize);
    deliveries += batch.length;
    const startedAt = performance.now();
    let failed: Set<string>;
    let threw = false;
    try {
      const response = await handler(
        { Records: batch },
        createLocalLambdaContext('stream', options.timeoutMs),
      );
      failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier ?? ''));
    } catch {
      threw = true;
      failed = new Set(batch.map((record) => record.dynamodb?.SequenceNumber ?? ''));
    }
    options.log.add({
      fn: 'stream',
      container: options.shard,
      startedAt,
      durationMs: performance.now() - startedAt,
      timeoutMs: options.timeoutMs,
      records: batch.length,
      failedRecords: failed.size,
      ...(threw ? { threw } : {}),
    });
    const firstFailed = batch.findIndex((record) => failed.has(record.dynamodb?.SequenceNumber ?? ''));
    if (firstFailed < 0) {
      position += batch.length;
      attempts = 0;
      continue;
    }
    if (firstFailed > 0) {
      position += firstFailed;
      attempts = 1;
      continue;
    }
    attempts += 1;
    if (attempts > options.retryAttempts) {
      toFailureQueue.push(batch[0]?.dynamodb?.Keys?.pk?.S ?? '?');
      position += 1;
      attempts = 0;
    }
  }
  return { toFailureQueue, deliveries };
}

export interface ScheduleOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly log: InvocationLog;
}

/**
 * The EventBridge schedule: an invocation every interval until stopped; stop() waits for the one in
 * flight. A tick that comes while the previous invocation still runs is skipped (and counted): on AWS a
 * pass over a thousand pools takes seconds, on moto tens of them, and overlapping passes would only
 * measure moto.
 */
export class ScheduleTicker {
  skipped = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly invoke: (context: Context) => Promise<unknown>,
    private readonly options: ScheduleOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  private tick(): void {
    if (this.inFlight.size > 0) {
      this.skipped += 1;
      return;
    }
    const startedAt = performance.now();
    const running = this.invoke(createLocalLambdaContext('schedule', this.options.timeoutMs)).then(
      (result) => ({ threw: false, result }),
      () => ({ threw: true, result: undefined }),
    );
    const done = running.then(({ threw, result }) => {
      this.options.log.add({
        fn: 'schedule',
        container: 0,
        startedAt,
        durationMs: performance.now() - startedAt,
        timeoutMs: this.options.timeoutMs,
        ...(result !== undefined ? { result } : {}),
        ...(threw ? { threw } : {}),
      });
      this.inFlight.delete(done);
    });
    this.inFlight.add(done);
  }
}

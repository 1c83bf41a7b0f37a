/**
 * Many pools applied at once under AWS's API quotas, played by the fault proxy at `speed` times AWS's
 * refill rates: the stream Lambda (one container per shard) and the schedule Lambda reconcile them through
 * the proxy until every pool's status is Ready. The time that takes is compared with the least time the
 * quotas allow for the mutating calls the run needed (quotaLowerBoundSeconds), and every status written on
 * the way is checked for a throttling error.
 *
 * Time is scaled by the same speed: the controller's pacer refills `speed` times faster (bursts unchanged,
 * as the proxy's), and the stream function's timeout, its deadline safety margin, the handlers' 20 s cap on
 * a pacer wait and the schedule's interval are divided by it. Not scaled: moto's own latency, the SDK's
 * retry backoff, the lease TTL and the status grace period (all slower than AWS in played time, so the run
 * errs on the slow side) — and the schedule function's timeout and margin: its pass starts with reads
 * whose time on moto does not shrink with the speed (a Scan of a thousand pools takes moto seconds, AWS a
 * fraction of one), so a scaled timeout would charge moto's slowness to the controller.
 */
import { ApiPacer, awsPacedCategories } from '../../controller/aws/apiPacer.js';
import { poolTableKeys } from '../../controller/api/tableContract.js';
import type { PrefectWorkerPoolStatus } from '../../controller/core/poolStatus.js';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { createStreamHandler } from '../../controller/handlers/streamHandler.js';
import { awsQuotaBuckets, quotaLowerBoundSeconds } from '../../test/support/awsQuotas.js';
import { isMutatingOperation } from '../../test/support/awsCallRecorder.js';
import { startFaultProxy, type FaultProxy } from '../../test/support/faultProxy.js';
import { boundsByBucket, scaledPacedCategories, type BucketBound } from '../analysis/quotaScaling.js';
import { mapEndpoints, type BenchAws } from '../support/benchAws.js';
import { createBenchRuntime, type BenchRuntime } from '../support/benchRuntime.js';
import { fleetSpecItems, putSpecItems } from '../support/poolFleet.js';
import {
  assignShards,
  InvocationLog,
  runStreamShard,
  ScheduleTicker,
  specInsertRecords,
  type ShardOutcome,
} from '../support/lambdaSimulation.js';
import { summarizeCalls, type CallSummary, type TimedCall } from '../support/timedCallRecorder.js';

/** Both handlers cap a pacer wait at 20 s (and at what the invocation has left). */
export const handlerPacerWaitCapMs = 20_000;

/** The controller's pacer at `speed` times AWS's rates, its wait cap scaled the same way. */
export class ScaledApiPacer extends ApiPacer {
  private readonly capMs: number;
  constructor(readonly speed: number) {
    super(scaledPacedCategories(awsPacedCategories, speed));
    this.capMs = handlerPacerWaitCapMs / speed;
    this.setMaxWait(this.capMs);
  }
  override setMaxWait(ms: number): void {
    super.setMaxWait(Math.min(ms, this.capMs));
  }
}

export interface QuotaScenarioOptions {
  readonly pools: number;
  readonly speed: number;
  /** Stream shards, each read by one Lambda container at a time (parallelization factor 1). */
  readonly shards: number;
  /** The deployment's settings (infra defaults), in AWS time. */
  readonly batchSize: number;
  readonly streamTimeoutMs: number;
  /** Not scaled (see above). */
  readonly scheduleTimeoutMs: number;
  readonly scheduleIntervalMs: number;
  readonly retryAttempts: number;
  readonly deadlineSafetyMs: number;
  readonly reconcileConcurrency: number;
  /** Give up waiting after this many wall milliseconds. */
  readonly giveUpMs: number;
}

export interface ThrottleInStatus {
  readonly pool: string;
  readonly code: string;
  readonly message: string;
}

export interface QuotaScenarioResult {
  readonly pools: number;
  readonly speed: number;
  readonly settings: Omit<QuotaScenarioOptions, 'giveUpMs'>;
  readonly putSpecsMs: number;
  readonly converged: boolean;
  readonly readyPools: number;
  /** Wall time from the first invocation until every pool's status was Ready. */
  readonly convergeSeconds: number;
  /** The least time the quotas allow for the mutating calls made, at this speed. */
  readonly lowerBoundSeconds: number;
  readonly ratio: number;
  readonly bindingBuckets: readonly BucketBound[];
  /** Successful mutating calls that reached moto, by `Service.Operation`. */
  readonly mutatingCalls: Record<string, number>;
  /** Every call the controller made, as its SDK clients saw them (retries inside a call not counted). */
  readonly controllerCalls: CallSummary;
  /** Calls answered with a throttling error by the played quotas (SDK attempts, retries included). */
  readonly throttledByProxy: number;
  readonly throttledByBucket: Record<string, number>;
  /** When half, 90%, 99% and all of the pools had become Ready (seconds from the start). */
  readonly readyAfterSeconds: {
    readonly half: number;
    readonly p90: number;
    readonly p99: number;
    readonly all: number;
  };
  /** The work each Lambda container did: the stream's (one per shard) and the schedule's. */
  readonly byContainer: { readonly stream: readonly ContainerWork[]; readonly schedule: ContainerWork };
  /** Calls that failed with a throttling error after the SDK's retries (reached the controller's code). */
  readonly throttlingErrorsInController: number;
  readonly pacerWaitedSeconds: number;
  /** Status writes whose error was throttling or pacing (target 0), and the pools they concern. */
  readonly throttlingInStatus: {
    readonly writes: number;
    readonly pools: number;
    readonly examples: readonly ThrottleInStatus[];
  };
  /** Status writes showing a tolerated transient error (Provisioned Unknown, reason Retrying). */
  readonly retryingStatusWrites: number;
  readonly statusWrites: number;
  readonly finalThrottlingStatuses: number;
  readonly invocations: {
    readonly stream: number;
    readonly schedule: number;
    /** Ticks that came while the previous schedule invocation still ran. */
    readonly scheduleTicksSkipped: number;
    readonly overruns: number;
    readonly streamOverruns: number;
    readonly scheduleOverruns: number;
    readonly longestStreamMs: number;
    readonly longestScheduleMs: number;
    readonly streamTimeoutWallMs: number;
    readonly scheduleTimeoutWallMs: number;
    readonly recordDeliveries: number;
    readonly failedRecordDeliveries: number;
    readonly toFailureQueue: number;
    readonly overrunDetails: readonly OverrunDetail[];
  };
}

export interface ContainerWork {
  readonly calls: number;
  /** Successful ECS, EC2 and CloudWatch alarm changes made from this container. */
  readonly resourceChanges: number;
  readonly throttlingErrors: number;
  readonly pacerWaitedSeconds: number;
}

/** An invocation that ran past its timeout, and what it was doing after its safety margin began. */
export interface OverrunDetail {
  readonly fn: 'stream' | 'schedule';
  readonly durationMs: number;
  readonly timeoutMs: number;
  readonly pastTimeoutMs: number;
  /** Calls still running (or queued in the pacer) once less than the safety margin was left. */
  readonly callsEndingPastSafetyMargin: Record<string, number>;
  /** The longest of those, counted from the start of the safety margin. */
  readonly longestOfThoseMs: number;
  readonly result?: unknown;
}

const throttlePattern = /throttl|RequestLimitExceeded|TooManyRequests|Rate exceeded|ApiCapacity|SlowDown/i;

function throttleIn(status: PrefectWorkerPoolStatus): { code: string; message: string } | undefined {
  if (status.lastError && throttlePattern.test(`${status.lastError.code} ${status.lastError.message}`)) {
    return { code: status.lastError.code ?? '?', message: status.lastError.message ?? '' };
  }
  for (const condition of status.conditions ?? []) {
    if (condition.status === 'False' && throttlePattern.test(`${condition.reason} ${condition.message}`)) {
      return { code: condition.reason, message: condition.message };
    }
  }
  return undefined;
}

function isRetrying(status: PrefectWorkerPoolStatus): boolean {
  return (status.conditions ?? []).some((c) => c.type === 'Provisioned' && c.reason === 'Retrying');
}

export async function runQuotaScenario(
  aws: BenchAws,
  options: QuotaScenarioOptions,
  onProgress: (line: string) => void = () => {},
): Promise<QuotaScenarioResult> {
  const { speed } = options;
  const setup = createBenchRuntime({ config: aws.config, endpoints: aws.endpoints, pacer: null });
  // One proxy per moto; each plays every bucket, and sees only the calls of the services behind it.
  const proxies = new Map<string, FaultProxy>();
  for (const moto of aws.motos) proxies.set(moto.endpoint, await startFaultProxy(moto.endpoint));
  const proxied = mapEndpoints(aws.endpoints, (endpoint) => (proxies.get(endpoint) as FaultProxy).endpoint);
  const runtimes: BenchRuntime[] = [];
  try {
    const fleet = fleetSpecItems(0, options.pools, aws.infra.exampleSecretArn);
    const putStarted = performance.now();
    await putSpecItems(setup.clients.dynamodb, aws.config.tableName, fleet);
    const putSpecsMs = performance.now() - putStarted;

    const config = {
      ...aws.config,
      reconcileConcurrency: options.reconcileConcurrency,
      deadlineSafetyMs: Math.round(options.deadlineSafetyMs / speed),
    };
    const newContainer = (scaledMargin = true): BenchRuntime => {
      const runtime = createBenchRuntime({
        config: scaledMargin ? config : aws.config,
        endpoints: proxied,
        pacer: new ScaledApiPacer(speed),
      });
      runtime.recorder.observe((call, input) => {
        if (call.service !== 'DynamoDB' || call.operation !== 'PutItem') return;
        const item = (input as { Item?: Record<string, unknown> }).Item;
        if (item?.[poolTableKeys.sortKey] !== poolTableKeys.statusSortKey) return;
        onStatus(String(item[poolTableKeys.partitionKey]), item.status as PrefectWorkerPoolStatus);
      });
      runtimes.push(runtime);
      return runtime;
    };

    // Status as written, pool by pool: convergence and throttling are read from here, as they happen.
    const latest = new Map<string, PrefectWorkerPoolStatus>();
    const throttled: ThrottleInStatus[] = [];
    const throttledPools = new Set<string>();
    let statusWrites = 0;
    let retryingWrites = 0;
    let ready = 0;
    let convergedAt: number | undefined;
    const readyTimes: number[] = [];
    let wake: () => void = () => {};
    const convergence = new Promise<void>((resolve) => (wake = resolve));
    const onStatus = (pool: string, status: PrefectWorkerPoolStatus): void => {
      statusWrites += 1;
      if (isRetrying(status)) retryingWrites += 1;
      const throttle = throttleIn(status);
      if (throttle) {
        throttled.push({ pool, ...throttle });
        throttledPools.add(pool);
      }
      const wasReady = latest.get(pool)?.phase === 'Ready';
      latest.set(pool, status);
      const isReady = status.phase === 'Ready';
      if (isReady !== wasReady) ready += isReady ? 1 : -1;
      if (isReady && !wasReady) readyTimes.push(Date.now());
      if (ready === options.pools && convergedAt === undefined) {
        convergedAt = Date.now();
        wake();
      }
    };

    const log = new InvocationLog();
    const shards = assignShards(specInsertRecords(fleet.map((pool) => pool.name)), options.shards);
    const streamTimeoutMs = options.streamTimeoutMs / speed;
    const scheduleTimeoutMs = options.scheduleTimeoutMs;
    const scheduleRuntime = newContainer(false);
    const handleSchedule = createScheduleHandler(() => scheduleRuntime.deps);
    const ticker = new ScheduleTicker((context) => handleSchedule({}, context), {
      intervalMs: options.scheduleIntervalMs / speed,
      timeoutMs: scheduleTimeoutMs,
      log,
    });
    let stopped = false;

    for (const proxy of proxies.values()) {
      proxy.resetLog();
      proxy.playQuotas(awsQuotaBuckets, { speed });
    }
    const startedAt = Date.now();
    const progress = setInterval(
      () =>
        onProgress(
          `quota: ${ready}/${options.pools} Ready after ${Math.round((Date.now() - startedAt) / 1000)} s`,
        ),
      30_000,
    );
    ticker.start();
    const shardRuntimes = shards.map(() => newContainer());
    const shardRuns: Promise<ShardOutcome>[] = shards.map((records, shard) => {
      const runtime = shardRuntimes[shard] as BenchRuntime;
      return runStreamShard(
        records,
        createStreamHandler(() => runtime.deps),
        {
          shard,
          batchSize: options.batchSize,
          timeoutMs: streamTimeoutMs,
          retryAttempts: options.retryAttempts,
          log,
          stopped: () => stopped,
        },
      );
    });
    let giveUpTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      convergence,
      new Promise<void>((resolve) => (giveUpTimer = setTimeout(resolve, options.giveUpMs))),
    ]);
    clearTimeout(giveUpTimer);
    clearInterval(progress);
    const endedAt = convergedAt ?? Date.now();
    stopped = true;
    const [outcomes] = await Promise.all([Promise.all(shardRuns), ticker.stop()]);
    for (const proxy of proxies.values()) proxy.stopQuotas();

    const proxyLog = [...proxies.values()].flatMap((proxy) => proxy.log);
    const window = proxyLog.filter((call) => call.startedAt >= startedAt && call.startedAt <= endedAt);
    const mutatingCalls: Record<string, number> = {};
    for (const call of window) {
      if (!call.forwarded || call.status < 200 || call.status >= 300 || !isMutatingOperation(call.operation))
        continue;
      const key = `${call.service}.${call.operation}`;
      mutatingCalls[key] = (mutatingCalls[key] ?? 0) + 1;
    }
    const throttledByBucket: Record<string, number> = {};
    for (const call of proxyLog) {
      if (call.quota) throttledByBucket[call.quota] = (throttledByBucket[call.quota] ?? 0) + 1;
    }
    const lowerBoundSeconds = quotaLowerBoundSeconds(mutatingCalls, awsQuotaBuckets, speed);
    const convergeSeconds = (endedAt - startedAt) / 1000;

    const allCalls: TimedCall[] = runtimes.flatMap((runtime) => runtime.recorder.calls);
    const final = await setup.deps.table.scanPools();
    const finalReady = final.filter((pool) => pool.status?.status.phase === 'Ready').length;
    const finalThrottling = final.filter((pool) => pool.status && throttleIn(pool.status.status)).length;
    const streamInvocations = log.invocations.filter((i) => i.fn === 'stream');
    const readyAfter = (share: number): number => {
      const at = readyTimes[Math.ceil(share * options.pools) - 1];
      return at === undefined ? Number.NaN : (at - startedAt) / 1000;
    };
    const containerWork = (runtime: BenchRuntime): ContainerWork => {
      const calls = runtime.recorder.calls;
      return {
        calls: calls.length,
        resourceChanges: calls.filter(
          (c) => c.ok && c.mutating && c.service !== 'DynamoDB' && c.operation !== 'PutMetricData',
        ).length,
        throttlingErrors: calls.filter((c) => c.errorName && throttlePattern.test(c.errorName)).length,
        pacerWaitedSeconds: (runtime.pacer?.waitedMs ?? 0) / 1000,
      };
    };
    const overruns = log.overruns().map((invocation): OverrunDetail => {
      const runtime =
        invocation.fn === 'schedule'
          ? scheduleRuntime
          : (shardRuntimes[invocation.container] as BenchRuntime);
      const margin = invocation.fn === 'schedule' ? aws.config.deadlineSafetyMs : config.deadlineSafetyMs;
      const deadlineAt = invocation.startedAt + invocation.timeoutMs - margin;
      const endedAt = invocation.startedAt + invocation.durationMs;
      const late = runtime.recorder.calls.filter(
        (call) => call.endedAt > deadlineAt && call.startedAt < endedAt,
      );
      return {
        fn: invocation.fn,
        durationMs: invocation.durationMs,
        timeoutMs: invocation.timeoutMs,
        pastTimeoutMs: invocation.durationMs - invocation.timeoutMs,
        callsEndingPastSafetyMargin: summarizeCalls(late).byOperation,
        longestOfThoseMs: Math.max(
          0,
          ...late.map((call) => call.endedAt - Math.max(call.startedAt, deadlineAt)),
        ),
        ...(invocation.result !== undefined ? { result: invocation.result } : {}),
      };
    });

    return {
      pools: options.pools,
      speed,
      settings: {
        pools: options.pools,
        speed,
        shards: options.shards,
        batchSize: options.batchSize,
        streamTimeoutMs: options.streamTimeoutMs,
        scheduleTimeoutMs: options.scheduleTimeoutMs,
        scheduleIntervalMs: options.scheduleIntervalMs,
        retryAttempts: options.retryAttempts,
        deadlineSafetyMs: options.deadlineSafetyMs,
        reconcileConcurrency: options.reconcileConcurrency,
      },
      putSpecsMs,
      converged: convergedAt !== undefined,
      readyPools: finalReady,
      convergeSeconds,
      lowerBoundSeconds,
      ratio: lowerBoundSeconds > 0 ? convergeSeconds / lowerBoundSeconds : Number.NaN,
      bindingBuckets: boundsByBucket(mutatingCalls, awsQuotaBuckets, speed).slice(0, 4),
      mutatingCalls: Object.fromEntries(Object.entries(mutatingCalls).sort(([a], [b]) => a.localeCompare(b))),
      controllerCalls: summarizeCalls(allCalls),
      throttledByProxy: [...proxies.values()].reduce((sum, proxy) => sum + proxy.throttledCount(), 0),
      throttledByBucket,
      readyAfterSeconds: {
        half: readyAfter(0.5),
        p90: readyAfter(0.9),
        p99: readyAfter(0.99),
        all: readyAfter(1),
      },
      byContainer: {
        stream: shardRuntimes.map(containerWork),
        schedule: containerWork(scheduleRuntime),
      },
      throttlingErrorsInController: allCalls.filter(
        (call) => call.errorName && throttlePattern.test(call.errorName),
      ).length,
      pacerWaitedSeconds: runtimes.reduce((sum, runtime) => sum + (runtime.pacer?.waitedMs ?? 0), 0) / 1000,
      throttlingInStatus: {
        writes: throttled.length,
        pools: throttledPools.size,
        examples: throttled.slice(0, 5),
      },
      retryingStatusWrites: retryingWrites,
      statusWrites,
      finalThrottlingStatuses: finalThrottling,
      invocations: {
        stream: log.count('stream'),
        schedule: log.count('schedule'),
        scheduleTicksSkipped: ticker.skipped,
        overruns: log.overruns().length,
        streamOverruns: log.overruns('stream').length,
        scheduleOverruns: log.overruns('schedule').length,
        longestStreamMs: log.longest('stream')?.durationMs ?? 0,
        longestScheduleMs: log.longest('schedule')?.durationMs ?? 0,
        streamTimeoutWallMs: streamTimeoutMs,
        scheduleTimeoutWallMs: scheduleTimeoutMs,
        recordDeliveries: outcomes.reduce((sum, outcome) => sum + outcome.deliveries, 0),
        failedRecordDeliveries: streamInvocations.reduce((sum, i) => sum + (i.failedRecords ?? 0), 0),
        toFailureQueue: outcomes.reduce((sum, outcome) => sum + outcome.toFailureQueue.length, 0),
        overrunDetails: overruns,
      },
    };
  } finally {
    await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
    for (const runtime of runtimes) runtime.destroy();
    setup.destroy();
  }
}

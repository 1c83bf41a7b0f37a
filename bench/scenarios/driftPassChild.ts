/**
 * One schedule Lambda container, in a process of its own so its memory is its own: the runtime built as
 * createControllerRuntime builds it (real pacer, INFO logs, EMF metrics flushed after each invocation),
 * the schedule handler invoked until a pass changes nothing, then a few more times. Reports through the
 * IPC channel; its stdout (the controller's logs) goes nowhere.
 */
import { createScheduleHandler, type ScheduleSummary } from '../../controller/handlers/scheduleHandler.js';
import type { ControllerConfig } from '../../controller/config/controllerConfig.js';
import { createLocalLambdaContext } from '../../controller/local/localLambdaContext.js';
import { createControllerLogger } from '../../controller/observability/controllerLogger.js';
import {
  createControllerMetrics,
  EmfReconcileMetrics,
} from '../../controller/observability/reconcileMetrics.js';
import { busyMilliseconds } from '../analysis/callTimeline.js';
import type { ServiceEndpoints } from '../support/benchAws.js';
import { createBenchRuntime } from '../support/benchRuntime.js';
import { summarizeCalls, type CallSummary, type TimedCall } from '../support/timedCallRecorder.js';

export interface DriftChildInput {
  readonly config: ControllerConfig;
  readonly endpoints: ServiceEndpoints;
  /** Passes allowed before the pools must be settled (a pass that changes nothing). */
  readonly maxPasses: number;
  /** Passes measured after the first settled one, for the wall time's median. */
  readonly extraPasses: number;
  /** Moves the controller's clock forward, e.g. past the status heartbeat. */
  readonly clockOffsetMs: number;
  readonly lambdaTimeoutMs: number;
}

export interface MutatingBreakdown {
  /** ECS, EC2 and CloudWatch alarm changes: drift corrections. */
  readonly resources: number;
  /** DynamoDB writes: status items, leases. */
  readonly statusWrites: number;
  /** CloudWatch PutMetricData: the backlog metric the scaling pass publishes each tick. */
  readonly metricData: number;
}

export interface DriftPassMeasurement {
  /** Nothing was changed: no resource mutation and no status write. */
  readonly settled: boolean;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Time with at least one AWS call in flight. */
  readonly awsBusyMs: number;
  /** Time the ApiPacer held calls back to AWS's rates. */
  readonly pacerWaitedMs: number;
  readonly prefectRequests: number;
  readonly calls: CallSummary;
  readonly mutating: MutatingBreakdown;
  readonly summary: ScheduleSummary;
}

export interface DriftChildResult {
  /** Passes it took to reach a settled one (that one included). */
  readonly passesToSettle: number;
  /** What the passes before the settled one changed. */
  readonly settling: readonly MutatingBreakdown[];
  readonly passes: readonly DriftPassMeasurement[];
  readonly memory: {
    /** After loading the code and building the runtime, before the first pass. */
    readonly rssBeforeBytes: number;
    readonly peakRssBytes: number;
    readonly heapUsedBeforeBytes: number;
    /** Sampled every few milliseconds during the passes. */
    readonly peakHeapUsedBytes: number;
  };
}

export function mutatingBreakdown(calls: readonly TimedCall[]): MutatingBreakdown {
  let resources = 0;
  let statusWrites = 0;
  let metricData = 0;
  for (const call of calls) {
    if (!call.mutating) continue;
    if (call.service === 'DynamoDB') statusWrites += 1;
    else if (call.operation === 'PutMetricData') metricData += 1;
    else resources += 1;
  }
  return { resources, statusWrites, metricData };
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_DRIFT_INPUT ?? '') as DriftChildInput;
  let prefectRequests = 0;
  const realFetch = globalThis.fetch;
  globalThis.fetch = (...args: Parameters<typeof fetch>) => {
    prefectRequests += 1;
    return realFetch(...args);
  };
  const metrics = new EmfReconcileMetrics(createControllerMetrics(input.config.instanceId));
  const runtime = createBenchRuntime({
    config: input.config,
    endpoints: input.endpoints,
    clock: { now: () => new Date(Date.now() + input.clockOffsetMs) },
    logger: createControllerLogger(),
    metrics,
  });
  const handleSchedule = createScheduleHandler(() => runtime.deps);
  const before = process.memoryUsage();
  let peakHeapUsed = before.heapUsed;
  const sampler = setInterval(() => {
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
  }, 5);

  const passes: DriftPassMeasurement[] = [];
  const settling: MutatingBreakdown[] = [];
  let passesToSettle = 0;
  for (let pass = 1; pass <= input.maxPasses + input.extraPasses; pass++) {
    runtime.recorder.clear();
    prefectRequests = 0;
    const waitedBefore = runtime.pacer?.waitedMs ?? 0;
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const summary = await handleSchedule({}, createLocalLambdaContext('schedule', input.lambdaTimeoutMs));
    metrics.flush();
    const wallMs = performance.now() - startedAt;
    const cpu = process.cpuUsage(cpuBefore);
    peakHeapUsed = Math.max(peakHeapUsed, process.memoryUsage().heapUsed);
    const calls = runtime.recorder.take();
    const mutating = mutatingBreakdown(calls);
    const measurement: DriftPassMeasurement = {
      settled: mutating.resources === 0 && mutating.statusWrites === 0,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      awsBusyMs: busyMilliseconds(calls),
      pacerWaitedMs: (runtime.pacer?.waitedMs ?? 0) - waitedBefore,
      prefectRequests,
      calls: summarizeCalls(calls),
      mutating,
      summary,
    };
    if (passesToSettle === 0) {
      if (measurement.settled || pass >= input.maxPasses) {
        passesToSettle = pass;
      } else {
        settling.push(mutating);
        continue;
      }
    }
    passes.push(measurement);
    if (passes.length > input.extraPasses) break;
  }
  clearInterval(sampler);
  const result: DriftChildResult = {
    passesToSettle,
    settling,
    passes,
    memory: {
      rssBeforeBytes: before.rss,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      heapUsedBeforeBytes: before.heapUsed,
      peakHeapUsedBytes: peakHeapUsed,
    },
  };
  runtime.destroy();
  await new Promise<void>((resolve, reject) =>
    process.send?.(result, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

if (process.send) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

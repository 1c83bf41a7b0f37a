/**
 * A scaling alarm to UpdateService: an auto pool's backlog scale-out alarm goes to ALARM (set in moto, as
 * CloudWatch would), and the alarm handler gets the EventBridge event CloudWatch sends. Measured: the AWS
 * calls, the wall time, the time with an AWS call in flight, and the controller's own time (the rest), on
 * several pools; the first invocation in the process is reported apart (a cold container's).
 */
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { alarmName } from '../../controller/core/poolAlarms.js';
import { createAlarmHandler } from '../../controller/handlers/alarmHandler.js';
import { createLocalLambdaContext } from '../../controller/local/localLambdaContext.js';
import { poolResourceNames } from '../../controller/api/resourceNames.js';
import { setAlarmStateAndEvent } from '../../test/support/alarmEvents.js';
import { busyMilliseconds, longestSequentialChain, median } from '../analysis/callTimeline.js';
import type { BenchAws } from '../support/benchAws.js';
import { createBenchRuntime } from '../support/benchRuntime.js';
import { fleetManifest, putSpecItems, reconcileAll } from '../support/poolFleet.js';
import { summarizeCalls, type CallSummary } from '../support/timedCallRecorder.js';

const alarmTimeoutMs = 60_000;
/** Backlog per worker the event reports; the pools' target is 5 per worker, so 23 asks for 5 workers. */
const datapoint = 23;

export interface AlarmSample {
  readonly pool: string;
  readonly wallMs: number;
  readonly awsBusyMs: number;
  /** Wall time with no AWS call in flight: the controller's own work (and the event loop's). */
  readonly controllerMs: number;
  /** CPU time of the process during the invocation (the SDK's request signing and parsing included). */
  readonly cpuMs: number;
  readonly calls: CallSummary;
  readonly sequentialRoundTrips: number;
  readonly outcome: string;
  readonly desiredCountAfter: number | undefined;
}

export interface AlarmScenarioResult {
  readonly first: AlarmSample;
  readonly samples: readonly AlarmSample[];
  readonly median: {
    readonly calls: number;
    readonly wallMs: number;
    readonly awsBusyMs: number;
    readonly controllerMs: number;
    readonly cpuMs: number;
    readonly sequentialRoundTrips: number;
  };
}

export async function runAlarmScenario(aws: BenchAws, samples: number): Promise<AlarmScenarioResult> {
  const setup = createBenchRuntime({ config: aws.config, endpoints: aws.endpoints, pacer: null });
  const runtime = createBenchRuntime({ config: aws.config, endpoints: aws.endpoints });
  try {
    const pools = Array.from({ length: samples + 1 }, (_, index) => `alarm-${index}`);
    await putSpecItems(
      setup.clients.dynamodb,
      aws.config.tableName,
      pools.map((pool) => ({
        name: pool,
        item: { pk: pool, sk: 'spec', ...fleetManifest(pool, 'auto', aws.infra.exampleSecretArn) },
      })),
    );
    await reconcileAll(setup.deps, pools);
    const handle = createAlarmHandler(() => runtime.deps);
    const measured: AlarmSample[] = [];
    for (const pool of pools) {
      const name = alarmName(aws.config.instanceId, pool, 'backlog-scale-out');
      const event = await setAlarmStateAndEvent(setup.clients.cloudwatch, {
        alarmName: name,
        datapoint,
        time: new Date(),
        reason: 'bench',
        id: `bench-${name}`,
      });
      runtime.recorder.clear();
      const cpuBefore = process.cpuUsage();
      const startedAt = performance.now();
      const outcome = await handle(event, createLocalLambdaContext('alarm', alarmTimeoutMs));
      const wallMs = performance.now() - startedAt;
      const cpu = process.cpuUsage(cpuBefore);
      const calls = runtime.recorder.take();
      const awsBusyMs = busyMilliseconds(calls);
      const service = await setup.clients.ecs.send(
        new DescribeServicesCommand({
          cluster: aws.config.clusterName,
          services: [poolResourceNames(aws.config.instanceId, pool).serviceName],
        }),
      );
      measured.push({
        pool,
        wallMs,
        awsBusyMs,
        controllerMs: wallMs - awsBusyMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        calls: summarizeCalls(calls),
        sequentialRoundTrips: longestSequentialChain(calls).length,
        outcome: outcome.handled
          ? `${outcome.result.decision?.outcome ?? outcome.result.skipped ?? '?'} to ${outcome.result.decision?.desired ?? '?'}`
          : `ignored: ${outcome.reason}`,
        desiredCountAfter: service.services?.[0]?.desiredCount,
      });
    }
    const [first, ...rest] = measured as [AlarmSample, ...AlarmSample[]];
    const of = (pick: (sample: AlarmSample) => number): number => median(rest.map(pick));
    return {
      first,
      samples: rest,
      median: {
        calls: of((s) => s.calls.calls),
        wallMs: of((s) => s.wallMs),
        awsBusyMs: of((s) => s.awsBusyMs),
        controllerMs: of((s) => s.controllerMs),
        cpuMs: of((s) => s.cpuMs),
        sequentialRoundTrips: of((s) => s.sequentialRoundTrips),
      },
    };
  } finally {
    runtime.destroy();
    setup.destroy();
  }
}

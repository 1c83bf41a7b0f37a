/**
 * The benchmark's report: one JSON document with every figure, and the same as Markdown for people (a
 * summary of the targets of DESIGN §9 first, then each figure with what it is compared with), plus a small
 * SVG of the drift pass's growth.
 */
import type { BenchOptions } from './benchOptions.js';
import type { AlarmScenarioResult } from './scenarios/alarmScenario.js';
import type { BundleResult } from './scenarios/bundleScenario.js';
import type { CreatePoolResult } from './scenarios/createScenario.js';
import type { DriftSizeResult } from './scenarios/driftScenario.js';
import type { QuotaScenarioResult } from './scenarios/quotaScenario.js';

export interface TargetCheck {
  readonly figure: string;
  readonly target: string;
  readonly measured: string;
  /** null: a figure to read, with no pass/fail line in DESIGN §9. */
  readonly met: boolean | null;
}

export interface BenchmarkReport {
  readonly meta: {
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly durationSeconds: number;
    readonly command: string;
    readonly options: Omit<BenchOptions, 'scenarios'> & { readonly scenarios: readonly string[] };
    readonly machine: {
      readonly node: string;
      readonly platform: string;
      readonly cpus: number;
      readonly cpuModel: string;
      readonly memoryBytes: number;
      readonly motoVersion: string;
      /** 1, 5 and 15 minute load averages: above the CPU count, something else competed for the machine. */
      readonly loadAverageBefore: readonly number[];
      readonly loadAverageAfter: readonly number[];
    };
    readonly scenarioSeconds: Record<string, number>;
  };
  readonly targets: readonly TargetCheck[];
  readonly drift?: {
    readonly sizes: readonly DriftSizeResult[];
    /** Schedule intervals of the shipped environments, for the steady-state heartbeat figure. */
    readonly scheduleMinutes: { readonly dev: number; readonly production: number };
    readonly statusHeartbeatMinutes: number;
  };
  readonly create?: readonly CreatePoolResult[];
  readonly alarm?: AlarmScenarioResult;
  readonly quota?: QuotaScenarioResult;
  readonly bundles?: readonly BundleResult[];
  readonly errors: readonly { readonly scenario: string; readonly message: string }[];
}

const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
const kib = (bytes: number): string => `${fmt(bytes / 1024, 0)} KiB`;
const mib = (bytes: number): string => `${fmt(bytes / 1024 / 1024, 0)} MiB`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function byOperation(calls: Record<string, number>): string {
  return Object.entries(calls)
    .map(([operation, count]) => `${operation} ${count}`)
    .join(', ');
}

export function evaluateTargets(report: Omit<BenchmarkReport, 'targets'>): TargetCheck[] {
  const targets: TargetCheck[] = [];
  const largest = report.drift?.sizes.at(-1);
  if (largest) {
    targets.push({
      figure: `Drift pass over ${fmt(largest.pools)} unchanged pools: AWS calls per pool`,
      target: '≤ 0.2',
      measured: `${fmt(largest.awsCallsPerPool, 3)} (as AWS pages them; ${fmt(largest.callsPerPool, 3)} as moto answered); a per-resource refresh: ${fmt(largest.baseline.callsPerPool, 2)}, ${fmt(largest.baselineRatio, 0)}× more`,
      met: largest.awsCallsPerPool <= 0.2,
    });
    const m = largest.measured.mutating;
    targets.push({
      figure: `Drift pass over ${fmt(largest.pools)} unchanged pools: mutating calls`,
      target: '0',
      measured: `${m.resources + m.statusWrites} (resources ${m.resources}, status writes ${m.statusWrites}); PutMetricData ${m.metricData} (the scaling pass publishing the backlog metric)`,
      met: m.resources + m.statusWrites === 0,
    });
    const steady = steadyState(report);
    if (steady) {
      targets.push({
        figure: `Drift pass over ${fmt(largest.pools)} unchanged pools in the steady state (status heartbeat every ${steady.heartbeatMinutes} min, a pass every ${steady.scheduleMinutes} min)`,
        target: '≤ 0.2 calls per pool, 0 mutating',
        measured: `${fmt(steady.callsPerPool, 3)} calls per pool, ${fmt(steady.mutatingPerPool, 2)} status writes per pool per pass on average (heartbeat pass measured at ${fmt(steady.measuredAt)} pools)`,
        met: steady.callsPerPool <= 0.2 && steady.mutatingPerPool === 0,
      });
    }
  }
  for (const created of report.create ?? []) {
    targets.push({
      figure: `Create one ${created.kind} pool: mutating calls, sequential round trips`,
      target: 'independent steps in parallel; few round trips',
      measured: `${created.mutatingAwsCalls} AWS + ${created.tableWrites} DynamoDB writes; ${created.sequentialRoundTrips} sequential round trips of ${created.naiveSequentialRoundTrips} calls`,
      met: null,
    });
  }
  const quota = report.quota;
  if (quota) {
    targets.push({
      figure: `${fmt(quota.pools)} pools applied at once under quotas (×${quota.speed}): time ÷ lower bound`,
      target: 'close to 1',
      measured: quota.converged
        ? `${fmt(quota.convergeSeconds, 1)} s ÷ ${fmt(quota.lowerBoundSeconds, 1)} s = ${fmt(quota.ratio, 2)}`
        : `not converged after ${fmt(quota.convergeSeconds, 0)} s (${quota.readyPools} Ready)`,
      met: quota.converged ? null : false,
    });
    targets.push({
      figure: 'Throttling errors that reached a status',
      target: '0',
      measured: `${quota.throttlingInStatus.writes} status writes (${quota.throttlingInStatus.pools} pools); ${quota.finalThrottlingStatuses} at the end`,
      met: quota.throttlingInStatus.writes === 0 && quota.finalThrottlingStatuses === 0,
    });
    targets.push({
      figure: 'Invocations that overran their time',
      target: '0',
      measured: `${quota.invocations.overruns} of ${quota.invocations.stream + quota.invocations.schedule} (stream ${quota.invocations.streamOverruns}, schedule ${quota.invocations.scheduleOverruns})`,
      met: quota.invocations.overruns === 0,
    });
  }
  if (report.alarm) {
    const median = report.alarm.median;
    targets.push({
      figure: 'Alarm event to UpdateService',
      target: 'a few calls, milliseconds of controller time',
      measured: `${fmt(median.calls)} calls (${fmt(median.sequentialRoundTrips)} sequential); ${fmt(median.wallMs, 1)} ms wall, ${fmt(median.controllerMs, 1)} ms controller, ${fmt(median.cpuMs, 1)} ms CPU (median)`,
      met: null,
    });
  }
  for (const bundle of report.bundles ?? []) {
    targets.push({
      figure: `Bundle ${bundle.name}: size, load time`,
      target: 'small and quick to load, against the unbundled code',
      measured: `${kib(bundle.bytes)} (${kib(bundle.gzipBytes)} gzip); ${fmt(bundle.bundled.medianMs, 0)} ms vs ${fmt(bundle.unbundled.medianMs, 0)} ms unbundled: ${fmt(bundle.ratio, 1)}× quicker`,
      met: null,
    });
  }
  if (largest) {
    targets.push({
      figure: `Peak memory of the ${fmt(largest.pools)}-pool drift pass`,
      target: 'fits the function (512 MiB dev, 1,024 MiB production)',
      measured: `${mib(largest.memory.peakRssBytes)} RSS peak (${mib(largest.memory.rssBeforeBytes)} before the pass), ${mib(largest.memory.peakHeapUsedBytes)} heap peak`,
      met: largest.memory.peakRssBytes < 512 * 1024 * 1024,
    });
  }
  return targets;
}

/**
 * The drift pass averaged over the status heartbeat, at the production schedule: the settled pass at the
 * largest size plus, per pool, what a heartbeat pass adds (measured at the largest size that has one),
 * once every heartbeat interval.
 */
export function steadyState(report: Pick<BenchmarkReport, 'drift'>):
  | {
      callsPerPool: number;
      mutatingPerPool: number;
      measuredAt: number;
      scheduleMinutes: number;
      heartbeatMinutes: number;
    }
  | undefined {
  const drift = report.drift;
  const largest = drift?.sizes.at(-1);
  const withHeartbeat = drift?.sizes.filter((s) => s.heartbeat).at(-1);
  if (!drift || !largest || !withHeartbeat?.heartbeat) return undefined;
  const heartbeat = withHeartbeat.heartbeat.measurement;
  const share = drift.scheduleMinutes.production / drift.statusHeartbeatMinutes;
  const extraCalls = (heartbeat.calls.awsCalls - withHeartbeat.measured.calls.awsCalls) / withHeartbeat.pools;
  const extraWrites = heartbeat.mutating.statusWrites / withHeartbeat.pools;
  return {
    callsPerPool: largest.awsCallsPerPool + extraCalls * share,
    mutatingPerPool: extraWrites * share,
    measuredAt: withHeartbeat.pools,
    scheduleMinutes: drift.scheduleMinutes.production,
    heartbeatMinutes: drift.statusHeartbeatMinutes,
  };
}

/** Bars for the drift pass's growth, one line per fleet size. */
export function asciiBars(
  rows: readonly { label: string; value: number; note: string }[],
  width = 40,
): string[] {
  const max = Math.max(...rows.map((row) => row.value), 1);
  const labelWidth = Math.max(...rows.map((row) => row.label.length));
  return rows.map((row) => {
    const length = Math.max(row.value > 0 ? 1 : 0, Math.round((row.value / max) * width));
    return `${row.label.padStart(labelWidth)} │${'█'.repeat(length)}${' '.repeat(width - length)}│ ${row.note}`;
  });
}

/** A small SVG: total AWS calls of the drift pass and of a per-resource refresh, against pools (log-log). */
export function growthSvg(sizes: readonly DriftSizeResult[]): string {
  const w = 480;
  const h = 280;
  const pad = { left: 60, right: 20, top: 30, bottom: 40 };
  const xs = sizes.map((s) => s.pools);
  const ys = sizes.flatMap((s) => [s.measured.calls.awsCalls, s.baseline.calls]);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const [yMin, yMax] = [Math.max(1, Math.min(...ys)), Math.max(...ys)];
  const lx = (v: number) =>
    pad.left +
    ((Math.log10(v) - Math.log10(xMin)) / Math.max(1e-9, Math.log10(xMax) - Math.log10(xMin))) *
      (w - pad.left - pad.right);
  const ly = (v: number) =>
    h -
    pad.bottom -
    ((Math.log10(v) - Math.log10(yMin)) / Math.max(1e-9, Math.log10(yMax) - Math.log10(yMin))) *
      (h - pad.top - pad.bottom);
  const series = (values: readonly number[], colour: string, label: string, dy: number) => {
    const points = sizes.map((s, i) => `${lx(s.pools).toFixed(1)},${ly(values[i] as number).toFixed(1)}`);
    const dots = sizes
      .map(
        (s, i) =>
          `<circle cx="${lx(s.pools).toFixed(1)}" cy="${ly(values[i] as number).toFixed(1)}" r="3" fill="${colour}"/>` +
          `<text x="${(lx(s.pools) + 5).toFixed(1)}" y="${(ly(values[i] as number) + dy).toFixed(1)}" font-size="10" fill="${colour}">${fmt(values[i] as number)}</text>`,
      )
      .join('');
    return `<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>${dots}<text x="${pad.left + 8}" y="${pad.top - 12 + (dy > 0 ? 12 : 0)}" font-size="11" fill="${colour}">${label}</text>`;
  };
  const ticks = sizes
    .map(
      (s) =>
        `<line x1="${lx(s.pools).toFixed(1)}" y1="${h - pad.bottom}" x2="${lx(s.pools).toFixed(1)}" y2="${h - pad.bottom + 4}" stroke="#444"/>` +
        `<text x="${lx(s.pools).toFixed(1)}" y="${h - pad.bottom + 16}" font-size="10" text-anchor="middle">${fmt(s.pools)}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<line x1="${pad.left}" y1="${h - pad.bottom}" x2="${w - pad.right}" y2="${h - pad.bottom}" stroke="#444"/>`,
    `<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${h - pad.bottom}" stroke="#444"/>`,
    ticks,
    `<text x="${(w + pad.left) / 2}" y="${h - 8}" font-size="11" text-anchor="middle">pools (log scale)</text>`,
    `<text x="14" y="${(h - pad.bottom + pad.top) / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${(h - pad.bottom + pad.top) / 2})">AWS calls per pass (log scale)</text>`,
    series(
      sizes.map((s) => s.baseline.calls),
      '#c0392b',
      'per-resource refresh',
      -6,
    ),
    series(
      sizes.map((s) => s.measured.calls.awsCalls),
      '#2e86c1',
      'drift pass (as AWS pages)',
      12,
    ),
    '</svg>',
    '',
  ].join('\n');
}

export function renderMarkdown(report: BenchmarkReport): string {
  const out: string[] = [];
  const { meta } = report;
  out.push(
    '# prefect-ecs-operator benchmark',
    '',
    `Run ${meta.startedAt} → ${meta.finishedAt}: **${fmt(meta.durationSeconds, 0)} s** in all` +
      ` (\`${meta.command}\`${meta.options.quick ? ', quick' : ''}). Node ${meta.machine.node}, ${meta.machine.cpus} × ${meta.machine.cpuModel},` +
      ` ${mib(meta.machine.memoryBytes)}, moto ${meta.machine.motoVersion}. Every figure was measured in this run;` +
      ' see docs/benchmark.md for how.',
    '',
    `Load average (1, 5, 15 min) before: ${meta.machine.loadAverageBefore.join(', ')}; after: ${meta.machine.loadAverageAfter.join(', ')}` +
      (Math.max(...meta.machine.loadAverageBefore, ...meta.machine.loadAverageAfter) > meta.machine.cpus
        ? ' — **the machine was busy with other work; times are inflated**.'
        : '.'),
    '',
    `Scenario times: ${Object.entries(meta.scenarioSeconds)
      .map(([name, seconds]) => `${name} ${fmt(seconds, 0)} s`)
      .join(', ')}.`,
    '',
  );
  if (report.errors.length > 0) {
    out.push('## Errors', '', ...report.errors.map((e) => `- **${e.scenario}**: ${e.message}`), '');
  }
  out.push(
    '## Summary (DESIGN §9)',
    '',
    table(
      ['figure', 'target', 'measured', ''],
      report.targets.map((t) => [
        t.figure,
        t.target,
        t.measured,
        t.met === null ? '—' : t.met ? 'met' : '**missed**',
      ]),
    ),
    '',
  );

  const drift = report.drift;
  if (drift && drift.sizes.length > 0) {
    out.push(
      '## Drift pass over unchanged pools',
      '',
      'One schedule invocation (drift pass, garbage collection, scaling pass) in a fresh process, once a pass changed nothing.',
      '"AWS calls" splits what moto answered in one page into the pages AWS would return (DescribeAlarms 100,',
      'ListServices and ListTaskDefinitionFamilies 100). The per-resource refresh reads each managed resource once',
      '(status item, security group, task definition, service, each alarm), carried out in the same run.',
      '',
      table(
        [
          'pools (auto)',
          'calls (moto)',
          'AWS calls',
          'per pool',
          'refresh calls',
          'refresh per pool',
          'ratio',
          'mutating',
          'wall ms',
          'AWS busy ms',
          'CPU ms',
          'Prefect requests',
        ],
        drift.sizes.map((s) => [
          `${fmt(s.pools)} (${fmt(s.autoPools)})`,
          fmt(s.measured.calls.calls),
          fmt(s.measured.calls.awsCalls),
          fmt(s.awsCallsPerPool, 3),
          s.baseline.executed
            ? `${fmt(s.baseline.executed.calls.calls)} (${fmt(s.baseline.executed.wallMs, 0)} ms)`
            : `${fmt(s.baseline.calls)} (counted)`,
          fmt(s.baseline.callsPerPool, 2),
          `${fmt(s.baselineRatio, 0)}×`,
          `${s.measured.mutating.resources} + ${s.measured.mutating.statusWrites} (+${s.measured.mutating.metricData} PutMetricData)`,
          `${fmt(s.wallMsMedian, 0)}`,
          fmt(s.awsBusyMsMedian, 0),
          fmt(s.cpuMsMedian, 0),
          fmt(s.measured.prefectRequests),
        ]),
      ),
      '',
      'Calls by operation:',
      '',
      ...drift.sizes.map((s) => `- ${fmt(s.pools)} pools: ${byOperation(s.measured.calls.byOperation)}`),
      '',
      'Settling (passes before the measured one and what they changed):',
      '',
      ...drift.sizes.map(
        (s) =>
          `- ${fmt(s.pools)} pools: settled on pass ${s.passesToSettle}` +
          (s.settling.length > 0
            ? ` (before: ${s.settling.map((m) => `${m.resources} resource changes, ${m.statusWrites} status writes`).join('; ')})`
            : '') +
          (s.measured.settled ? '' : ' — **did not settle: the measured pass still changed something**'),
      ),
      '',
    );
    const heartbeats = drift.sizes.filter((s) => s.heartbeat);
    if (heartbeats.length > 0) {
      out.push(
        `### Status heartbeat (steady state)`,
        '',
        `An unchanged status is rewritten every ${drift.statusHeartbeatMinutes} minutes (a liveness signal), and Prefect is re-synced as often.`,
        'A pass with the clock moved past that:',
        '',
        table(
          [
            'pools',
            'AWS calls',
            'status writes',
            'resource changes',
            'Prefect requests',
            'wall ms',
            `amortized mutating/pool/pass at ${drift.scheduleMinutes.production} min (prod)`,
            `at ${drift.scheduleMinutes.dev} min (dev)`,
          ],
          heartbeats.map((s) => {
            const m = (s.heartbeat as NonNullable<DriftSizeResult['heartbeat']>).measurement;
            const perPool = m.mutating.statusWrites / s.pools;
            return [
              fmt(s.pools),
              fmt(m.calls.awsCalls),
              fmt(m.mutating.statusWrites),
              fmt(m.mutating.resources),
              fmt(m.prefectRequests),
              fmt(m.wallMs, 0),
              fmt((perPool * drift.scheduleMinutes.production) / drift.statusHeartbeatMinutes, 2),
              fmt((perPool * drift.scheduleMinutes.dev) / drift.statusHeartbeatMinutes, 2),
            ];
          }),
        ),
        '',
      );
    }
    out.push(
      '## How the drift pass grows',
      '',
      '```',
      'AWS calls per pass (as AWS pages them)',
      ...asciiBars(
        drift.sizes.map((s) => ({
          label: `${fmt(s.pools)} pools`,
          value: s.measured.calls.awsCalls,
          note: `${fmt(s.measured.calls.awsCalls)} calls, ${fmt(s.awsCallsPerPool, 3)} per pool`,
        })),
      ),
      '',
      'Per-resource refresh, same pools',
      ...asciiBars(
        drift.sizes.map((s) => ({
          label: `${fmt(s.pools)} pools`,
          value: s.baseline.calls,
          note: `${fmt(s.baseline.calls)} calls, ${fmt(s.baseline.callsPerPool, 2)} per pool`,
        })),
      ),
      '',
      'Wall time of the pass (ms, median; moto answers slower than AWS as it fills)',
      ...asciiBars(
        drift.sizes.map((s) => ({
          label: `${fmt(s.pools)} pools`,
          value: s.wallMsMedian,
          note: `${fmt(s.wallMsMedian, 0)} ms, ${fmt(s.wallMsMedian / s.pools, 2)} ms per pool; CPU ${fmt(s.cpuMsMedian, 0)} ms`,
        })),
      ),
      '```',
      '',
      '![drift pass growth](growth.svg)',
      '',
    );
  }

  if (report.create && report.create.length > 0) {
    out.push(
      '## Creating one pool',
      '',
      'One stream record, one invocation (a warm container). Sequential round trips: the longest chain of calls each of which',
      'started after the previous one ended; naive: every call one after another.',
      '',
      table(
        [
          'pool',
          'calls',
          'mutating AWS',
          'DynamoDB writes',
          'sequential round trips',
          'naive',
          'wall ms',
          'Prefect requests',
          'phase',
        ],
        report.create.map((c) => [
          `${c.pool} (${c.kind})`,
          fmt(c.calls.calls),
          fmt(c.mutatingAwsCalls),
          fmt(c.tableWrites),
          fmt(c.sequentialRoundTrips),
          fmt(c.naiveSequentialRoundTrips),
          fmt(c.wallMs, 0),
          fmt(c.prefectRequests),
          c.phase ?? '?',
        ]),
      ),
      '',
      ...report.create.map((c) => `- ${c.pool} critical path: ${c.criticalPath.join(' → ')}`),
      ...report.create.map((c) => `- ${c.pool} calls: ${byOperation(c.calls.byOperation)}`),
      '',
    );
  }

  const quota = report.quota;
  if (quota) {
    const s = quota.settings;
    out.push(
      `## ${fmt(quota.pools)} pools applied at once, under AWS's quotas`,
      '',
      `The fault proxy plays AWS's token buckets (test/support/awsQuotas.ts) ${quota.speed}× faster. Scaled alike: the controller's`,
      `pacer, the stream function's timeout (${s.streamTimeoutMs / 1000} s → ${fmt(quota.invocations.streamTimeoutWallMs / 1000, 1)} s) and deadline margin, the handlers' cap on a pacer wait,`,
      `and the schedule's interval (${s.scheduleIntervalMs / 60_000} min → ${fmt(s.scheduleIntervalMs / quota.speed / 1000, 0)} s). Not scaled: the schedule function's timeout`,
      `(${s.scheduleTimeoutMs / 1000} s: its reads take moto seconds that do not shrink with the speed), moto's latency, the SDK's retry`,
      `backoff. ${s.shards} stream shard(s), batches of ${s.batchSize}, ${s.reconcileConcurrency} pools at once per invocation, ${s.retryAttempts} retries of a failing record.`,
      `Spec items put in ${fmt(quota.putSpecsMs / 1000, 1)} s before the clock starts.`,
      '',
      table(
        ['figure', 'value'],
        [
          [
            'converged',
            quota.converged ? `yes, ${quota.readyPools} Ready` : `**no** (${quota.readyPools} Ready)`,
          ],
          ['time to converge', `${fmt(quota.convergeSeconds, 1)} s`],
          [
            'Ready after (half, 90%, 99%, all)',
            [
              quota.readyAfterSeconds.half,
              quota.readyAfterSeconds.p90,
              quota.readyAfterSeconds.p99,
              quota.readyAfterSeconds.all,
            ]
              .map((v) => `${fmt(v, 1)} s`)
              .join(', '),
          ],
          [
            'quota-imposed lower bound',
            `${fmt(quota.lowerBoundSeconds, 1)} s (${quota.bindingBuckets[0]?.bucket ?? '?'})`,
          ],
          ['ratio', fmt(quota.ratio, 3)],
          [
            'throttling errors in a status',
            `${quota.throttlingInStatus.writes} writes, ${quota.throttlingInStatus.pools} pools (${quota.finalThrottlingStatuses} at the end)`,
          ],
          ['tolerated transient errors in a status (Retrying)', fmt(quota.retryingStatusWrites)],
          [
            'calls the played quotas throttled (SDK attempts)',
            `${fmt(quota.throttledByProxy)}: ${byOperation(quota.throttledByBucket)}`,
          ],
          ['calls failing with throttling after the SDK retries', fmt(quota.throttlingErrorsInController)],
          ['time calls queued in the pacer (sum)', `${fmt(quota.pacerWaitedSeconds, 0)} s`],
          [
            'stream invocations / schedule invocations',
            `${quota.invocations.stream} / ${quota.invocations.schedule}`,
          ],
          [
            'invocations past their time',
            `${quota.invocations.overruns} (longest stream ${fmt(quota.invocations.longestStreamMs / 1000, 1)} s of ${fmt(quota.invocations.streamTimeoutWallMs / 1000, 1)} s; longest schedule ${fmt(quota.invocations.longestScheduleMs / 1000, 1)} s of ${fmt(quota.invocations.scheduleTimeoutWallMs / 1000, 1)} s)`,
          ],
          [
            'record deliveries (failed) / to the failure queue',
            `${quota.invocations.recordDeliveries} (${quota.invocations.failedRecordDeliveries}) / ${quota.invocations.toFailureQueue}`,
          ],
          ['status writes', fmt(quota.statusWrites)],
          [
            'work by container: resource changes, throttling errors, pacer wait',
            [
              ...quota.byContainer.stream.map(
                (c, i) =>
                  `stream shard ${i}: ${fmt(c.resourceChanges)}, ${c.throttlingErrors}, ${fmt(c.pacerWaitedSeconds, 0)} s`,
              ),
              `schedule: ${fmt(quota.byContainer.schedule.resourceChanges)}, ${quota.byContainer.schedule.throttlingErrors}, ${fmt(quota.byContainer.schedule.pacerWaitedSeconds, 0)} s`,
            ].join('; '),
          ],
          [
            'schedule ticks skipped (the previous pass still ran)',
            fmt(quota.invocations.scheduleTicksSkipped),
          ],
        ],
      ),
      '',
      'Lower bound by bucket (successful mutating calls):',
      '',
      ...quota.bindingBuckets.map((b) => `- ${b.bucket}: ${fmt(b.calls)} calls → ${fmt(b.seconds, 1)} s`),
      '',
      `Successful mutating calls: ${byOperation(quota.mutatingCalls)}`,
      '',
      `All controller calls: ${byOperation(quota.controllerCalls.byOperation)}`,
      '',
      `Calls that failed (after the SDK's retries): ${byOperation(quota.controllerCalls.failures) || 'none'}`,
      '',
    );
    for (const overrun of quota.invocations.overrunDetails) {
      out.push(
        `- ${overrun.fn} invocation ran ${fmt(overrun.durationMs / 1000, 1)} s of ${fmt(overrun.timeoutMs / 1000, 1)} s (${fmt(overrun.pastTimeoutMs / 1000, 1)} s over);` +
          ` calls ending inside the safety margin: ${byOperation(overrun.callsEndingPastSafetyMargin)}; the longest ran ${fmt(overrun.longestOfThoseMs / 1000, 1)} s into it.` +
          (overrun.result ? ` Summary: \`${JSON.stringify(overrun.result)}\`` : ''),
      );
    }
    if (quota.invocations.overrunDetails.length > 0) out.push('');
  }

  const alarm = report.alarm;
  if (alarm) {
    out.push(
      '## Alarm event to UpdateService',
      '',
      'A backlog scale-out alarm of an idle auto pool goes to ALARM with 23 flow runs per worker (target 5): the handler decides 0 → 5',
      'workers and carries it out. Controller time = wall time with no AWS call in flight.',
      '',
      table(
        [
          'invocation',
          'calls',
          'sequential',
          'wall ms',
          'AWS busy ms',
          'controller ms',
          'CPU ms',
          'outcome',
          'desiredCount after',
        ],
        [alarm.first, ...alarm.samples].map((a, i) => [
          i === 0 ? `${a.pool} (first in process)` : a.pool,
          fmt(a.calls.calls),
          fmt(a.sequentialRoundTrips),
          fmt(a.wallMs, 1),
          fmt(a.awsBusyMs, 1),
          fmt(a.controllerMs, 1),
          fmt(a.cpuMs, 1),
          a.outcome,
          String(a.desiredCountAfter ?? '?'),
        ]),
      ),
      '',
      `Median of the warm ones: ${fmt(alarm.median.calls)} calls, ${fmt(alarm.median.wallMs, 1)} ms wall, ${fmt(alarm.median.controllerMs, 1)} ms controller, ${fmt(alarm.median.cpuMs, 1)} ms CPU.`,
      `Calls: ${byOperation((alarm.samples[0] ?? alarm.first).calls.byOperation)}`,
      '',
    );
  }

  const bundles = report.bundles;
  if (bundles && bundles.length > 0) {
    out.push(
      '## Lambda bundles',
      '',
      'Built by scripts/buildHandlers.ts (esbuild, minified). Load: a fresh `node --enable-source-maps` importing the entry',
      '(its runtime is built at import), median of the samples; unbundled: the same code transpiled file by file, dependencies',
      'from node_modules.',
      '',
      table(
        [
          'bundle',
          'size',
          'gzip',
          'source map',
          'load (bundle)',
          'load (unbundled)',
          'ratio',
          'through tsx',
          'RSS after load',
        ],
        bundles.map((b) => [
          b.name,
          kib(b.bytes),
          kib(b.gzipBytes),
          kib(b.sourceMapBytes),
          `${fmt(b.bundled.medianMs, 0)} ms`,
          `${fmt(b.unbundled.medianMs, 0)} ms`,
          `${fmt(b.ratio, 1)}×`,
          b.tsx ? `${fmt(b.tsx.medianMs, 0)} ms` : '—',
          mib(b.bundled.rssAfterMedianBytes),
        ]),
      ),
      '',
      ...bundles.map(
        (b) =>
          `- ${b.name}: bundle ${b.bundled.samplesMs.join(', ')} ms; unbundled ${b.unbundled.samplesMs.join(', ')} ms` +
          (b.tsx ? `; tsx ${b.tsx.samplesMs.join(', ')} ms` : ''),
      ),
      '',
    );
  }

  if (drift && drift.sizes.length > 0) {
    out.push(
      '## Memory of the drift pass',
      '',
      table(
        ['pools', 'RSS before', 'RSS peak', 'heap before', 'heap peak'],
        drift.sizes.map((s) => [
          fmt(s.pools),
          mib(s.memory.rssBeforeBytes),
          mib(s.memory.peakRssBytes),
          mib(s.memory.heapUsedBeforeBytes),
          mib(s.memory.peakHeapUsedBytes),
        ]),
      ),
      '',
      'The process loads the TypeScript sources through tsx, which its "before" figures include.',
      '',
    );
  }
  return out.join('\n');
}

/**
 * `npm run bench`: the project's benchmark (DESIGN §9, docs/benchmark.md). Runs the scenarios against moto
 * (and the fault proxy where quotas matter), writes `bench-results/<timestamp>/report.{md,json}` (and the
 * same under `bench-results/latest/`), and prints a summary.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, cpSync, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { Console } from 'node:console';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statusHeartbeatMs } from '../controller/core/poolStatus.js';
import { startPrefectStub, type PrefectStub } from '../test/support/prefectStub.js';
import { BenchOptionsError, parseBenchOptions, type BenchOptions } from './benchOptions.js';
import { evaluateTargets, growthSvg, renderMarkdown, type BenchmarkReport } from './report.js';
import { runAlarmScenario, type AlarmScenarioResult } from './scenarios/alarmScenario.js';
import { runBundleScenario, type BundleResult } from './scenarios/bundleScenario.js';
import { runCreateScenario, type CreatePoolResult } from './scenarios/createScenario.js';
import { growFleet, measureDriftSize, type DriftSizeResult } from './scenarios/driftScenario.js';
import { runQuotaScenario, type QuotaScenarioResult } from './scenarios/quotaScenario.js';
import { startBenchAws, type BenchAws } from './support/benchAws.js';
import { createBenchRuntime } from './support/benchRuntime.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const startedAt = Date.now();

/** The deployment's settings the scenarios play (infra/constructs and infra/config/environments.ts). */
const deployment = {
  streamBatchSize: 25,
  streamTimeoutMs: 5 * 60_000,
  scheduleTimeoutMs: 5 * 60_000,
  streamRetryAttempts: 5,
  reconcileConcurrency: 8,
  deadlineSafetyMs: 10_000,
  scheduleMinutes: { dev: 5, production: 1 },
} as const;

function say(line: string): void {
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  process.stdout.write(`[${String(seconds).padStart(4)} s] ${line}\n`);
}

/**
 * Powertools writes through the global console in dev mode: send it, and anything else the controller
 * logs, to a file in the results folder, so stdout carries the benchmark's own lines only.
 */
function routeControllerLogs(file: string): WriteStream {
  process.env.POWERTOOLS_DEV = 'true';
  const stream = createWriteStream(file, { flags: 'w' });
  globalThis.console = new Console({ stdout: stream, stderr: stream });
  return stream;
}

function motoVersion(): string {
  try {
    return execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof BenchOptionsError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // moto decompresses a gzip request body twice and answers 500, and the SDK gzips PutMetricData bodies
  // over 10 KB (the backlog of ~50 auto pools or more): send them plain. Children inherit this.
  process.env.AWS_DISABLE_REQUEST_COMPRESSION = 'true';
  const loadBefore = loadavg();
  const resultsRoot = resolve(root, options.resultsRoot);
  const stamp = new Date(startedAt).toISOString().replace(/[:.]/g, '-');
  const outdir = join(resultsRoot, stamp);
  mkdirSync(outdir, { recursive: true });
  const logStream = routeControllerLogs(join(outdir, 'controller.log'));
  say(
    `results: ${relative(process.cwd(), outdir) || '.'} (${[...options.scenarios].join(', ')}${options.quick ? ', quick' : ''})`,
  );

  const errors: { scenario: string; message: string }[] = [];
  const scenarioSeconds: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    const began = Date.now();
    say(`${name}…`);
    try {
      return await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ scenario: name, message });
      say(`${name} FAILED: ${message}`);
      if (error instanceof Error && error.stack) console.error(error.stack);
      return undefined;
    } finally {
      scenarioSeconds[name] = (Date.now() - began) / 1000;
    }
  };

  const want = (name: Parameters<BenchOptions['scenarios']['has']>[0]) => options.scenarios.has(name);
  const sizes = want('drift') ? options.driftSizes : [];
  const largest = sizes.at(-1);
  // The largest fleet is the quota scenario's, once it has converged: 1,000 pools are built once.
  const largestOnQuota = want('quota') && largest === options.quotaPools;
  const smallSizes = largestOnQuota ? sizes.slice(0, -1) : sizes;
  const driftSizes: DriftSizeResult[] = [];
  let heartbeats = 0;
  const measureOptions = (size: number) => ({
    extraPasses: size >= 500 ? 0 : 1,
    executeBaseline: size <= options.executeBaselineUpTo,
    // One pass with the clock past the status heartbeat, where it is cheap to run.
    ...(size <= 200 ? { heartbeatIndex: ++heartbeats } : {}),
  });

  let bundles: BundleResult[] | undefined;
  let create: CreatePoolResult[] | undefined;
  let alarm: AlarmScenarioResult | undefined;
  let quota: QuotaScenarioResult | undefined;
  const prefect: PrefectStub = await startPrefectStub();
  try {
    if (want('bundles')) {
      bundles = await timed('bundles', () =>
        runBundleScenario({
          outdir,
          samples: options.loadSamples,
          tsxSamples: options.includeTsx ? 1 : 0,
        }),
      );
    }

    if (smallSizes.length > 0 || want('create') || want('alarm')) {
      let aws: BenchAws | undefined;
      try {
        aws = await startBenchAws({ prefectUrl: prefect.url });
        const setup = createBenchRuntime({ config: aws.config, endpoints: aws.endpoints, pacer: null });
        let pools = 0;
        for (const size of smallSizes) {
          const result = await timed(`drift ${size}`, async () => {
            await growFleet(aws as BenchAws, setup, pools, size);
            pools = size;
            return measureDriftSize(aws as BenchAws, setup, measureOptions(size));
          });
          if (result) {
            driftSizes.push(result);
            say(
              `drift ${size}: ${result.measured.calls.awsCalls} AWS calls (${result.awsCallsPerPool.toFixed(3)}/pool), ${Math.round(result.wallMsMedian)} ms`,
            );
          }
        }
        if (want('create')) create = await timed('create', () => runCreateScenario(aws as BenchAws, prefect));
        if (want('alarm'))
          alarm = await timed('alarm', () => runAlarmScenario(aws as BenchAws, options.alarmSamples));
        setup.destroy();
      } finally {
        await aws?.stop();
      }
    }

    if (want('quota')) {
      let aws: BenchAws | undefined;
      try {
        aws = await startBenchAws({ prefectUrl: prefect.url });
        quota = await timed('quota', () =>
          runQuotaScenario(
            aws as BenchAws,
            {
              pools: options.quotaPools,
              speed: options.speed,
              shards: options.shards,
              batchSize: deployment.streamBatchSize,
              streamTimeoutMs: deployment.streamTimeoutMs,
              scheduleTimeoutMs: deployment.scheduleTimeoutMs,
              scheduleIntervalMs: deployment.scheduleMinutes.dev * 60_000,
              retryAttempts: deployment.streamRetryAttempts,
              deadlineSafetyMs: deployment.deadlineSafetyMs,
              reconcileConcurrency: deployment.reconcileConcurrency,
              giveUpMs: 8 * 60_000,
            },
            say,
          ),
        );
        if (quota) {
          say(
            `quota: ${quota.convergeSeconds.toFixed(1)} s to converge, lower bound ${quota.lowerBoundSeconds.toFixed(1)} s (×${quota.ratio.toFixed(2)})`,
          );
        }
        if (largestOnQuota && largest !== undefined && quota?.converged) {
          const setup = createBenchRuntime({ config: aws.config, endpoints: aws.endpoints, pacer: null });
          const result = await timed(`drift ${largest}`, () =>
            measureDriftSize(aws as BenchAws, setup, measureOptions(largest)),
          );
          setup.destroy();
          if (result) {
            driftSizes.push(result);
            say(
              `drift ${largest}: ${result.measured.calls.awsCalls} AWS calls (${result.awsCallsPerPool.toFixed(3)}/pool), ${Math.round(result.wallMsMedian)} ms`,
            );
          }
        } else if (largestOnQuota) {
          errors.push({
            scenario: `drift ${largest}`,
            message: 'not measured: the quota scenario did not converge',
          });
        }
      } finally {
        await aws?.stop();
      }
    }
  } finally {
    await prefect.close();
  }

  const finishedAt = Date.now();
  const partial: Omit<BenchmarkReport, 'targets'> = {
    meta: {
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationSeconds: (finishedAt - startedAt) / 1000,
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
        ' ',
      ),
      options: { ...options, scenarios: [...options.scenarios] },
      machine: {
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memoryBytes: totalmem(),
        motoVersion: motoVersion(),
        loadAverageBefore: loadBefore.map((l) => Math.round(l * 100) / 100),
        loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100),
      },
      scenarioSeconds,
    },
    ...(driftSizes.length > 0
      ? {
          drift: {
            sizes: driftSizes,
            scheduleMinutes: deployment.scheduleMinutes,
            statusHeartbeatMinutes: statusHeartbeatMs / 60_000,
          },
        }
      : {}),
    ...(create ? { create } : {}),
    ...(alarm ? { alarm } : {}),
    ...(quota ? { quota } : {}),
    ...(bundles ? { bundles } : {}),
    errors,
  };
  const report: BenchmarkReport = { ...partial, targets: evaluateTargets(partial) };
  const files: Record<string, string> = {
    'report.json': `${JSON.stringify(report, null, 2)}\n`,
    'report.md': `${renderMarkdown(report)}\n`,
    ...(driftSizes.length > 0 ? { 'growth.svg': growthSvg(driftSizes) } : {}),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(outdir, name), content);
  await new Promise<void>((done) => logStream.end(done));
  const latest = join(resultsRoot, 'latest');
  rmSync(latest, { recursive: true, force: true });
  mkdirSync(latest, { recursive: true });
  for (const name of [...Object.keys(files), 'controller.log'])
    cpSync(join(outdir, name), join(latest, name));

  process.stdout.write('\n');
  for (const target of report.targets) {
    const mark = target.met === null ? '   ' : target.met ? 'ok ' : 'MISS';
    process.stdout.write(`${mark.padEnd(4)} ${target.figure}: ${target.measured}\n`);
  }
  for (const error of errors) process.stdout.write(`ERR  ${error.scenario}: ${error.message}\n`);
  say(
    `done in ${Math.round(report.meta.durationSeconds)} s: ${relative(process.cwd(), join(outdir, 'report.md'))} (also ${relative(process.cwd(), join(latest, 'report.md'))})`,
  );
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

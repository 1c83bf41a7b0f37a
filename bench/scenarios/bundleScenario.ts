/**
 * The Lambda bundles: each handler bundled as the project builds it (scripts/buildHandlers.ts), its size,
 * and how long a fresh Node process takes to import it, against importing the same entry unbundled — the
 * same code transpiled file by file (esbuild, no bundling) and loaded with its dependencies from
 * node_modules, as a deployment without a bundler would ship it. Importing the TypeScript sources through
 * tsx is timed too, for reference (that adds compiling, which no deployment does).
 *
 * Every handler builds its runtime at import (configuration, SDK clients, logger): the child processes get
 * a complete controller environment, and nothing calls AWS at import. Node runs with --enable-source-maps,
 * as the deployed functions do.
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  controllerConfigToEnvironment,
  type ControllerConfig,
} from '../../controller/config/controllerConfig.js';
import { buildHandlers, lambdaEntries } from '../../scripts/buildHandlers.js';
import { median } from '../analysis/callTimeline.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface LoadTimes {
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  /** Resident memory right after the import (median). */
  readonly rssAfterMedianBytes: number;
}

export interface BundleResult {
  readonly name: string;
  readonly entry: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  readonly bundled: LoadTimes;
  readonly unbundled: LoadTimes;
  readonly tsx?: LoadTimes;
  /** Unbundled median ÷ bundled median. */
  readonly ratio: number;
}

/** A configuration every handler accepts at cold start; nothing in it is ever called. */
export const coldStartConfig: ControllerConfig = {
  instanceId: 'bench',
  region: 'us-east-1',
  tableName: 'prefect-ecs-operator-bench-pools',
  clusterName: 'prefect-ecs-operator-bench',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  logGroupName: '/prefect-ecs-operator-bench/workers',
  executionRoleArn: 'arn:aws:iam::123456789012:role/prefect-ecs-operator-bench-task-execution',
  allowedTaskRoleArns: ['arn:aws:iam::123456789012:role/prefect-ecs-operator-bench-worker-task'],
  defaultWorkerTaskRoleArn: 'arn:aws:iam::123456789012:role/prefect-ecs-operator-bench-worker-task',
  allowedSecretArnPrefix: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect/',
  healthTopicArn: undefined,
  prefectApiAccess: { kind: 'spec' },
  reconcileConcurrency: 8,
  deadlineSafetyMs: 10_000,
};

const importProgram = [
  'const startedAt = performance.now();',
  'const loaded = await import(process.env.BENCH_IMPORT_URL);',
  'const ms = performance.now() - startedAt;',
  "if (typeof loaded.handler !== 'function') throw new Error('no handler export');",
  'process.stdout.write(JSON.stringify({ ms, rss: process.memoryUsage().rss }));',
].join('\n');

function childEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('BENCH_') && key !== 'POWERTOOLS_DEV') env[key] = value;
  }
  return {
    ...env,
    ...controllerConfigToEnvironment(coldStartConfig),
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NODE_OPTIONS: '--enable-source-maps',
  };
}

function importOnce(url: string, execArgv: readonly string[]): Promise<{ ms: number; rss: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, '--input-type=module', '-e', importProgram], {
      cwd: root,
      env: { ...childEnvironment(), BENCH_IMPORT_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(stdout) as { ms: number; rss: number });
      } catch (error) {
        reject(new Error(`importing ${url} failed (${String(error)}): ${stderr.trim().slice(-2000)}`));
      }
    });
  });
}

function loadTimes(samples: readonly { ms: number; rss: number }[]): LoadTimes {
  return {
    samplesMs: samples.map((s) => Math.round(s.ms * 10) / 10),
    medianMs: median(samples.map((s) => s.ms)),
    rssAfterMedianBytes: median(samples.map((s) => s.rss)),
  };
}

function listFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** The controller transpiled file by file, beside the schemas it imports; node_modules found from here. */
async function transpileUnbundled(outdir: string): Promise<void> {
  const sources = listFiles(join(root, 'controller')).filter(
    (path) => path.endsWith('.ts') && !path.endsWith('.d.ts'),
  );
  await build({
    entryPoints: sources,
    outdir: join(outdir, 'controller'),
    outbase: join(root, 'controller'),
    bundle: false,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Keep `with { type: 'json' }` (Node 20.10+ reads it; esbuild's node20 target would drop it).
    supported: { 'import-attributes': true },
    sourcemap: true,
    logLevel: 'warning',
  });
  mkdirSync(join(outdir, 'schemas'), { recursive: true });
  cpSync(join(root, 'schemas'), join(outdir, 'schemas'), { recursive: true });
}

export interface BundleScenarioOptions {
  readonly outdir: string;
  readonly samples: number;
  /** Imports through tsx per bundle (0: none); a few seconds each. */
  readonly tsxSamples: number;
}

export async function runBundleScenario(options: BundleScenarioOptions): Promise<BundleResult[]> {
  const bundleDir = join(options.outdir, 'bundles');
  const unbundledDir = join(options.outdir, 'unbundled');
  const reports = await buildHandlers(bundleDir);
  await transpileUnbundled(unbundledDir);
  const results: BundleResult[] = [];
  for (const report of reports) {
    const entry = lambdaEntries[report.name as keyof typeof lambdaEntries];
    const bundledUrl = pathToFileURL(report.outfile).href;
    const unbundledUrl = pathToFileURL(join(unbundledDir, entry.replace(/\.ts$/, '.js'))).href;
    const tsxUrl = pathToFileURL(join(root, entry)).href;
    const bundled: { ms: number; rss: number }[] = [];
    const unbundled: { ms: number; rss: number }[] = [];
    const tsx: { ms: number; rss: number }[] = [];
    // One of each in turn, so a busy moment of the machine falls on all three alike.
    for (let sample = 0; sample < options.samples; sample++) {
      bundled.push(await importOnce(bundledUrl, []));
      unbundled.push(await importOnce(unbundledUrl, []));
      if (sample < options.tsxSamples) tsx.push(await importOnce(tsxUrl, ['--import', 'tsx']));
    }
    const code = readFileSync(report.outfile);
    const bundledTimes = loadTimes(bundled);
    const unbundledTimes = loadTimes(unbundled);
    results.push({
      name: report.name,
      entry,
      bytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
      sourceMapBytes: statSync(`${report.outfile}.map`).size,
      bundled: bundledTimes,
      unbundled: unbundledTimes,
      ...(tsx.length > 0 ? { tsx: loadTimes(tsx) } : {}),
      ratio: unbundledTimes.medianMs / bundledTimes.medianMs,
    });
  }
  return results;
}

/**
 * `npm run bench [-- options]`. Flags win over environment variables (BENCH_SPEED=…), which win over
 * the defaults; `--quick` is a small smoke version of every scenario (well under a minute).
 */

export const scenarioNames = ['bundles', 'drift', 'create', 'alarm', 'quota'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly scenarios: ReadonlySet<ScenarioName>;
  /** Fleet sizes of the drift pass, ascending. */
  readonly driftSizes: readonly number[];
  /** Pools applied at once in the quota scenario. */
  readonly quotaPools: number;
  /** How many times faster than AWS the quotas are played (and the controller's time scaled). */
  readonly speed: number;
  /** Stream shards (each read by one Lambda container at a time). */
  readonly shards: number;
  /** Fresh processes per bundle and per way of loading it. */
  readonly loadSamples: number;
  /** Also time importing the TypeScript sources through tsx. */
  readonly includeTsx: boolean;
  /** Scale-out alarms measured after the first. */
  readonly alarmSamples: number;
  /** Carry out the per-resource refresh (not only count it) at sizes up to this one. */
  readonly executeBaselineUpTo: number;
  /** Where result folders go (`<resultsRoot>/<timestamp>/`, and `<resultsRoot>/latest/`). */
  readonly resultsRoot: string;
}

export class BenchOptionsError extends Error {
  override readonly name = 'BenchOptionsError';
}

export const benchUsage = `usage: npm run bench [-- options]
  --quick              a small version of every scenario (a smoke test, under a minute)
  --scenario <names>   only these (comma-separated, or the flag repeated): ${scenarioNames.join(', ')}
  --sizes <n,n,...>    drift pass fleet sizes (default 10,100,1000; quick 5,20,50)
  --pools <n>          pools applied at once under quotas (default 1000; quick 50)
  --speed <x>          quota speed-up (default 5; quick 20)            env BENCH_SPEED
  --shards <n>         stream shards (default 1)                        env BENCH_SHARDS
  --samples <n>        processes per bundle load measurement (default 3; quick 1)
  --no-tsx             do not time importing the TypeScript sources through tsx
  --out <dir>          results root (default bench-results)              env BENCH_RESULTS`;

function positiveNumber(name: string, raw: string, integer: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new BenchOptionsError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

export function parseBenchOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): BenchOptions {
  const flags = new Map<string, string[]>();
  const booleans = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new BenchOptionsError(`unexpected argument "${arg}"\n${benchUsage}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (['quick', 'no-tsx', 'help'].includes(name)) {
      booleans.add(name);
      continue;
    }
    if (!['scenario', 'sizes', 'pools', 'speed', 'shards', 'samples', 'out'].includes(name)) {
      throw new BenchOptionsError(`unknown option --${name}\n${benchUsage}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new BenchOptionsError(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  if (booleans.has('help')) throw new BenchOptionsError(benchUsage);
  const quick = booleans.has('quick') || env.BENCH_QUICK === '1';
  const last = (name: string, envName?: string): string | undefined =>
    flags.get(name)?.at(-1) ?? (envName ? env[envName] : undefined);

  const requested = (flags.get('scenario') ?? (env.BENCH_SCENARIOS ? [env.BENCH_SCENARIOS] : []))
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
  for (const name of requested) {
    if (!(scenarioNames as readonly string[]).includes(name)) {
      throw new BenchOptionsError(`unknown scenario "${name}" (known: ${scenarioNames.join(', ')})`);
    }
  }
  const scenarios = new Set<ScenarioName>(
    requested.length > 0 ? (requested as ScenarioName[]) : [...scenarioNames],
  );

  const sizesRaw = last('sizes', 'BENCH_SIZES');
  const driftSizes = sizesRaw
    ? sizesRaw.split(',').map((size) => positiveNumber('--sizes', size.trim(), true))
    : quick
      ? [5, 20, 50]
      : [10, 100, 1000];
  const poolsRaw = last('pools', 'BENCH_POOLS');
  const speedRaw = last('speed', 'BENCH_SPEED');
  const shardsRaw = last('shards', 'BENCH_SHARDS');
  const samplesRaw = last('samples', 'BENCH_SAMPLES');
  return {
    quick,
    scenarios,
    driftSizes: [...new Set(driftSizes)].sort((a, b) => a - b),
    quotaPools: poolsRaw ? positiveNumber('--pools', poolsRaw, true) : quick ? 50 : 1000,
    speed: speedRaw ? positiveNumber('--speed', speedRaw, false) : quick ? 20 : 5,
    shards: shardsRaw ? positiveNumber('--shards', shardsRaw, true) : 1,
    loadSamples: samplesRaw ? positiveNumber('--samples', samplesRaw, true) : quick ? 1 : 3,
    includeTsx: !booleans.has('no-tsx') && !quick,
    alarmSamples: quick ? 2 : 5,
    executeBaselineUpTo: quick ? 50 : 1000,
    resultsRoot: last('out', 'BENCH_RESULTS') ?? 'bench-results',
  };
}

/**
 * `poolctl apply -f FILE|DIR|-`: validate every manifest locally (nothing is written if any is invalid),
 * show what changes against the stored spec, write each changed one with optimistic concurrency, and
 * with `--wait` follow the pools until they are Ready (or settled, on local mode), Invalid, Degraded or
 * the timeout passes.
 */
import { poolTableKeys } from '../api/tableContract.js';
import { stableHash } from '../core/stableHash.js';
import type { CommandContext } from './commandContext.js';
import { diffManifests, renderDiff, sameManifest } from './manifestDiff.js';
import { readManifests } from './manifestFiles.js';
import { checkManifests } from './manifestValidation.js';
import { InvalidManifestError, UsageError } from './poolctlErrors.js';
import { assessApply, type ApplyWaitTarget } from './poolProgress.js';
import { generationOf, type StoredSpec } from './poolctlTable.js';
import { ProgressDisplay } from './progressDisplay.js';
import { reportWaitOutcomes, waitForPools } from './waitForPools.js';

export interface ApplyOptions {
  readonly file: readonly string[];
  readonly dryRun?: boolean;
  readonly wait?: boolean;
  readonly timeoutMs: number;
}

/** The spec item to write: the manifest's fields (without the editor-only `$schema`), the generation, the keys. */
export function specItemFor(
  manifest: Readonly<Record<string, unknown>>,
  name: string,
  generation: number,
): Record<string, unknown> {
  const { $schema: _schema, ...fields } = manifest;
  const metadata = { ...(fields.metadata as Record<string, unknown>), generation };
  return {
    ...fields,
    metadata,
    [poolTableKeys.partitionKey]: name,
    [poolTableKeys.sortKey]: poolTableKeys.specSortKey,
  };
}

/** What the controller records as observedSpecHash for a spec item (reconcilePool's specHashOf). */
export function specHashOfItem(item: Readonly<Record<string, unknown>>): string {
  const { [poolTableKeys.partitionKey]: _pk, [poolTableKeys.sortKey]: _sk, ...manifest } = item;
  return stableHash(manifest);
}

/**
 * The next generation: one past the stored spec's, and past the status's observedGeneration when that
 * is higher (a pool put without poolctl has its generations counted in status), so a status of an older
 * spec can never look like it observed this one.
 */
export function nextGeneration(
  storedGeneration: number | undefined,
  observedGeneration: number | undefined,
): number {
  return Math.max(storedGeneration ?? 0, observedGeneration ?? 0) + 1;
}

export async function runApply(ctx: CommandContext, options: ApplyOptions): Promise<void> {
  if (options.dryRun && options.wait) throw new UsageError('--wait cannot be combined with --dry-run');
  const documents = await readManifests(options.file, { readStdin: ctx.io.readStdin });
  const target = ctx.target();
  const known = ctx.validation({ withTarget: true });
  const checked = checkManifests(documents, known.context);
  for (const problem of checked.problems) ctx.err(problem);
  if (checked.invalidCount > 0) {
    throw new InvalidManifestError(
      `${checked.invalidCount} of ${documents.length} manifest${documents.length === 1 ? ' is' : 's are'} invalid; nothing was applied`,
    );
  }

  const table = await ctx.table();
  const waitTargets: ApplyWaitTarget[] = [];
  for (const { name, manifest } of checked.valid) {
    const pool = await table.readPool(name);
    const stored: StoredSpec = pool.spec ? { exists: true, item: pool.spec } : { exists: false };
    const observed = pool.status?.status.observedGeneration;
    const onMoto = target.source === 'local';

    if (pool.spec && sameManifest(pool.spec, manifest as unknown as Record<string, unknown>)) {
      ctx.out(`pool ${name}: unchanged`);
      const generation = generationOf(pool.spec);
      waitTargets.push({
        name,
        specHash: specHashOfItem(pool.spec),
        ...(generation !== undefined ? { generation } : {}),
        onMoto,
      });
      continue;
    }

    const generation = nextGeneration(generationOf(pool.spec), observed);
    const item = specItemFor(manifest as unknown as Record<string, unknown>, name, generation);
    const verb = pool.spec ? 'configured' : 'created';
    if (options.dryRun) {
      ctx.out(`pool ${name}: would be ${verb} (generation ${generation})`);
    } else {
      await table.writeSpec(item, stored);
      ctx.out(`pool ${name}: ${verb} (generation ${generation})`);
    }
    if (pool.spec) {
      for (const line of renderDiff(diffManifests(pool.spec, item), { color: ctx.color })) ctx.out(line);
    }
    waitTargets.push({ name, specHash: specHashOfItem(item), generation, onMoto });
  }
  if (options.dryRun) {
    ctx.out('(dry run: nothing was written)');
    return;
  }
  if (!options.wait) return;

  const display = new ProgressDisplay(
    ctx.io.stdout,
    waitTargets.map((t) => t.name),
  );
  const outcomes = await waitForPools(
    waitTargets.map((waitTarget) => ({
      name: waitTarget.name,
      check: async () => assessApply((await table.readPool(waitTarget.name)).status?.status, waitTarget),
    })),
    {
      timeoutMs: options.timeoutMs,
      display,
      now: () => ctx.io.now().getTime(),
      ...(ctx.io.sleep ? { sleep: ctx.io.sleep } : {}),
    },
  );
  reportWaitOutcomes(outcomes, {
    timeoutMs: options.timeoutMs,
    writeError: (line) => ctx.err(line),
    goal: 'become ready',
  });
}

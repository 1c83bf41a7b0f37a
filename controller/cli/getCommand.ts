/**
 * `poolctl get [NAME] [-o json|yaml|wide]`: pools as a table (NAME PHASE WORKERS BACKLOG AGE; wide adds
 * TYPE MODE IMAGE REASON), or their manifests with status as JSON or YAML.
 */
import type { OutputFormat } from './cliOptions.js';
import type { CommandContext } from './commandContext.js';
import { PoolNotFoundError } from './poolctlErrors.js';
import { poolObject, renderObjects, renderPoolTable } from './poolFormatting.js';

export interface GetOptions {
  readonly name?: string | undefined;
  readonly output: OutputFormat;
}

export async function runGet(ctx: CommandContext, options: GetOptions): Promise<void> {
  const table = await ctx.table();
  const now = ctx.io.now();
  if (options.name !== undefined) {
    const pool = await table.readPool(options.name);
    if (!pool.spec && !pool.status) throw new PoolNotFoundError(options.name);
    if (options.output === 'json' || options.output === 'yaml') {
      ctx.io.stdout.write(renderObjects(poolObject(pool), options.output));
      return;
    }
    for (const line of renderPoolTable([pool], now, options.output === 'wide')) ctx.out(line);
    return;
  }
  const pools = await table.listPools();
  if (options.output === 'json' || options.output === 'yaml') {
    const sorted = [...pools].sort((a, b) => a.name.localeCompare(b.name));
    ctx.io.stdout.write(renderObjects(sorted.map(poolObject), options.output));
    return;
  }
  if (pools.length === 0) {
    // stderr, like kubectl: a script reading stdout sees no rows, not a sentence.
    ctx.err(`no pools in table ${table.tableName}`);
    return;
  }
  for (const line of renderPoolTable(pools, now, options.output === 'wide')) ctx.out(line);
}

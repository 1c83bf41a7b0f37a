/**
 * `poolctl describe NAME`: the spec in a few lines, then what the controller says: phase, workers,
 * backlog, conditions with reasons and times, resources, recent scaling decisions and the last error.
 */
import type { CommandContext } from './commandContext.js';
import { PoolNotFoundError } from './poolctlErrors.js';
import { renderDescribe } from './poolFormatting.js';

export async function runDescribe(ctx: CommandContext, name: string): Promise<void> {
  const pool = await (await ctx.table()).readPool(name);
  if (!pool.spec && !pool.status) throw new PoolNotFoundError(name);
  for (const line of renderDescribe(pool, ctx.io.now())) ctx.out(line);
}

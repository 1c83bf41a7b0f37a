/**
 * `poolctl delete NAME... [--wait]`: deletes the spec items. The controller then removes each pool's
 * resources and finally its status item (the finalizer record); `--wait` follows that until the status
 * item is gone.
 */
import type { CommandContext } from './commandContext.js';
import { PoolNotFoundError } from './poolctlErrors.js';
import { assessDeletion } from './poolProgress.js';
import { ProgressDisplay } from './progressDisplay.js';
import { reportWaitOutcomes, waitForPools } from './waitForPools.js';

export interface DeleteOptions {
  readonly names: readonly string[];
  readonly wait?: boolean;
  readonly ignoreNotFound?: boolean;
  readonly timeoutMs: number;
}

export async function runDelete(ctx: CommandContext, options: DeleteOptions): Promise<void> {
  const table = await ctx.table();
  const waiting: string[] = [];
  for (const name of new Set(options.names)) {
    const existed = await table.deleteSpec(name);
    // A manual scale request left behind would otherwise outlive the pool.
    await table.deleteScaleRequest(name);
    if (existed) {
      ctx.out(`pool ${name}: deleted (the controller now removes its resources)`);
      waiting.push(name);
      continue;
    }
    const pool = await table.readPool(name);
    if (pool.status) {
      ctx.out(`pool ${name}: already being deleted (${pool.status.status.phase})`);
      waiting.push(name);
    } else if (options.ignoreNotFound) {
      ctx.out(`pool ${name}: not found (ignored)`);
    } else {
      throw new PoolNotFoundError(name);
    }
  }
  if (!options.wait || waiting.length === 0) return;

  const outcomes = await waitForPools(
    waiting.map((name) => ({
      name,
      check: async () => assessDeletion((await table.readPool(name)).status?.status),
    })),
    {
      timeoutMs: options.timeoutMs,
      display: new ProgressDisplay(ctx.io.stdout, waiting),
      now: () => ctx.io.now().getTime(),
      ...(ctx.io.sleep ? { sleep: ctx.io.sleep } : {}),
    },
  );
  reportWaitOutcomes(outcomes, {
    timeoutMs: options.timeoutMs,
    writeError: (line) => ctx.err(line),
    goal: 'finish deleting',
  });
}

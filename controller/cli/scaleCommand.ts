/**
 * `poolctl scale NAME --workers N`: asks the controller for a manual worker count. The controller owns
 * status, so poolctl never writes it: it puts a scale request item (controller/api/tableContract.ts,
 * ScaleRequestItem) that the controller consumes, recording a decision with trigger `manual` in
 * status.scaling.recentDecisions, and deletes. The request is checked here first: the pool exists, is
 * in auto mode, is not paused, and N is within [minWorkers, maxWorkers].
 */
import { hostname, userInfo } from 'node:os';
import { scaleRequestSortKey, type ScaleRequestItem } from '../api/tableContract.js';
import { validatePool } from '../api/validatePool.js';
import type { CommandContext } from './commandContext.js';
import { PoolNotFoundError, UsageError } from './poolctlErrors.js';
import { assessScale } from './poolProgress.js';
import { ProgressDisplay } from './progressDisplay.js';
import { reportWaitOutcomes, waitForPools } from './waitForPools.js';

export interface ScaleOptions {
  readonly name: string;
  readonly workers: number;
  readonly wait?: boolean;
  readonly timeoutMs: number;
}

/** `user@host` for the request's `requestedBy`. */
export function requester(env: Readonly<Record<string, string | undefined>>): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? env.USERNAME;
  }
  return `${user ?? 'unknown'}@${hostname()}`;
}

/** The item `scale` puts (controller/api/tableContract.ts): the controller consumes it. */
export function scaleRequestItem(
  name: string,
  workers: number,
  now: Date,
  requestedBy: string,
): ScaleRequestItem {
  return { pk: name, sk: scaleRequestSortKey, workers, requestedAt: now.toISOString(), requestedBy };
}

export async function runScale(ctx: CommandContext, options: ScaleOptions): Promise<void> {
  const { name, workers } = options;
  const table = await ctx.table();
  const pool = await table.readPool(name);
  if (!pool.spec) {
    if (pool.status) throw new UsageError(`pool ${name} is being deleted; it cannot be scaled`);
    throw new PoolNotFoundError(name);
  }
  const validation = validatePool(pool.spec, {
    ...ctx.validation({ withTarget: true }).context,
    expectedName: name,
  });
  if (!validation.valid) {
    throw new UsageError(
      `pool ${name} has an invalid spec (see poolctl describe ${name}); fix it with apply before scaling`,
    );
  }
  const { scaling, workPool } = validation.pool.spec;
  if (scaling.mode !== 'auto') {
    throw new UsageError(
      `pool ${name} is in fixed mode (spec.scaling.workers: ${scaling.workers ?? '?'}): change the count with apply, or set spec.scaling.mode to auto`,
    );
  }
  if (workPool.paused) {
    throw new UsageError(
      `pool ${name} is paused (spec.workPool.paused): it runs no workers until it is resumed`,
    );
  }
  if (workers < scaling.minWorkers || workers > scaling.maxWorkers) {
    throw new UsageError(
      `--workers ${workers} is outside pool ${name}'s bounds [${scaling.minWorkers}, ${scaling.maxWorkers}] (spec.scaling.minWorkers, spec.scaling.maxWorkers)`,
    );
  }

  const status = pool.status?.status;
  const current = status?.scaling?.desiredWorkers ?? status?.workers.desired;
  const pending = await table.readScaleRequest(name);
  if (current === workers && pending === undefined) {
    ctx.out(`pool ${name}: already at ${workers} worker${workers === 1 ? '' : 's'}; nothing to do`);
    return;
  }
  const request = scaleRequestItem(name, workers, ctx.io.now(), requester(ctx.io.env));
  await table.writeScaleRequest(request);
  ctx.out(
    `pool ${name}: scale to ${workers} requested${current !== undefined ? ` (now ${current})` : ''}${pending ? `, replacing the pending request for ${pending.workers}` : ''}`,
  );
  if (!options.wait) return;

  const baseline = status?.scaling?.recentDecisions?.[0];
  const outcomes = await waitForPools(
    [
      {
        name,
        check: async () =>
          assessScale((await table.readPool(name)).status?.status, {
            workers,
            requestedAt: request.requestedAt,
            ...(baseline ? { baseline } : {}),
          }),
      },
    ],
    {
      timeoutMs: options.timeoutMs,
      display: new ProgressDisplay(ctx.io.stdout, [name]),
      now: () => ctx.io.now().getTime(),
      ...(ctx.io.sleep ? { sleep: ctx.io.sleep } : {}),
    },
  );
  reportWaitOutcomes(outcomes, {
    timeoutMs: options.timeoutMs,
    writeError: (line) => ctx.err(line),
    goal: 'take the manual scale',
  });
}

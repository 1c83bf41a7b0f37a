/**
 * The `--wait` loop: checks every pool still on its way about twice a second, shows progress, and stops
 * when each has a verdict or the timeout passes. What "done" means is the caller's check (poolProgress.ts).
 */
import { OperationFailedError } from './poolctlErrors.js';
import type { Verdict } from './poolProgress.js';
import type { ProgressDisplay } from './progressDisplay.js';

export interface WaitItem {
  readonly name: string;
  readonly check: () => Promise<Verdict>;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Default 500 ms. */
  readonly pollMs?: number;
  readonly display: ProgressDisplay;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type WaitOutcome =
  | { readonly name: string; readonly timedOut: false; readonly verdict: Extract<Verdict, { done: true }> }
  | { readonly name: string; readonly timedOut: true; readonly last: string };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitForPools(items: readonly WaitItem[], options: WaitOptions): Promise<WaitOutcome[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = options.pollMs ?? 500;
  const startedAt = now();
  const outcomes = new Map<string, WaitOutcome>();
  const last = new Map<string, string>();
  let pending = [...items];
  for (;;) {
    const verdicts = await Promise.all(pending.map(async (item) => [item, await item.check()] as const));
    const elapsed = now() - startedAt;
    for (const [item, verdict] of verdicts) {
      if (verdict.done) {
        const note = verdict.ok && verdict.note ? ` — ${verdict.note}` : '';
        options.display.finish(item.name, `pool ${item.name}: ${verdict.summary}${note}`);
        outcomes.set(item.name, { name: item.name, timedOut: false, verdict });
      } else {
        last.set(item.name, verdict.summary);
        options.display.update(item.name, `pool ${item.name}: ${verdict.summary}`, elapsed);
      }
    }
    pending = pending.filter((item) => !outcomes.has(item.name));
    if (pending.length === 0) break;
    if (elapsed >= options.timeoutMs) {
      for (const item of pending) {
        const summary = last.get(item.name) ?? 'waiting';
        options.display.finish(item.name, `pool ${item.name}: ${summary} — timed out`);
        outcomes.set(item.name, { name: item.name, timedOut: true, last: summary });
      }
      break;
    }
    await sleep(Math.min(pollMs, Math.max(0, options.timeoutMs - elapsed)));
  }
  return items.map((item) => outcomes.get(item.name) as WaitOutcome);
}

/**
 * Prints the details of every pool that failed (one line each, on stderr) and throws one
 * OperationFailedError that names them; returns quietly when every pool got where it was going.
 */
export function reportWaitOutcomes(
  outcomes: readonly WaitOutcome[],
  options: { timeoutMs: number; writeError: (line: string) => void; goal: string },
): void {
  const failed: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.timedOut) {
      failed.push(`${outcome.name} (timed out: ${outcome.last})`);
    } else if (!outcome.verdict.ok) {
      for (const detail of outcome.verdict.details) options.writeError(`pool ${outcome.name}: ${detail}`);
      failed.push(`${outcome.name} (${outcome.verdict.summary.split(' ')[0] ?? 'failed'})`);
    }
  }
  if (failed.length === 0) return;
  const timeout = `${Math.round(options.timeoutMs / 1000)} s`;
  const anyTimedOut = outcomes.some((outcome) => outcome.timedOut);
  throw new OperationFailedError(
    `${failed.length} of ${outcomes.length} pool${outcomes.length === 1 ? '' : 's'} did not ${options.goal}: ${failed.join(', ')}${anyTimedOut ? ` (--timeout ${timeout})` : ''}`,
  );
}

/**
 * Prints one line per pool whenever its status phase changes, and one whenever the scaler changes its
 * worker count, read from the status items (the same place a user or poolctl reads it), so what the local
 * runner shows is what the controller wrote.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { PrefectWorkerPoolStatus } from '../core/poolStatus.js';
import { BackgroundLoop } from './backgroundLoop.js';

export type StatusLister = () => Promise<ReadonlyMap<string, PrefectWorkerPoolStatus>>;

export interface PhaseReporterOptions {
  readonly listStatuses: StatusLister;
  /** Receives each line without its newline. */
  readonly write: (line: string) => void;
  readonly logger: Pick<Logger, 'warn'>;
  /** How often status is read without a nudge (default 1 s). */
  readonly intervalMs?: number;
}

const detailLimit = 200;

/**
 * `pool analytics: Ready (workers 0/0) ScaledToZero`. The reason is the one that explains the phase:
 * the Ready condition's, or for Invalid the Valid condition's and for Degraded the last error's (or the
 * failing condition's), which also carry their message, since those are the lines a user has to act on.
 */
export function formatPhaseLine(name: string, status: PrefectWorkerPoolStatus): string {
  const { phase } = status;
  const condition = (type: string) => status.conditions?.find((c) => c.type === type);
  let reason: string | undefined;
  let detail: string | undefined;
  if (phase === 'Invalid') {
    const valid = condition('Valid');
    reason = valid?.reason ?? 'SpecInvalid';
    detail = valid?.message;
  } else if (phase === 'Degraded') {
    // Degraded by a failed step (lastError) or by a condition gone False without one (Prefect unreachable).
    const failing = status.conditions?.find((c) => c.status === 'False');
    reason = status.lastError ? (status.lastError.code ?? 'Error') : failing?.reason;
    detail = status.lastError ? status.lastError.message : failing?.message;
  } else if (phase === 'Deleting') {
    reason = condition('Provisioned')?.reason;
  } else {
    reason = condition('Ready')?.reason;
  }
  const workers = `(workers ${status.workers?.running ?? 0}/${status.workers?.desired ?? 0})`;
  const trimmed = detail && detail.length > detailLimit ? `${detail.slice(0, detailLimit - 1)}…` : detail;
  return `pool ${name}: ${phase} ${workers}${reason ? ` ${reason}` : ''}${trimmed ? `: ${trimmed}` : ''}`;
}

/**
 * `pool analytics: scaled 1 → 5 (backlog-scale-out: backlog 23 at 5 per worker)`: the newest scaling
 * decision that changed the count (status.scaling.recentDecisions), what asked for it and what it saw.
 * Undefined when the status records no scale.
 */
export function formatScaleLine(name: string, status: PrefectWorkerPoolStatus): string | undefined {
  const scaling = status.scaling;
  if (!scaling?.lastScaleTime) return undefined;
  const decision = scaling.recentDecisions?.find(
    (record) => record.outcome === 'scale' && record.time === scaling.lastScaleTime,
  );
  const from = decision?.from ?? '?';
  const to = decision?.to ?? scaling.desiredWorkers ?? '?';
  // The policy's reason ends in "<from> → <to> workers", which the line already says.
  const said = (decision?.reason ?? scaling.lastScaleReason ?? '').replace(/: \d+ → \d+ workers/, '');
  const why = [decision?.trigger, said].filter((part) => part).join(': ');
  const trimmed = why.length > detailLimit ? `${why.slice(0, detailLimit - 1)}…` : why;
  return `pool ${name}: scaled ${from} → ${to}${trimmed ? ` (${trimmed})` : ''}`;
}

/**
 * What a new line is printed for: a change of phase, and for an Invalid pool also a change of what is
 * wrong (the user edited the spec and needs the new verdict, though the phase stayed Invalid).
 */
function shownState(status: PrefectWorkerPoolStatus): string {
  if (status.phase !== 'Invalid') return status.phase;
  return `Invalid ${JSON.stringify(status.validationErrors ?? [])}`;
}

export class PhaseReporter extends BackgroundLoop {
  private readonly lastShown = new Map<string, string>();
  /** Per pool, status.scaling.lastScaleTime when last looked at ('' for none). */
  private readonly lastScaleTimes = new Map<string, string>();
  private readonly intervalMs: number;
  /** A nudge came while a look was in flight: look again at once instead of pausing (it woke nothing). */
  private nudged = false;

  constructor(private readonly options: PhaseReporterOptions) {
    super();
    this.intervalMs = options.intervalMs ?? 1_000;
  }

  /** Look again now (e.g. right after a handler ran) rather than at the next tick. */
  nudge(): void {
    this.nudged = true;
    this.wake();
  }

  /**
   * Looks until stop(), then once more: the look comes before the check, so stop() resolves after a last
   * look and a phase written just before stopping is still shown.
   */
  protected async run(): Promise<void> {
    for (;;) {
      this.nudged = false;
      await this.report();
      if (this.stopped) return;
      if (!this.nudged) await this.pause(this.intervalMs);
    }
  }

  private async report(): Promise<void> {
    let statuses: ReadonlyMap<string, PrefectWorkerPoolStatus>;
    try {
      statuses = await this.options.listStatuses();
    } catch (error) {
      this.options.logger.warn('could not read pool status', { error });
      return;
    }
    for (const [name, status] of [...statuses].sort(([a], [b]) => a.localeCompare(b))) {
      if (typeof status?.phase !== 'string') continue;
      // A scale is news once the pool has been looked at: a pool first seen with a scale behind it (a
      // table someone else's controller has run) shows only its phase. The count's line comes before the
      // phase it leads to.
      const scaleTime = status.scaling?.lastScaleTime ?? '';
      const seenScaleTime = this.lastScaleTimes.get(name);
      this.lastScaleTimes.set(name, scaleTime);
      if (seenScaleTime !== undefined && scaleTime !== seenScaleTime) {
        const line = formatScaleLine(name, status);
        if (line) this.options.write(line);
      }
      const shown = shownState(status);
      if (this.lastShown.get(name) === shown) continue;
      this.lastShown.set(name, shown);
      this.options.write(formatPhaseLine(name, status));
    }
    for (const name of [...this.lastShown.keys()]) {
      if (statuses.has(name)) continue;
      this.lastShown.delete(name);
      this.lastScaleTimes.delete(name);
      this.options.write(`pool ${name}: deleted`);
    }
  }
}

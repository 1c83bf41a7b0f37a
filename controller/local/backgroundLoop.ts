/**
 * What the local stand-ins for AWS's event sources (stream poller, schedule timer, alarm watcher) and the
 * phase reporter share: a loop that runs in the background from start() until stop(), sleeping between
 * iterations in pauses that stop() cuts short, so stopping never waits out an interval.
 *
 * Each subclass writes its whole loop in run(), since where the loop pauses and what it does on the way
 * out differ (the schedule pauses before each run, the reporter takes a last look after stop()). The loop
 * is expected to check `stopped` and return soon after it turns true; run() is the only caller of pause().
 */
export abstract class BackgroundLoop {
  private running: Promise<void> | undefined;
  private stopRequested = false;
  /** Ends the pause in progress early; undefined while the loop is not pausing. */
  private endPause: (() => void) | undefined;

  /** Starts the loop; does nothing when it is already running or has been stopped (a loop runs once). */
  start(): void {
    if (this.running || this.stopRequested) return;
    this.running = this.run();
  }

  /**
   * Asks the loop to end and wakes it from a pause; resolves once the iteration in flight (an invocation,
   * a last look) has finished. Calling it again, or before start(), is harmless.
   */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.wake();
    await this.running;
  }

  /** True once stop() has been called. */
  protected get stopped(): boolean {
    return this.stopRequested;
  }

  /** The loop, from start() until it sees `stopped`. */
  protected abstract run(): Promise<void>;

  /**
   * Waits `ms`, or less if stop() or wake() comes first. After stop() it does not wait at all: a stop that
   * lands while an iteration is in flight would otherwise find no pause to wake and be held up by the next
   * one.
   */
  protected pause(ms: number): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.endPause === done) this.endPause = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.endPause = done;
    });
  }

  /**
   * Ends the pause in progress, if any, so the loop goes on at once. A wake while the loop is busy is lost;
   * a loop that must not miss one (PhaseReporter's nudge) remembers it itself.
   */
  protected wake(): void {
    this.endPause?.();
  }
}

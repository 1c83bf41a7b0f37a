/**
 * The loop machinery the local stand-ins share: start() once, stop() wakes a pause and waits for the
 * iteration in flight, wake() ends a pause early. Pauses are a minute long, so a test that finishes at
 * all shows they were cut short.
 */
import { describe, expect, it } from 'vitest';
import { BackgroundLoop } from '../../../controller/local/backgroundLoop.js';

const long = 60_000;

/** Counts iterations; each one waits for `gate` (when set) and then pauses `pauseMs`. */
class CountingLoop extends BackgroundLoop {
  iterations = 0;
  gate: Promise<void> | undefined;
  pauseMs = long;
  /** Resolves when the loop next starts to pause. */
  private pausing: (() => void) | undefined;

  protected async run(): Promise<void> {
    while (!this.stopped) {
      this.iterations += 1;
      await this.gate;
      this.pausing?.();
      await this.pause(this.pauseMs);
    }
  }

  nextPause(): Promise<void> {
    return new Promise((resolve) => (this.pausing = resolve));
  }

  poke(): void {
    this.wake();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('BackgroundLoop', () => {
  it('runs once however often start() is called, and stop() wakes it from a pause', async () => {
    const loop = new CountingLoop();
    const paused = loop.nextPause();
    loop.start();
    loop.start();
    await paused;
    await loop.stop();
    expect(loop.iterations).toBe(1);
  });

  it('stop() resolves only after the iteration in flight, and the loop does not pause after it', async () => {
    const loop = new CountingLoop();
    const gate = deferred();
    loop.gate = gate.promise;
    loop.start();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stopped).toBe(false);
    gate.resolve();
    // The minute-long pause after the iteration would hold this up if pause() waited after stop().
    await stopping;
    expect(loop.iterations).toBe(1);
  });

  it('does nothing when started after stop(), and stop() before start() resolves', async () => {
    const loop = new CountingLoop();
    await loop.stop();
    loop.start();
    await loop.stop();
    expect(loop.iterations).toBe(0);
  });

  it('wake() ends a pause early; a wake while busy is lost', async () => {
    const loop = new CountingLoop();
    const gate = deferred();
    loop.gate = gate.promise;
    loop.start();
    loop.poke(); // busy in the first iteration: nothing to wake
    const firstPause = loop.nextPause();
    gate.resolve();
    await firstPause;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(loop.iterations).toBe(1);
    const secondPause = loop.nextPause();
    loop.poke();
    await secondPause;
    expect(loop.iterations).toBe(2);
    await loop.stop();
  });
});

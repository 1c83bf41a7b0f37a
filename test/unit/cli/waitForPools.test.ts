import { describe, expect, it } from 'vitest';
import { OperationFailedError } from '../../../controller/cli/poolctlErrors.js';
import type { Verdict } from '../../../controller/cli/poolProgress.js';
import { ProgressDisplay } from '../../../controller/cli/progressDisplay.js';
import { reportWaitOutcomes, waitForPools } from '../../../controller/cli/waitForPools.js';

function recorder(isTTY = false) {
  const written: string[] = [];
  return { written, stream: { write: (text: string) => written.push(text), isTTY, columns: 80 } };
}

/** A clock that advances only when the loop sleeps. */
function fakeTime() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

function sequence(...verdicts: Verdict[]): () => Promise<Verdict> {
  let index = 0;
  return async () => verdicts[Math.min(index++, verdicts.length - 1)] as Verdict;
}

describe('waitForPools', () => {
  it('prints a plain line whenever a pool changes, and its final line', async () => {
    // prepare
    const out = recorder();
    const time = fakeTime();
    const items = [
      {
        name: 'a',
        check: sequence(
          { done: false, summary: 'Pending' },
          { done: false, summary: 'Pending' },
          { done: true, ok: true, summary: 'Ready (workers 0/0) ScaledToZero' },
        ),
      },
      { name: 'b', check: sequence({ done: true, ok: true, summary: 'Ready (workers 1/1) WorkersRunning' }) },
    ];

    // act
    const outcomes = await waitForPools(items, {
      timeoutMs: 10_000,
      display: new ProgressDisplay(out.stream, ['a', 'b']),
      ...time,
    });

    // assess
    expect(out.written.join('')).toBe(
      'pool a: Pending\npool b: Ready (workers 1/1) WorkersRunning\npool a: Ready (workers 0/0) ScaledToZero\n',
    );
    expect(outcomes.map((o) => o.timedOut)).toEqual([false, false]);
    expect(time.now()).toBe(1_000);
  });

  it('gives up at the timeout with the last state of each pool still waiting', async () => {
    const out = recorder();
    const time = fakeTime();

    const outcomes = await waitForPools(
      [{ name: 'slow', check: sequence({ done: false, summary: 'Provisioning' }) }],
      {
        timeoutMs: 2_000,
        display: new ProgressDisplay(out.stream, ['slow']),
        ...time,
      },
    );

    expect(outcomes).toEqual([{ name: 'slow', timedOut: true, last: 'Provisioning' }]);
    expect(out.written.at(-1)).toBe('pool slow: Provisioning — timed out\n');
  });

  it('rewrites one line per pool in place on a terminal', async () => {
    const out = recorder(true);
    const time = fakeTime();

    await waitForPools(
      [
        {
          name: 'a',
          check: sequence({ done: false, summary: 'Pending' }, { done: true, ok: true, summary: 'Ready' }),
        },
      ],
      { timeoutMs: 5_000, display: new ProgressDisplay(out.stream, ['a']), ...time },
    );

    expect(out.written).toEqual(['\u001b[2Kpool a: Pending  0s\n', '\u001b[1A\u001b[2Kpool a: Ready\n']);
  });
});

describe('reportWaitOutcomes', () => {
  it('passes quietly when every pool succeeded', () => {
    expect(() =>
      reportWaitOutcomes(
        [{ name: 'a', timedOut: false, verdict: { done: true, ok: true, summary: 'Ready' } }],
        {
          timeoutMs: 1000,
          writeError: () => {},
          goal: 'become ready',
        },
      ),
    ).not.toThrow();
  });

  it('prints the details of each failure and throws one error naming the pools', () => {
    const errors: string[] = [];

    const act = () =>
      reportWaitOutcomes(
        [
          {
            name: 'broken',
            timedOut: false,
            verdict: {
              done: true,
              ok: false,
              summary: 'Invalid (workers 0/0) SpecInvalid',
              details: ['spec.worker.cpu: bad'],
            },
          },
          { name: 'slow', timedOut: true, last: 'Provisioning' },
        ],
        { timeoutMs: 120_000, writeError: (line) => errors.push(line), goal: 'become ready' },
      );

    expect(act).toThrow(OperationFailedError);
    expect(act).toThrow(
      '2 of 2 pools did not become ready: broken (Invalid), slow (timed out: Provisioning) (--timeout 120 s)',
    );
    expect(errors[0]).toBe('pool broken: spec.worker.cpu: bad');
  });
});

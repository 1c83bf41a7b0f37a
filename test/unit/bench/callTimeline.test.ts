/**
 * The benchmark's reading of a call timeline: sequential round trips (the longest chain of calls each
 * starting after the previous ended) and the time at least one call was in flight.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { busyMilliseconds, longestSequentialChain, median } from '../../../bench/analysis/callTimeline.js';

const call = (startedAt: number, endedAt: number) => ({ startedAt, endedAt });

describe('longestSequentialChain', () => {
  it('counts calls made one after another as one round trip each', () => {
    const calls = [call(0, 10), call(10, 20), call(25, 30)];

    expect(longestSequentialChain(calls)).toEqual([0, 1, 2]);
  });

  it('counts calls in flight together as one round trip', () => {
    const calls = [call(0, 10), call(1, 12), call(2, 9)];

    expect(longestSequentialChain(calls)).toHaveLength(1);
  });

  it('follows the longest path through parallel branches', () => {
    // read → (three steps in a row ∥ one long step) → write
    const calls = [call(0, 5), call(6, 10), call(11, 15), call(16, 20), call(6, 30), call(31, 35)];

    expect(longestSequentialChain(calls)).toEqual([0, 1, 2, 3, 5]);
  });

  it('returns nothing for no calls', () => {
    expect(longestSequentialChain([])).toEqual([]);
  });

  it('is never longer than the calls, nor shorter than one for any call, and is a real chain', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 100 }))
            .map(([s, d]) => call(s, s + d)),
          { minLength: 1, maxLength: 40 },
        ),
        (calls) => {
          const chain = longestSequentialChain(calls);
          expect(chain.length).toBeGreaterThanOrEqual(1);
          expect(chain.length).toBeLessThanOrEqual(calls.length);
          for (let i = 1; i < chain.length; i++) {
            const before = calls[chain[i - 1] as number] as { endedAt: number };
            const after = calls[chain[i] as number] as { startedAt: number };
            expect(before.endedAt).toBeLessThanOrEqual(after.startedAt);
          }
        },
      ),
    );
  });
});

describe('busyMilliseconds', () => {
  it('is the union of the intervals', () => {
    expect(busyMilliseconds([call(0, 10), call(5, 15), call(20, 25)])).toBe(20);
  });

  it('is zero for no calls', () => {
    expect(busyMilliseconds([])).toBe(0);
  });

  it('never exceeds the span of the calls nor falls below the longest call', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 100 }))
            .map(([s, d]) => call(s, s + d)),
          { minLength: 1, maxLength: 40 },
        ),
        (calls) => {
          const busy = busyMilliseconds(calls);
          const span = Math.max(...calls.map((c) => c.endedAt)) - Math.min(...calls.map((c) => c.startedAt));
          expect(busy).toBeLessThanOrEqual(span);
          expect(busy).toBeGreaterThanOrEqual(Math.max(...calls.map((c) => c.endedAt - c.startedAt)));
        },
      ),
    );
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

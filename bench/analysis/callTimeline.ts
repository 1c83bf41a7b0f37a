/**
 * What a timeline of AWS calls says beyond their number: how many round trips had to follow one another
 * (the longest chain of calls where each starts only after the previous one ended), and how long at least
 * one call was in flight (the time spent waiting on AWS; the rest of the wall time is the controller's).
 */

export interface TimedInterval {
  /** Milliseconds on any monotonic clock (performance.now()). */
  readonly startedAt: number;
  readonly endedAt: number;
}

/**
 * The longest chain of intervals where each starts at or after the end of the one before it: the number
 * of sequential round trips. Calls in flight together count once; calls made one after another (because
 * the second needs the first's answer, or because the code awaits them in turn) count each.
 * Returns the chain's indexes in time order.
 */
export function longestSequentialChain(intervals: readonly TimedInterval[]): number[] {
  const order = intervals.map((_, index) => index).sort((a, b) => startOf(a) - startOf(b));
  const length = new Map<number, number>();
  const previous = new Map<number, number>();
  let best: number | undefined;
  for (const index of order) {
    let chain = 1;
    for (const candidate of order) {
      if (candidate === index) continue;
      const before = intervals[candidate] as TimedInterval;
      if (before.endedAt > startOf(index)) continue;
      const candidateLength = length.get(candidate);
      if (candidateLength !== undefined && candidateLength + 1 > chain) {
        chain = candidateLength + 1;
        previous.set(index, candidate);
      }
    }
    length.set(index, chain);
    if (best === undefined || chain > (length.get(best) ?? 0)) best = index;
  }
  const chain: number[] = [];
  for (let at = best; at !== undefined; at = previous.get(at)) chain.unshift(at);
  return chain;

  function startOf(index: number): number {
    return (intervals[index] as TimedInterval).startedAt;
  }
}

/** How long at least one interval was open: the union of the intervals, in milliseconds. */
export function busyMilliseconds(intervals: readonly TimedInterval[]): number {
  const sorted = [...intervals].sort((a, b) => a.startedAt - b.startedAt);
  let busy = 0;
  let openStart: number | undefined;
  let openEnd = Number.NEGATIVE_INFINITY;
  for (const { startedAt, endedAt } of sorted) {
    if (openStart === undefined || startedAt > openEnd) {
      if (openStart !== undefined) busy += openEnd - openStart;
      openStart = startedAt;
      openEnd = endedAt;
    } else {
      openEnd = Math.max(openEnd, endedAt);
    }
  }
  if (openStart !== undefined) busy += openEnd - openStart;
  return busy;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

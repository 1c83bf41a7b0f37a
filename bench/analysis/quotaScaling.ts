/**
 * Playing AWS's quotas at a scaled speed: the fault proxy refills its buckets `speed` times faster, so
 * the controller's own pacer (sized for AWS's real rates) must refill as fast too, or it would hold the
 * controller to a `speed`-times slower world than the proxy plays. Bursts stay as they are, as the
 * proxy's do. And the lower bound a run is compared with, bucket by bucket.
 */
import type { PacedCategory } from '../../controller/aws/apiPacer.js';
import { quotaLowerBoundSeconds, type QuotaBucket } from '../../test/support/awsQuotas.js';

export function scaledPacedCategories(categories: readonly PacedCategory[], speed: number): PacedCategory[] {
  if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  return categories.map((category) => ({ ...category, rate: category.rate * speed }));
}

export interface BucketBound {
  readonly bucket: string;
  /** Calls that drew from the bucket (summed over its operations for a shared bucket, the busiest one otherwise). */
  readonly calls: number;
  readonly seconds: number;
}

/** The lower bound of each bucket that the calls touch, the binding one (largest) first. */
export function boundsByBucket(
  callCounts: Readonly<Record<string, number>>,
  buckets: readonly QuotaBucket[],
  speed: number,
): BucketBound[] {
  const bounds: BucketBound[] = [];
  for (const bucket of buckets) {
    const perOperation = bucket.operations.map(
      (operation) => (callCounts[operation] ?? 0) + (callCounts[`${bucket.service}.${operation}`] ?? 0),
    );
    const calls =
      bucket.scope === 'shared' ? perOperation.reduce((a, b) => a + b, 0) : Math.max(0, ...perOperation);
    if (calls === 0) continue;
    bounds.push({ bucket: bucket.name, calls, seconds: quotaLowerBoundSeconds(callCounts, [bucket], speed) });
  }
  return bounds.sort((a, b) => b.seconds - a.seconds);
}

import type { StoredStatus } from '../aws/poolTableStore.js';
import type { Phase } from '../core/poolStatus.js';

/**
 * What one reconcile of one pool came to, in controller-runtime's terms: done, or requeue after a while
 * (a step is waiting on AWS, or failed and will be retried with backoff).
 */
export interface ReconcileResult {
  readonly pool: string;
  readonly outcome: 'done' | 'requeue';
  readonly phase?: Phase;
  /** The mutating calls made, in words; empty when the pool was already as desired. */
  readonly actions: readonly string[];
  /** Actions that corrected drift (the spec had not changed since the last reconcile). */
  readonly driftCorrections: number;
  readonly requeueAfterMs?: number;
  /** Set when a step failed: PascalCase code and message, as written to status. */
  readonly error?: { readonly code: string; readonly message: string };
  /** The error is transient (throttling, 5xx, a lost status race): retrying soon is likely to succeed. */
  readonly retryable?: boolean;
  /** Another reconciler held the pool's lease: nothing was done, it is that one's turn. */
  readonly leaseHeld?: boolean;
  /** The status item as stored after this reconcile (with its revision), when there is one. */
  readonly status?: StoredStatus;
  readonly durationMs: number;
}

/**
 * When to retry a Prefect API call and how long to wait first. Pure: the loop and the sleep live in
 * PrefectClient, so the policy is testable without timers (the p-retry split).
 */

/** What one attempt came to. */
export type PrefectCallOutcome =
  | { readonly kind: 'network' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'response'; readonly status: number };

/**
 * Network failures, timeouts, 429 and 5xx may pass on a later attempt; every other 4xx is the request's
 * own fault and fails the same way again. A success is never retried.
 */
export function shouldRetry(outcome: PrefectCallOutcome): boolean {
  switch (outcome.kind) {
    case 'network':
    case 'timeout':
      return true;
    case 'response':
      return outcome.status === 429 || (outcome.status >= 500 && outcome.status <= 599);
  }
}

export interface RetryDelayOptions {
  /** The first backoff ceiling; it doubles with every attempt. */
  readonly baseMs: number;
  /** No wait is longer than this, Retry-After included. */
  readonly capMs: number;
  /** Uniform in [0, 1): Math.random in production, pinned in tests. */
  readonly random: () => number;
  /** The server's Retry-After, when it sent one. */
  readonly retryAfterMs?: number;
}

/**
 * The wait before the attempt after `attempt` (1-based: attempt 1 just failed).
 *
 * A Retry-After is honoured as asked, up to the cap: the server knows when its window reopens and
 * waiting less only earns another 429. Otherwise exponential backoff with full jitter
 * (uniform in [0, min(cap, base * 2^(attempt-1)))), so many pools retrying the same outage spread out
 * instead of hitting the API again in lock-step.
 */
export function retryDelayMs(attempt: number, options: RetryDelayOptions): number {
  const capMs = Math.max(0, options.capMs);
  if (options.retryAfterMs !== undefined && Number.isFinite(options.retryAfterMs)) {
    return Math.min(Math.max(0, Math.ceil(options.retryAfterMs)), capMs);
  }
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** 1024 is Infinity, and Math.min copes with it; no overflow to worry about.
  const ceiling = Math.min(capMs, Math.max(0, options.baseMs) * 2 ** exponent);
  const random = Math.min(Math.max(options.random(), 0), 1);
  return Math.floor(random * ceiling);
}

/**
 * Retry-After as milliseconds: delta-seconds (`"3"`) or an HTTP date. Undefined when absent or
 * unparseable; a date in the past gives 0.
 */
export function parseRetryAfterMs(header: string | null | undefined, now: Date): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

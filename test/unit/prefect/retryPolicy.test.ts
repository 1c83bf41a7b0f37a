/**
 * The Prefect client's retry policy: which outcomes are retried, and how long to wait before the next
 * attempt. Pure, so every case is a row.
 */
import { describe, expect, it } from 'vitest';
import {
  parseRetryAfterMs,
  retryDelayMs,
  shouldRetry,
  type PrefectCallOutcome,
} from '../../../controller/prefect/retryPolicy.js';

describe('shouldRetry', () => {
  const cases: [string, PrefectCallOutcome, boolean][] = [
    ['a network failure', { kind: 'network' }, true],
    ['a timeout', { kind: 'timeout' }, true],
    ['429 Too Many Requests', { kind: 'response', status: 429 }, true],
    ['500', { kind: 'response', status: 500 }, true],
    ['502', { kind: 'response', status: 502 }, true],
    ['503', { kind: 'response', status: 503 }, true],
    ['504', { kind: 'response', status: 504 }, true],
    ['599', { kind: 'response', status: 599 }, true],
    ['200', { kind: 'response', status: 200 }, false],
    ['204', { kind: 'response', status: 204 }, false],
    ['307 (redirects are not followed)', { kind: 'response', status: 307 }, false],
    ['400', { kind: 'response', status: 400 }, false],
    ['401', { kind: 'response', status: 401 }, false],
    ['403', { kind: 'response', status: 403 }, false],
    ['404', { kind: 'response', status: 404 }, false],
    ['408', { kind: 'response', status: 408 }, false],
    ['409', { kind: 'response', status: 409 }, false],
    ['422', { kind: 'response', status: 422 }, false],
  ];

  it.each(cases)('%s → retry %s', (_label, outcome, expected) => {
    expect(shouldRetry(outcome)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  const base = { baseMs: 100, capMs: 1_000 };

  it.each([
    // attempt, random, expected: uniform in [0, min(cap, base * 2^(attempt-1)))
    [1, 0, 0],
    [1, 0.5, 50],
    [1, 0.999, 99],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [4, 0.5, 400],
    [5, 0.5, 500], // ceiling 1600 capped at 1000
    [10, 0.999, 999],
    [2000, 0.5, 500], // 2^1999 overflows to Infinity and is still capped
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(retryDelayMs(attempt, { ...base, random: () => random })).toBe(expected);
  });

  it.each([
    // retryAfterMs, expected: honoured as asked, up to the cap, never jittered
    [0, 0],
    [300, 300],
    [999.2, 1_000],
    [1_000, 1_000],
    [30_000, 1_000],
    [-5, 0],
  ])('Retry-After of %f ms waits %i ms', (retryAfterMs, expected) => {
    expect(retryDelayMs(3, { ...base, random: () => 0, retryAfterMs })).toBe(expected);
  });

  it('ignores a Retry-After that is not a finite number', () => {
    expect(retryDelayMs(1, { ...base, random: () => 0.5, retryAfterMs: Number.NaN })).toBe(50);
  });

  it('keeps a misbehaving random source inside [0, ceiling]', () => {
    expect(retryDelayMs(1, { ...base, random: () => 7 })).toBe(100);
    expect(retryDelayMs(1, { ...base, random: () => -1 })).toBe(0);
  });

  it('stays within the full-jitter bounds over many draws', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      for (let i = 0; i < 50; i++) {
        const delay = retryDelayMs(attempt, { ...base, random: Math.random });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(base.capMs, base.baseMs * 2 ** (attempt - 1)));
      }
    }
  });
});

describe('parseRetryAfterMs', () => {
  const now = new Date('2025-01-01T00:00:00Z');

  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['   ', undefined],
    ['soon', undefined],
    ['0', 0],
    ['3', 3_000],
    [' 2 ', 2_000],
    ['1.5', 1_500],
    ['Wed, 01 Jan 2025 00:00:05 GMT', 5_000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
  ])('%j → %j', (header, expected) => {
    expect(parseRetryAfterMs(header, now)).toBe(expected);
  });
});

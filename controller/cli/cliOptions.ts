/**
 * Parsers for option values. Each throws commander's InvalidArgumentError, which commander reports as
 * one line (`error: option '--timeout <duration>' argument '2x' is invalid. ...`) with exit code 2.
 */
import { InvalidArgumentError } from 'commander';

/** `120`, `120s`, `2m`, `1m30s`, `500ms` → milliseconds. A bare number is seconds. */
export function parseDuration(raw: string): number {
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    total += Number(match[1]) * unit[match[2] as keyof typeof unit];
    consumed = pattern.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    throw new InvalidArgumentError('expected a duration such as 90, 90s, 2m or 1m30s.');
  }
  return Math.round(total);
}

/** A whole number of workers, 0 or more. */
export function parseWorkerCount(raw: string): number {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number of workers, 0 or more.');
  return Number(text);
}

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

/** `-o json|yaml|wide`. */
export function parseOutputFormat(raw: string): OutputFormat {
  const text = raw.trim().toLowerCase();
  if (text === 'json' || text === 'yaml' || text === 'wide') return text;
  throw new InvalidArgumentError('expected json, yaml or wide.');
}

export const defaultTimeoutMs = 120_000;

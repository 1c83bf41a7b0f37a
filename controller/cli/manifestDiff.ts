/**
 * What an apply changes, as a list of field paths with their old and new values:
 *
 *   ~ spec.worker.image: "prefecthq/prefect:3-python3.11" → "prefecthq/prefect:3-python3.12"
 *   + spec.scaling.maxWorkers: 10
 *   - spec.worker.limit: 4
 *
 * Paths are the validator's (spec.network.egress[0].port, spec.tags["Cost Center"]). Lists of plain
 * values (workQueues) change as a whole; lists of maps (egress rules) entry by entry.
 */
import { poolTableKeys } from '../api/tableContract.js';
import { formatPath } from '../api/validatePool.js';
import { canonicalJson } from '../core/stableHash.js';

export interface DiffEntry {
  readonly change: '+' | '-' | '~';
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

/**
 * The manifest as compared and stored: without the table keys, the editor-only `$schema`, and
 * metadata.generation (poolctl's own counter, not something a user changes).
 */
export function comparableManifest(item: Readonly<Record<string, unknown>>): Json {
  const { [poolTableKeys.partitionKey]: _pk, [poolTableKeys.sortKey]: _sk, $schema: _schema, ...rest } = item;
  if (isPlainObject(rest.metadata)) {
    const { generation: _generation, ...metadata } = rest.metadata;
    return { ...rest, metadata };
  }
  return rest;
}

/** Whether two manifests are the same, ignoring key order, the table keys, `$schema` and the generation. */
export function sameManifest(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): boolean {
  return canonicalJson(comparableManifest(a)) === canonicalJson(comparableManifest(b));
}

function walk(before: unknown, after: unknown, path: (string | number)[], into: DiffEntry[]): void {
  if (canonicalJson(before) === canonicalJson(after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...Object.keys(after), ...Object.keys(before).filter((key) => !Object.hasOwn(after, key))];
    for (const key of keys) {
      const at = [...path, key];
      if (!Object.hasOwn(before, key)) into.push({ change: '+', path: formatPath(at), after: after[key] });
      else if (!Object.hasOwn(after, key))
        into.push({ change: '-', path: formatPath(at), before: before[key] });
      else walk(before[key], after[key], at, into);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && ![...before, ...after].every(isScalar)) {
    const length = Math.max(before.length, after.length);
    for (let index = 0; index < length; index++) {
      const at = [...path, index];
      if (index >= before.length) into.push({ change: '+', path: formatPath(at), after: after[index] });
      else if (index >= after.length) into.push({ change: '-', path: formatPath(at), before: before[index] });
      else walk(before[index], after[index], at, into);
    }
    return;
  }
  into.push({ change: '~', path: formatPath(path), before, after });
}

/** Every change from `before` to `after` (both compared as comparableManifest). */
export function diffManifests(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): DiffEntry[] {
  const entries: DiffEntry[] = [];
  walk(comparableManifest(before), comparableManifest(after), [], entries);
  return entries;
}

const valueLimit = 120;

/** A value on one line: JSON, cut at 120 characters. */
export function formatValue(value: unknown): string {
  const json = JSON.stringify(value) ?? 'undefined';
  return json.length > valueLimit ? `${json.slice(0, valueLimit - 1)}…` : json;
}

const colors = { '+': '\u001b[32m', '-': '\u001b[31m', '~': '\u001b[33m' } as const;
const reset = '\u001b[0m';

/** One line per change, indented under the pool's line; colored on a terminal. */
export function renderDiff(
  entries: readonly DiffEntry[],
  options: { color?: boolean; indent?: string } = {},
): string[] {
  const indent = options.indent ?? '  ';
  return entries.map((entry) => {
    const text =
      entry.change === '~'
        ? `~ ${entry.path}: ${formatValue(entry.before)} → ${formatValue(entry.after)}`
        : entry.change === '+'
          ? `+ ${entry.path}: ${formatValue(entry.after)}`
          : `- ${entry.path}: ${formatValue(entry.before)}`;
    return options.color ? `${indent}${colors[entry.change]}${text}${reset}` : `${indent}${text}`;
  });
}

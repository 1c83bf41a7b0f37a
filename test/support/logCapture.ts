/**
 * Captures everything a scenario prints: the global console's methods (Powertools' Logger writes through
 * them when POWERTOOLS_DEV is set, as vitest.config.ts does) and, underneath, process.stdout/stderr writes
 * (anything that bypasses console). For tests that assert what never appears in logs, like a secret.
 */
import { format, inspect } from 'node:util';

export interface LogCapture {
  /** One entry per console call or stream write, in order. */
  readonly entries: readonly string[];
  /** Everything captured, joined by newlines. */
  text(): string;
  /** Puts the console and the streams back as they were. */
  restore(): void;
}

export interface LogCaptureOptions {
  /** Also pass everything on to the original console/streams. Default false: the test's output stays quiet. */
  readonly echo?: boolean;
}

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
type ConsoleMethod = (typeof consoleMethods)[number];

/** Like console's own formatting (printf-style placeholders), but objects in full depth. */
function render(args: readonly unknown[]): string {
  const [first, ...rest] = args;
  if (typeof first !== 'string') return args.map(deep).join(' ');
  const used = (first.match(/%[sdifjoOc]/g) ?? []).length;
  return [format(first, ...rest.slice(0, used)), ...rest.slice(used).map(deep)].join(' ');
}

function deep(value: unknown): string {
  return typeof value === 'string' ? value : inspect(value, { depth: Infinity, breakLength: Infinity });
}

export function captureLogs(options: LogCaptureOptions = {}): LogCapture {
  const entries: string[] = [];
  const originals = new Map<ConsoleMethod, (...args: unknown[]) => void>();
  for (const method of consoleMethods) {
    const original = console[method] as (...args: unknown[]) => void;
    originals.set(method, original);
    console[method] = (...args: unknown[]) => {
      entries.push(render(args));
      if (options.echo) original.apply(console, args);
    };
  }
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((stream) => stream.write);
  streams.forEach((stream, index) => {
    const original = writes[index] as typeof stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      entries.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      if (options.echo) return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  });
  let restored = false;
  return {
    entries,
    text: () => entries.join('\n'),
    restore() {
      if (restored) return;
      restored = true;
      for (const [method, original] of originals) console[method] = original;
      streams.forEach((stream, index) => {
        stream.write = writes[index] as typeof stream.write;
      });
    },
  };
}

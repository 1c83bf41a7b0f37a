/**
 * Starts moto (the local AWS of DESIGN §7) as a child process on a free loopback port, for the local
 * runner and the integration tests. The server is killed when `stop()` is called, when this process
 * exits, and — through a stdin watchdog in the child — when this process dies without running exit
 * hooks (a test worker killed on timeout), so no run leaves a moto behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';

export interface MotoServer {
  /** `http://127.0.0.1:PORT`: pass it as the SDK endpoint (or AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  readonly port: number;
  /** Clears every backend (~0.1 s), faster than a new server per test. */
  reset(): Promise<void>;
  /** Kills the server and waits for it to exit; safe to call more than once. */
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /** Extra environment for the server, e.g. `{ MOTO_ECS_SERVICE_RUNNING: '1' }`. */
  readonly env?: Record<string, string>;
  /** How long the server may take to answer (default 20 s: a cold start imports a lot of Python). */
  readonly startTimeoutMs?: number;
}

export type MotoUnavailableReason = 'python-missing' | 'moto-missing' | 'exited' | 'start-timeout';

/** moto cannot be used here; the message is one line that says what to do. */
export class MotoUnavailableError extends Error {
  override readonly name = 'MotoUnavailableError';
  constructor(
    message: string,
    readonly reason: MotoUnavailableReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const loopback = '127.0.0.1';
const installCommand = `python3 -m pip install "moto[server]"`;
const installHint = `install it with '${installCommand}'`;
const keptOutputLines = 40;
const readinessPollMs = 50;
const stopGraceMs = 2_000;
const portAttempts = 3;

/**
 * Runs moto.server as `python3 -m moto.server` would, plus a thread that exits the process when its
 * stdin reaches EOF: the parent holds the other end, so when the parent dies for any reason, the
 * pipe closes and moto follows instead of lingering on its port.
 */
const launcher = [
  'import os, runpy, sys, threading',
  'def _watch_parent():',
  '    try:',
  '        while sys.stdin.buffer.read(4096): pass',
  '    finally:',
  '        os._exit(0)',
  'threading.Thread(target=_watch_parent, daemon=True).start()',
  "sys.argv = ['moto.server', *sys.argv[1:]]",
  "runpy.run_module('moto.server', run_name='__main__', alter_sys=True)",
].join('\n');

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  // A free port read from the OS can be taken by someone else before moto binds it; try a fresh one.
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      return await startOnPort(port, options.env ?? {}, startTimeoutMs);
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= portAttempts) {
        throw error instanceof PortInUseError
          ? new MotoUnavailableError(`moto could not bind a free port on ${loopback}`, 'exited')
          : error;
      }
    }
  }
}

class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, loopback, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

async function startOnPort(
  port: number,
  extraEnv: Record<string, string>,
  timeoutMs: number,
): Promise<MotoServer> {
  const endpoint = `http://${loopback}:${port}`;
  const output = new OutputTail(keptOutputLines);
  const child = spawn('python3', ['-c', launcher, '-H', loopback, '-p', String(port)], {
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...extraEnv },
    // Its own process group, so stop() can take down anything it spawned with one signal.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = watchExit(child);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  // Never let the server (or its pipes) keep this process alive; the exit hook cleans up.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) unrefStream(stream);

  const killOnExit = (): void => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        // EOF on stdin makes the watchdog exit at once; moto's own SIGTERM handler takes over a
        // second to wind down its server loop, which every test file would pay.
        child.stdin?.end();
        const forced = setTimeout(() => killGroup(child, 'SIGKILL'), stopGraceMs);
        await exited;
        clearTimeout(forced);
      }
      // Anything left in the group (moto starts no children, but a plugin or a debugger might).
      killGroup(child, 'SIGKILL', { leaderToo: false });
      child.stdin?.destroy();
    })();
    return stopping;
  };

  // Stops the readiness polling once the race is decided, so a dead server leaves no timers behind.
  const polling = new AbortController();
  try {
    await Promise.race([
      waitUntilAnswering(endpoint, timeoutMs, output, polling.signal),
      exited.then((exit) => {
        throw describeEarlyExit(exit, output);
      }),
    ]);
    await warmUpEcs(endpoint);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    polling.abort();
  }

  return {
    endpoint,
    port,
    stop,
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
  };
}

interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly spawnError?: NodeJS.ErrnoException;
}

function watchExit(child: ChildProcess): Promise<ChildExit> {
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      // 'error' without 'exit' means the process never started (python3 not on PATH).
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError: error });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals, options = { leaderToo: true }): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone (or never formed): fall back to the process itself.
    if (!options.leaderToo) return;
    try {
      child.kill(signal);
    } catch {
      // Already exited.
    }
  }
}

function unrefStream(stream: unknown): void {
  (stream as { unref?: () => void } | null)?.unref?.();
}

async function waitUntilAnswering(
  endpoint: string,
  timeoutMs: number,
  output: OutputTail,
  abort: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !abort.aborted) {
    try {
      // A small read-only JSON answer, served once the app is up.
      const response = await fetch(`${endpoint}/moto-api/config`, {
        signal: AbortSignal.any([AbortSignal.timeout(1_000), abort]),
      });
      await response.arrayBuffer();
      return;
    } catch {
      await sleep(readinessPollMs);
    }
  }
  if (abort.aborted) return;
  const last = output.lastLine();
  throw new MotoUnavailableError(
    `moto did not answer on ${endpoint} within ${timeoutMs} ms${last ? `; last output: ${last}` : ''}`,
    'start-timeout',
  );
}

/** The first ECS call loads moto's ECS backend (~1 s); pay it here rather than in a test's timing. */
async function warmUpEcs(endpoint: string): Promise<void> {
  const ecs = new ECSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  try {
    await ecs.send(new ListClustersCommand({}));
  } finally {
    ecs.destroy();
  }
}

function describeEarlyExit(exit: ChildExit, output: OutputTail): MotoUnavailableError | PortInUseError {
  // 127: a shell or pyenv shim found no python3 to run.
  if (exit.spawnError?.code === 'ENOENT' || exit.code === 127) {
    const message = `python3 was not found on PATH: install Python 3, then '${installCommand}'`;
    return new MotoUnavailableError(message, 'python-missing', { cause: exit.spawnError });
  }
  if (exit.spawnError) {
    return new MotoUnavailableError(`could not start python3: ${exit.spawnError.message}`, 'python-missing', {
      cause: exit.spawnError,
    });
  }
  const text = output.text();
  if (/address already in use/i.test(text)) return new PortInUseError(output.lastLine());
  const missing = /No module named '?([\w.]+)'?/.exec(text)?.[1];
  if (missing !== undefined) {
    return missing === 'moto' || missing.startsWith('moto.')
      ? new MotoUnavailableError(`moto is not installed for python3: ${installHint}`, 'moto-missing')
      : new MotoUnavailableError(
          `moto's server dependencies are missing for python3 (no module '${missing}'): ${installHint}`,
          'moto-missing',
        );
  }
  const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
  const last = output.lastLine();
  return new MotoUnavailableError(`moto exited during start with ${how}${last ? `: ${last}` : ''}`, 'exited');
}

/** The last lines the server wrote, kept for error messages; everything else is dropped. */
class OutputTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString('utf8')).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((line) => line.trim() !== ''));
    if (this.lines.length > this.limit) this.lines = this.lines.slice(-this.limit);
  }

  text(): string {
    return [...this.lines, this.partial].join('\n');
  }

  lastLine(): string | undefined {
    const all = [...this.lines, this.partial].filter((line) => line.trim() !== '');
    return all.at(-1)?.trim();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

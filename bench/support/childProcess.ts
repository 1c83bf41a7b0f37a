/**
 * Runs a benchmark module in a Node process of its own (TypeScript through tsx), for what must not share
 * the benchmark's process: memory measured as one Lambda container's, module load times from cold.
 */
import { fork } from 'node:child_process';

export interface ChildOptions {
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Forks `modulePath`, waits for the one message it sends, and returns it. */
export function runChild<T>(modulePath: string, options: ChildOptions = {}): Promise<T> {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  // The benchmark routes Powertools through its own console; a child logs as a Lambda does.
  delete env.POWERTOOLS_DEV;
  const child = fork(modulePath, [], {
    execArgv: ['--import', 'tsx'],
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  return new Promise<T>((resolve, reject) => {
    let result: { value: T } | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${modulePath} did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 600_000);
    child.on('message', (message) => {
      result = { value: message as T };
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result.value);
      else reject(new Error(`${modulePath} exited (${signal ?? code}) without a result: ${stderr.trim()}`));
    });
  });
}

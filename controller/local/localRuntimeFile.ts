/**
 * `.local/runtime.json`: where a running local mode (`npm start` on moto) can be reached, so poolctl
 * finds the table with no flags at all. The runner writes it once it is ready and removes it when it
 * stops; a reader trusts it only while the process named by `pid` is alive (a runner killed with
 * SIGKILL leaves the file behind).
 *
 * LOCAL_RUNTIME_FILE moves it (tests that run a local mode of their own use that, so they never replace
 * the file of a developer's `npm start`).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControllerConfig } from '../config/controllerConfig.js';

export interface LocalRuntimeInfo {
  /** moto's address. */
  readonly endpoint: string;
  readonly table: string;
  readonly cluster: string;
  readonly region: string;
  readonly instanceId: string;
  /** The runner's process id. */
  readonly pid: number;
  /** The controller configuration validation depends on, so poolctl validates exactly as the controller. */
  readonly validation: {
    readonly instanceId: string;
    readonly allowedSecretArnPrefix: string;
    readonly allowedTaskRoleArns: readonly string[];
    readonly defaultWorkerTaskRoleArn?: string;
  };
}

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** LOCAL_RUNTIME_FILE, or `.local/runtime.json` in the project. */
export function localRuntimeFilePath(env: Readonly<Record<string, string | undefined>>): string {
  const configured = env.LOCAL_RUNTIME_FILE?.trim();
  return configured ? resolve(configured) : resolve(projectRoot, '.local/runtime.json');
}

/** Writes the file whole (a temporary file renamed into place), so a reader never sees half of it. */
export function writeLocalRuntimeFile(path: string, info: LocalRuntimeInfo): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(partial, path);
}

/**
 * Removes the file if it still describes process `pid`: a second local mode started meanwhile has
 * replaced it with its own, which must stay.
 */
export function removeLocalRuntimeFile(path: string, pid: number): void {
  try {
    const current = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (current.pid === pid) rmSync(path, { force: true });
  } catch {
    // Gone already, or not ours to judge: leave it.
  }
}

/**
 * Writes the runtime file of the local mode running in this process (before its ready line, so poolctl
 * finds it as soon as the line is seen) and removes it when the process exits, however it exits. A
 * file that cannot be written only costs poolctl's discovery: `warn` says so, local mode runs on.
 */
export function publishLocalRuntime(
  env: Readonly<Record<string, string | undefined>>,
  config: ControllerConfig,
  endpoint: string,
  warn: (line: string) => void,
): void {
  const path = localRuntimeFilePath(env);
  const info: LocalRuntimeInfo = {
    endpoint,
    table: config.tableName,
    cluster: config.clusterName,
    region: config.region,
    instanceId: config.instanceId,
    pid: process.pid,
    validation: {
      instanceId: config.instanceId,
      allowedSecretArnPrefix: config.allowedSecretArnPrefix,
      allowedTaskRoleArns: config.allowedTaskRoleArns,
      ...(config.defaultWorkerTaskRoleArn !== undefined
        ? { defaultWorkerTaskRoleArn: config.defaultWorkerTaskRoleArn }
        : {}),
    },
  };
  try {
    writeLocalRuntimeFile(path, info);
  } catch (error) {
    warn(`cannot write ${path} (${(error as Error).message}): poolctl needs --table and --endpoint-url`);
    return;
  }
  process.once('exit', () => removeLocalRuntimeFile(path, process.pid));
}

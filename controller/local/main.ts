/**
 * `npm start`: the controller loop on this machine (docs/local-mode.md).
 *
 * With nothing configured it starts moto on a free loopback port, creates the base infrastructure there,
 * runs the stream, schedule and alarm handlers in-process, applies examples/process-pool.yaml, prints one
 * `ready:` line and then a line per pool whenever its phase or its worker count changes. With AWS_ENDPOINT_URL or the
 * controller's configuration in the environment it runs the same loop against that instead.
 *
 * stdout carries only those lines, so scripts can read them; the controller's own logs go to
 * .local/controller.log (LOCAL_LOG=stderr, or LOCAL_LOG=<file>, to send them elsewhere).
 */
import { Console } from 'node:console';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControllerConfig } from '../config/controllerConfig.js';
import { localControllerConfig, provisionLocalInfrastructure } from './localInfrastructure.js';
import type { LocalController } from './localController.js';
import { publishLocalRuntime } from './localRuntimeFile.js';
import { MotoUnavailableError, startMotoServer, type MotoServer } from './motoServer.js';
import {
  ExternalModeConfigurationError,
  localRegion,
  pointEnvironmentAtMoto,
  resolveRunMode,
} from './runMode.js';
import {
  LocalSettingError,
  localPrefectApiAccess,
  scheduleIntervalFromEnvironment,
} from './localSettings.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const exampleManifest = resolve(projectRoot, 'examples/process-pool.yaml');
const localInstanceId = 'local';
const duplicateSignalWindowMs = 1_000;
/** How often the alarm watcher reads the pool alarms' states (CloudWatch would send events at once). */
const alarmPollIntervalMs = 500;

function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printNotice(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface LogRoute {
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Sends Powertools' output (and any console call) away from stdout. In dev mode Powertools writes through
 * the global console, read when each Logger or Metrics is constructed, so this must run before anything
 * that builds one is imported.
 */
function routeLogs(env: Readonly<Record<string, string | undefined>>): LogRoute {
  process.env.POWERTOOLS_DEV = 'true';
  const target = env.LOCAL_LOG?.trim();
  if (target === 'stderr') {
    globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
    return { description: 'stderr', close: async () => {} };
  }
  const file = target ? resolve(target) : resolve(projectRoot, '.local/controller.log');
  mkdirSync(dirname(file), { recursive: true });
  const stream = createWriteStream(file, { flags: 'w' });
  globalThis.console = new Console({ stdout: stream, stderr: stream });
  const shown = relative(process.cwd(), file);
  return {
    description: shown.startsWith('..') ? file : shown,
    close: () => new Promise((done) => stream.end(done)),
  };
}

async function main(): Promise<number> {
  // Only a warning about future SDK releases, on stderr at the first client; not news when running locally.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  let stopRequested = false;
  let firstSignalAt = 0;
  let wakeMain: () => void = () => {};
  const stopSignal = new Promise<void>((resolveStop) => (wakeMain = resolveStop));
  const onSignal = (): void => {
    if (stopRequested) {
      // One Ctrl-C can arrive more than once: the terminal signals the whole process group, and the
      // tsx and npm wrappers of `npm start` relay the signal to us as well.
      if (Date.now() - firstSignalAt < duplicateSignalWindowMs) return;
      printNotice('stopping now, without waiting');
      process.exit(130);
    }
    stopRequested = true;
    firstSignalAt = Date.now();
    printNotice('stopping (Ctrl-C again to stop at once)');
    wakeMain();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let moto: MotoServer | undefined;
  let controller: LocalController | undefined;
  let logs: LogRoute | undefined;
  const cleanUp = async (): Promise<void> => {
    await controller?.stop();
    await moto?.stop();
    await logs?.close();
  };

  try {
    const mode = resolveRunMode(process.env);
    const scheduleIntervalMs = scheduleIntervalFromEnvironment(process.env);
    const prefectApiAccess = mode.kind === 'local' ? localPrefectApiAccess(process.env) : undefined;
    logs = routeLogs(process.env);
    console.info(JSON.stringify({ message: 'local runner starting', mode: mode.kind, reason: mode.reason }));

    let config: ControllerConfig;
    let streamArn: string;
    let endpoint: string;
    const { createLocalController, findTableStreamArn } = await import('./localController.js');
    if (mode.kind === 'local') {
      moto = await startMotoServer();
      if (stopRequested) return await finish(cleanUp);
      pointEnvironmentAtMoto(process.env, moto.endpoint);
      const infra = await provisionLocalInfrastructure({
        endpoint: moto.endpoint,
        region: localRegion,
        instanceId: localInstanceId,
      });
      config = localControllerConfig(infra, localInstanceId, prefectApiAccess ? { prefectApiAccess } : {});
      streamArn = infra.tableStreamArn;
      endpoint = moto.endpoint;
    } else {
      config = mode.config;
      streamArn = await findTableStreamArn(config.region, config.tableName);
      endpoint = mode.endpoint ?? `aws:${config.region}`;
    }
    if (stopRequested) return await finish(cleanUp);

    controller = createLocalController({
      config,
      streamArn,
      scheduleIntervalMs,
      alarmPollIntervalMs,
      writePhaseLine: printLine,
      writeNotice: printNotice,
    });
    controller.start();
    // .local/runtime.json lets poolctl find this local mode with no flags (docs/poolctl.md).
    if (mode.kind === 'local') publishLocalRuntime(process.env, config, endpoint, printNotice);
    printLine(`ready: endpoint=${endpoint} table=${config.tableName} cluster=${config.clusterName}`);
    printNotice(mode.reason);
    printNotice(
      `logs: ${logs.description}; drift pass every ${scheduleIntervalMs / 1000} s; alarm states read every ${alarmPollIntervalMs / 1000} s; Ctrl-C stops`,
    );
    controller.startReporting();
    // Only on the runner's own moto: a table someone else owns gets no example pool from us.
    if (mode.kind === 'local') await controller.applyManifest(exampleManifest);

    await stopSignal;
    return await finish(cleanUp);
  } catch (error) {
    printNotice(describeFatal(error, logs));
    // The terminal got one line; the log gets the whole error, stack and all.
    if (logs) console.error(error);
    await cleanUp().catch(() => {});
    return 1;
  }
}

async function finish(cleanUp: () => Promise<void>): Promise<number> {
  await cleanUp();
  return 0;
}

function describeFatal(error: unknown, logs: LogRoute | undefined): string {
  // Its message is one line that says what to do; a stack trace would only bury it.
  if (
    error instanceof MotoUnavailableError ||
    error instanceof ExternalModeConfigurationError ||
    error instanceof LocalSettingError
  ) {
    return error.message;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `local mode failed: ${message}${logs && logs.description !== 'stderr' ? ` (details in ${logs.description})` : ''}`;
}

process.exitCode = await main();
// SDK keep-alive sockets and the like must not hold the process open once everything has stopped.
process.exit();

/**
 * poolctl: a kubectl-like CLI for PrefectWorkerPool manifests in the pool table (docs/poolctl.md).
 * `runPoolctl(argv, io)` runs one command and returns its exit code; bin/poolctl.mjs calls it with the
 * process's streams, tests call it with their own.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { localRuntimeFilePath } from '../local/localRuntimeFile.js';
import {
  defaultTimeoutMs,
  parseDuration,
  parseOutputFormat,
  parseWorkerCount,
  type OutputFormat,
} from './cliOptions.js';
import { CommandContext, type GlobalOptions, type PoolctlIo } from './commandContext.js';
import { describeError, exitCodeOf, exitCodes } from './poolctlErrors.js';
import { findLocalRuntime } from './tableTarget.js';

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const targetHelp = `
Finding the table (first that applies):
  1. --table, --endpoint-url, --region
  2. POOL_TABLE_NAME, AWS_ENDPOINT_URL, AWS_REGION
  3. a running local mode (npm start), from .local/runtime.json

Exit codes:
  0  ok
  1  the operation failed: a pool ended Invalid or Degraded, or --wait timed out
  2  usage or invalid input: bad flags, an invalid manifest, a file or pool not found
  3  conflict: the pool changed between read and write (re-run apply)
  4  the table or AWS cannot be reached, or the table does not exist

Examples:
  $ npm start                                  # local mode, in another terminal
  $ npx poolctl apply -f examples/ --wait
  $ npx poolctl get -o wide
  $ npx poolctl --table my-pools --region eu-west-1 describe analytics

More: docs/poolctl.md`;

function example(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;
}

const timeoutOption = () =>
  new Option('--timeout <duration>', 'how long --wait waits (90, 90s, 2m)')
    .argParser(parseDuration)
    .default(defaultTimeoutMs, '120s');

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Builds the program; `run` receives each command's work, so errors reach one place. Commands are
 * imported when run, so `--help` loads neither the AWS SDK nor the validator.
 */
export function buildProgram(
  io: PoolctlIo,
  run: (work: (ctx: CommandContext) => Promise<void>) => Promise<void>,
): Command {
  const program = new Command('poolctl');
  program
    .description('Request and inspect PrefectWorkerPool pools in the prefect-ecs-operator table.')
    .version(version, '--version', 'print the version')
    .option('--table <name>', 'the pool table (default: $POOL_TABLE_NAME, or the running local mode)')
    .option('--endpoint-url <url>', 'a DynamoDB endpoint, e.g. a local AWS (default: $AWS_ENDPOINT_URL)')
    .option('--region <region>', 'the AWS Region (default: $AWS_REGION)')
    .option('--debug', 'show stack traces of errors')
    .helpOption('-h, --help', 'show help')
    .addHelpCommand(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addHelpText('after', targetHelp);

  program
    .command('apply')
    .description('validate manifests, show what changes, and write them to the table')
    .requiredOption(
      '-f, --filename <path>',
      'a manifest file, a directory of them, or - for stdin (repeatable)',
      collect,
    )
    .option('--dry-run', 'validate and show the changes; write nothing')
    .option(
      '--wait',
      'follow the pools until Ready (or settled, on local mode), Invalid, Degraded or the timeout',
    )
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      `
Every manifest is validated first; if any is invalid, nothing is written (exit 2). A pool changed by
someone else between poolctl's read and its write is not overwritten (exit 3).
${example('poolctl apply -f examples/ --wait', 'poolctl apply -f pool.yaml --dry-run', 'cat pool.yaml | poolctl apply -f -')}`,
    )
    .action((options: { filename: string[]; dryRun?: boolean; wait?: boolean; timeout: number }) =>
      run(async (ctx) =>
        (await import('./applyCommand.js')).runApply(ctx, {
          file: options.filename,
          dryRun: options.dryRun === true,
          wait: options.wait === true,
          timeoutMs: options.timeout,
        }),
      ),
    );

  program
    .command('get')
    .description('list pools, or show one: NAME PHASE WORKERS (running/desired) BACKLOG AGE')
    .argument('[name]', 'a pool name')
    .addOption(new Option('-o, --output <format>', 'json, yaml or wide').argParser(parseOutputFormat))
    .addHelpText('after', example('poolctl get', 'poolctl get analytics -o yaml', 'poolctl get -o wide'))
    .action((name: string | undefined, options: { output?: OutputFormat }) =>
      run(async (ctx) =>
        (await import('./getCommand.js')).runGet(ctx, { name, output: options.output ?? 'table' }),
      ),
    );

  program
    .command('describe')
    .description('show a pool: spec summary, conditions, resources, backlog, scaling decisions, last error')
    .argument('<name>', 'a pool name')
    .addHelpText('after', example('poolctl describe analytics'))
    .action((name: string) =>
      run(async (ctx) => (await import('./describeCommand.js')).runDescribe(ctx, name)),
    );

  program
    .command('delete')
    .description("delete pools' spec items; the controller then removes their resources")
    .argument('<name...>', 'pool names')
    .option('--wait', 'wait until the controller has removed everything (the status item is gone)')
    .option('--ignore-not-found', 'succeed for a pool that does not exist')
    .addOption(timeoutOption())
    .addHelpText('after', example('poolctl delete analytics --wait'))
    .action((names: string[], options: { wait?: boolean; ignoreNotFound?: boolean; timeout: number }) =>
      run(async (ctx) =>
        (await import('./deleteCommand.js')).runDelete(ctx, {
          names,
          wait: options.wait === true,
          ignoreNotFound: options.ignoreNotFound === true,
          timeoutMs: options.timeout,
        }),
      ),
    );

  program
    .command('validate')
    .description("check manifests with the controller's validation; no table needed")
    .requiredOption(
      '-f, --filename <path>',
      'a manifest file, a directory of them, or - for stdin (repeatable)',
      collect,
    )
    .addHelpText(
      'after',
      `
Checks that depend on the controller's configuration (allowed secret prefix, allowed task roles) use
the running local mode's, or CONTROLLER_INSTANCE_ID, ALLOWED_SECRET_ARN_PREFIX, ALLOWED_TASK_ROLE_ARNS
and DEFAULT_WORKER_TASK_ROLE_ARN from the environment; otherwise they are left to the controller.
${example('poolctl validate -f examples/', 'poolctl validate -f pool.yaml')}`,
    )
    .action((options: { filename: string[] }) =>
      run(async (ctx) => (await import('./validateCommand.js')).runValidate(ctx, { file: options.filename })),
    );

  program
    .command('scale')
    .description('ask the controller for a manual worker count of an auto-mode pool, within its bounds')
    .argument('<name>', 'a pool name')
    .requiredOption(
      '--workers <count>',
      'the worker count, within [minWorkers, maxWorkers]',
      parseWorkerCount,
    )
    .option('--wait', "wait for the controller's decision")
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      `
poolctl never writes status: it puts a scale request item ({pk: NAME, sk: "scale", workers, requestedAt,
requestedBy}) that the controller takes, recording a decision with trigger "manual".
${example('poolctl scale analytics --workers 3 --wait')}`,
    )
    .action((name: string, options: { workers: number; wait?: boolean; timeout: number }) =>
      run(async (ctx) =>
        (await import('./scaleCommand.js')).runScale(ctx, {
          name,
          workers: options.workers,
          wait: options.wait === true,
          timeoutMs: options.timeout,
        }),
      ),
    );

  return program;
}

/** Runs one poolctl command line (without the node and script arguments) and returns its exit code. */
export async function runPoolctl(argv: readonly string[], io: PoolctlIo): Promise<number> {
  let ctx: CommandContext | undefined;
  const program = buildProgram(io, async (work) => {
    ctx = new CommandContext(io, program.opts<GlobalOptions>());
    await work(ctx);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end this way with exit code 0; anything else commander already printed as one line.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    io.stderr.write(`error: ${describeError(error)}\n`);
    if (program.opts<GlobalOptions>().debug) io.stderr.write(`${debugDetails(error)}\n`);
    return exitCodeOf(error);
  } finally {
    ctx?.close();
  }
}

function debugDetails(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? String(current)) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

/** The process's own streams and environment. */
export function processIo(): PoolctlIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    findLocalRuntime: () => findLocalRuntime({ path: localRuntimeFilePath(process.env) }),
    now: () => new Date(),
  };
}

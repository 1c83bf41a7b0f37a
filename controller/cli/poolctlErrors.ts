/**
 * poolctl's errors and exit codes (docs/poolctl.md "Exit codes"). Every error reaches the user as one
 * line on stderr; the class decides the exit code, so a command throws and never picks a number itself.
 */
import { isErrorNamed } from '../aws/awsErrors.js';

export const exitCodes = {
  ok: 0,
  /** The operation ran and failed: a pool ended Invalid or Degraded, or a wait timed out. */
  failed: 1,
  /** Bad flags or arguments, an invalid manifest, a file that cannot be read, a pool that does not exist. */
  usage: 2,
  /** Someone else changed the pool between poolctl's read and its write. */
  conflict: 3,
  /** The table or AWS cannot be reached, or the table does not exist. */
  unreachable: 4,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** The base of every error poolctl reports on purpose: its message is the one line the user sees. */
export class PoolctlError extends Error {
  override readonly name: string = 'PoolctlError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad flags or arguments. */
export class UsageError extends PoolctlError {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, exitCodes.usage, options);
  }
}

/** A manifest file that cannot be found, read or parsed. */
export class ManifestFileError extends PoolctlError {
  override readonly name = 'ManifestFileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, exitCodes.usage, options);
  }
}

/** One or more manifests fail validation; every problem was already printed, this is the summary. */
export class InvalidManifestError extends PoolctlError {
  override readonly name = 'InvalidManifestError';
  constructor(message: string) {
    super(message, exitCodes.usage);
  }
}

/** The named pool does not exist (or cannot take the request, e.g. a fixed-mode pool for `scale`). */
export class PoolNotFoundError extends PoolctlError {
  override readonly name = 'PoolNotFoundError';
  constructor(readonly pool: string) {
    super(`pool ${pool} not found`, exitCodes.usage);
  }
}

/** The spec item changed between poolctl's read and its conditional write. */
export class ApplyConflictError extends PoolctlError {
  override readonly name = 'ApplyConflictError';
  constructor(
    readonly pool: string,
    options?: { cause?: unknown },
  ) {
    super(
      `pool ${pool} changed since it was read (someone else applied it); re-run apply to see the new diff`,
      exitCodes.conflict,
      options,
    );
  }
}

/** No table could be found from flags, the environment or a running local mode. */
export class NoTableError extends PoolctlError {
  override readonly name = 'NoTableError';
  constructor() {
    super(
      'no pool table found: pass --table (and --endpoint-url for local AWS), set POOL_TABLE_NAME, or start local mode with npm start',
      exitCodes.unreachable,
    );
  }
}

/** The table or AWS cannot be reached, the table does not exist, or AWS refused the call. */
export class TableUnreachableError extends PoolctlError {
  override readonly name = 'TableUnreachableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, exitCodes.unreachable, options);
  }
}

/** The operation ran and did not succeed: a pool ended Invalid or Degraded, or a wait timed out. */
export class OperationFailedError extends PoolctlError {
  override readonly name = 'OperationFailedError';
  constructor(message: string) {
    super(message, exitCodes.failed);
  }
}

/** Where the table is, for messages about reaching it. */
export interface TargetDescription {
  readonly tableName: string;
  /** e.g. `http://127.0.0.1:4566 (local mode)` or `AWS us-east-1`. */
  readonly where: string;
}

const credentialErrors = ['CredentialsProviderError', 'ExpiredTokenException', 'ExpiredToken'];
const accessErrors = ['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException'];
const connectionCodes = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ETIMEDOUT'];

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

/**
 * Turns what an AWS SDK call threw into a poolctl error: a missing table, an unreachable endpoint, missing
 * or refused credentials become exit 4 with a line that says what to do; a missing Region is a usage
 * error. Anything else is returned unchanged (main reports it as an unexpected error).
 */
export function fromAwsError(error: unknown, target: TargetDescription): unknown {
  if (error instanceof PoolctlError) return error;
  const message = error instanceof Error ? firstLine(error.message) : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (isErrorNamed(error, 'ResourceNotFoundException')) {
    return new TableUnreachableError(`table ${target.tableName} not found at ${target.where}`, {
      cause: error,
    });
  }
  if (
    (typeof code === 'string' && connectionCodes.includes(code)) ||
    isErrorNamed(error, 'TimeoutError', 'RequestTimeout') ||
    /ECONNREFUSED|ENOTFOUND|socket hang up|connect ETIMEDOUT/.test(message)
  ) {
    return new TableUnreachableError(`cannot reach ${target.where}: ${message}`, { cause: error });
  }
  if (isErrorNamed(error, ...credentialErrors)) {
    return new TableUnreachableError(
      `no usable AWS credentials for ${target.where}: ${message} (configure AWS credentials; for a local AWS any will do, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing)`,
      { cause: error },
    );
  }
  if (isErrorNamed(error, ...accessErrors)) {
    return new TableUnreachableError(`AWS refused access to table ${target.tableName}: ${message}`, {
      cause: error,
    });
  }
  if (/region is missing/i.test(message)) {
    return new UsageError('no AWS Region: pass --region or set AWS_REGION', { cause: error });
  }
  return error;
}

/** The exit code for anything a command threw. */
export function exitCodeOf(error: unknown): ExitCode {
  return error instanceof PoolctlError ? error.exitCode : exitCodes.failed;
}

/** The one line shown for an error: a PoolctlError's message, or the name and first line of anything else. */
export function describeError(error: unknown): string {
  if (error instanceof PoolctlError) return error.message;
  if (error instanceof Error) {
    return `unexpected ${error.name}: ${firstLine(error.message)} (run with --debug for details)`;
  }
  return `unexpected error: ${String(error)}`;
}

/**
 * Domain errors of the AWS adapters. Adapters turn SDK exceptions into these, so callers branch on a
 * class rather than on a string match, and status gets a PascalCase reason.
 */
export class AwsAdapterError extends Error {
  override readonly name: string = 'AwsAdapterError';
  /** PascalCase, suitable as a condition reason. */
  readonly code: string;
  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.code = options.code;
  }
}

/** A conditional status write lost to a newer one: reconcile again from fresh state. */
export class StatusConflictError extends AwsAdapterError {
  override readonly name = 'StatusConflictError';
  constructor(pool: string, cause?: unknown) {
    super(`status of pool ${pool} was written by someone else meanwhile`, { code: 'StatusConflict', cause });
  }
}

/** A security group cannot be deleted while network interfaces still use it: requeue until they are gone. */
export class SecurityGroupInUseError extends AwsAdapterError {
  override readonly name = 'SecurityGroupInUseError';
  constructor(groupId: string, cause?: unknown) {
    super(`security group ${groupId} is still in use by network interfaces`, {
      code: 'SecurityGroupInUse',
      cause,
    });
  }
}

/**
 * A call that is not idempotent failed in a way that may still have taken effect (a 5xx, a timeout, a
 * reset connection: the answer was lost, not necessarily the request). The SDK must not repeat it — a
 * second RegisterTaskDefinition would register a twin revision — so it is left to the next reconcile,
 * which looks before it acts. Transient. The SDK's error is kept in `original`, not `cause`: the SDK's
 * retry classification follows `cause` and would retry it after all.
 */
export class OutcomeUnknownError extends AwsAdapterError {
  override readonly name = 'OutcomeUnknownError';
  constructor(
    operation: string,
    readonly original: unknown,
  ) {
    super(
      `${operation} failed and may still have taken effect (${original instanceof Error ? original.message : String(original)}); the next reconcile looks before it tries again`,
      { code: reasonFromError(original) },
    );
  }
}

/** An error after which a request may have reached the service and taken effect, though no answer came. */
export function mayHaveTakenEffect(error: unknown): boolean {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  if (metadata?.httpStatusCode !== undefined) return metadata.httpStatusCode >= 500 && !isThrottling(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    isErrorNamed(error, 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException') ||
    (typeof code === 'string' && ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code))
  );
}

function isThrottling(error: unknown): boolean {
  return isErrorNamed(
    error,
    'ThrottlingException',
    'Throttling',
    'RequestLimitExceeded',
    'TooManyRequestsException',
  );
}

function errorName(error: unknown): string {
  if (error && typeof error === 'object') {
    const candidate = (error as { name?: unknown; Code?: unknown; code?: unknown }).name;
    if (typeof candidate === 'string' && candidate !== 'Error') return candidate;
    const code = (error as { Code?: unknown }).Code ?? (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return 'UnknownError';
}

/** `InvalidParameterException` → `InvalidParameter`, `InvalidGroup.NotFound` → `InvalidGroupNotFound`. */
export function reasonFromError(error: unknown): string {
  if (error instanceof AwsAdapterError) return error.code;
  const name = errorName(error)
    .replace(/Exception$/, '')
    .replace(/[^A-Za-z0-9]/g, '');
  const pascal = name.charAt(0).toUpperCase() + name.slice(1);
  return /^[A-Z][A-Za-z0-9]*$/.test(pascal) ? pascal : 'UnknownError';
}

export function isErrorNamed(error: unknown, ...names: string[]): boolean {
  return names.includes(errorName(error));
}

/** Throttling and server-side faults that a later attempt may get through. */
export function isTransientAwsError(error: unknown): boolean {
  if (error instanceof StatusConflictError) return true;
  if (error instanceof AwsAdapterError && error.code === 'ApiCapacity') return true;
  if (error instanceof OutcomeUnknownError) return true;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  if (metadata?.httpStatusCode !== undefined && metadata.httpStatusCode >= 500) return true;
  return isErrorNamed(
    error,
    'ThrottlingException',
    'Throttling',
    'RequestLimitExceeded',
    'TooManyRequestsException',
    'ProvisionedThroughputExceededException',
    'ServerException',
    'ServiceUnavailable',
    'InternalError',
    'TimeoutError',
    'RequestTimeout',
    'RequestTimeoutException',
    'ECONNRESET',
  );
}

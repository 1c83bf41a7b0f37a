/**
 * Domain errors of the Prefect client. Callers branch on the class or on `reason`, which is PascalCase
 * and goes into the pool's `PrefectSynced` condition as is.
 *
 * Messages carry the method, the API-relative path, the status and a truncated response body: never a
 * request header, the base URL or anything derived from the credentials.
 */

export type PrefectErrorReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'Unprocessable'
  | 'RateLimited'
  | 'ServerError'
  | 'UnexpectedStatus'
  | 'InvalidResponse'
  | 'Unreachable';

/** 400 BadRequest, 401 Unauthorized, 403 Forbidden, 404 NotFound, 409 Conflict, 422 Unprocessable, 429 RateLimited, 5xx ServerError. */
export function reasonForStatus(status: number): PrefectErrorReason {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 422:
      return 'Unprocessable';
    case 429:
      return 'RateLimited';
    default:
      return status >= 500 && status <= 599 ? 'ServerError' : 'UnexpectedStatus';
  }
}

export interface PrefectApiErrorDetails {
  readonly method: string;
  /** Relative to the API URL, e.g. `/work_pools/analytics`. */
  readonly path: string;
  /** Absent when no response arrived (Unreachable). */
  readonly status?: number;
  /** Already truncated and scrubbed by the client. */
  readonly responseBody?: string;
  /** How many requests were made, retries included. */
  readonly attempts?: number;
  readonly cause?: unknown;
}

export class PrefectApiError extends Error {
  override readonly name: string = 'PrefectApiError';
  readonly reason: PrefectErrorReason;
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;
  readonly responseBody: string | undefined;
  readonly attempts: number;

  constructor(reason: PrefectErrorReason, details: PrefectApiErrorDetails, message?: string) {
    super(message ?? PrefectApiError.describe(reason, details), { cause: details.cause });
    this.reason = reason;
    this.status = details.status;
    this.method = details.method;
    this.path = details.path;
    this.responseBody = details.responseBody;
    this.attempts = details.attempts ?? 1;
  }

  private static describe(reason: PrefectErrorReason, details: PrefectApiErrorDetails): string {
    const status = details.status === undefined ? '' : ` ${details.status}`;
    const body = details.responseBody ? `: ${details.responseBody}` : '';
    return `Prefect API ${details.method} ${details.path} failed with${status} ${reason}${body}`;
  }
}

/** No response: connection refused or reset, DNS failure, or the per-request timeout. Retried before it is thrown. */
export class PrefectUnreachableError extends PrefectApiError {
  override readonly name = 'PrefectUnreachableError';
  /** True when the last attempt hit the client's timeout rather than a network failure. */
  readonly timedOut: boolean;

  constructor(
    details: Omit<PrefectApiErrorDetails, 'status' | 'responseBody'> & {
      timedOut: boolean;
      timeoutMs?: number;
    },
  ) {
    const what = details.timedOut ? `timed out after ${details.timeoutMs ?? '?'} ms` : 'could not connect';
    const attempts = details.attempts && details.attempts > 1 ? ` (${details.attempts} attempts)` : '';
    super('Unreachable', details, `Prefect API ${details.method} ${details.path} ${what}${attempts}`);
    this.timedOut = details.timedOut;
  }
}

/** 409: the object exists already (POST /work_pools/ for a taken name). */
export class PrefectConflictError extends PrefectApiError {
  override readonly name = 'PrefectConflictError';

  constructor(details: PrefectApiErrorDetails) {
    super('Conflict', { ...details, status: 409 });
  }
}

/**
 * The client was given something it refuses to use, before any request: credentials inside the API URL,
 * or a name that cannot be a URL path segment (`.` and `..`, which URL parsing resolves away).
 */
export class PrefectClientConfigError extends Error {
  override readonly name = 'PrefectClientConfigError';

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

export function isPrefectApiError(
  error: unknown,
  ...reasons: PrefectErrorReason[]
): error is PrefectApiError {
  return error instanceof PrefectApiError && (reasons.length === 0 || reasons.includes(error.reason));
}

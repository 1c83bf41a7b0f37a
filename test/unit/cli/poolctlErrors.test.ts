import { describe, expect, it } from 'vitest';
import {
  ApplyConflictError,
  describeError,
  exitCodeOf,
  exitCodes,
  fromAwsError,
  InvalidManifestError,
  ManifestFileError,
  NoTableError,
  OperationFailedError,
  PoolNotFoundError,
  TableUnreachableError,
  UsageError,
} from '../../../controller/cli/poolctlErrors.js';

const target = { tableName: 'pools', where: 'http://127.0.0.1:4566' };

function awsError(name: string, message = name, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: {}, ...extra });
}

describe('exit codes', () => {
  it.each([
    [new OperationFailedError('x'), 1],
    [new UsageError('x'), 2],
    [new ManifestFileError('x'), 2],
    [new InvalidManifestError('x'), 2],
    [new PoolNotFoundError('x'), 2],
    [new ApplyConflictError('x'), 3],
    [new NoTableError(), 4],
    [new TableUnreachableError('x'), 4],
    [new Error('anything else'), 1],
  ])('maps %s to %i', (error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });

  it('documents 0 to 4', () => {
    expect(exitCodes).toEqual({ ok: 0, failed: 1, usage: 2, conflict: 3, unreachable: 4 });
  });
});

describe('fromAwsError', () => {
  it('turns a missing table into exit 4 naming the table and where', () => {
    const error = fromAwsError(awsError('ResourceNotFoundException', 'Requested resource not found'), target);

    expect(error).toBeInstanceOf(TableUnreachableError);
    expect((error as Error).message).toBe('table pools not found at http://127.0.0.1:4566');
  });

  it('turns a refused connection into exit 4', () => {
    const error = fromAwsError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }),
      target,
    );

    expect(exitCodeOf(error)).toBe(4);
    expect((error as Error).message).toBe(
      'cannot reach http://127.0.0.1:4566: connect ECONNREFUSED 127.0.0.1:4566',
    );
  });

  it('turns missing credentials and refused access into exit 4', () => {
    expect(
      exitCodeOf(fromAwsError(awsError('CredentialsProviderError', 'Could not load credentials'), target)),
    ).toBe(4);
    expect(exitCodeOf(fromAwsError(awsError('AccessDeniedException', 'not authorized'), target))).toBe(4);
  });

  it('turns a missing Region into a usage error', () => {
    expect(fromAwsError(new Error('Region is missing'), target)).toEqual(
      new UsageError('no AWS Region: pass --region or set AWS_REGION'),
    );
  });

  it('leaves other errors alone', () => {
    const error = awsError('ValidationException');

    expect(fromAwsError(error, target)).toBe(error);
  });
});

describe('describeError', () => {
  it("is a poolctl error's message, or one line naming an unexpected error", () => {
    expect(describeError(new ApplyConflictError('analytics'))).toBe(
      'pool analytics changed since it was read (someone else applied it); re-run apply to see the new diff',
    );
    expect(describeError(new TypeError('boom\n    at somewhere'))).toBe(
      'unexpected TypeError: boom (run with --debug for details)',
    );
  });
});

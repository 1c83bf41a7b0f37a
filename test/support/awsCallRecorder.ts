/**
 * Records every operation sent through the SDK clients it is attached to, for the tests where the
 * number of calls is the point (DESIGN §9: a drift pass over unchanged pools makes no mutating call).
 * It records one entry per `send`, before the request goes out, so failed calls and calls answered by
 * an error count too; SDK retries of one `send` do not add entries.
 */
import { sdkCallName, SdkMiddleware, type AnyInitializeMiddleware, type SdkClient } from './sdkMiddleware.js';

export interface RecordedCall {
  /** The client's service, e.g. `ECS`, `EC2`, `DynamoDB` (also for the DynamoDBDocumentClient). */
  readonly service: string;
  /** The API operation, e.g. `DescribeServices`, `PutItem`. */
  readonly operation: string;
  readonly mutating: boolean;
}

export type RecordedCallFilter = Partial<RecordedCall> | ((call: RecordedCall) => boolean);

/**
 * Operation name prefixes that only read. TransactGet is read-only too, though it does not look it;
 * everything else (Create, Put, Update, Delete, Register, Tag, BatchWrite, Set...) counts as mutating.
 */
export const readOnlyOperationPrefixes = [
  'Describe',
  'List',
  'Get',
  'Query',
  'Scan',
  'BatchGet',
  'TransactGet',
];

export function isMutatingOperation(operation: string): boolean {
  return !readOnlyOperationPrefixes.some((prefix) => operation.startsWith(prefix));
}

let recorders = 0;

/**
 * Records calls through every client it is attached to until `detach()`. Several recorders may watch
 * one client at once (say, a benchmark's and a test's); each has its own middleware name.
 */
export class AwsCallRecorder {
  readonly calls: RecordedCall[] = [];
  // First in the stack, so a call is recorded even when a later middleware rejects it.
  private readonly middleware = new SdkMiddleware(`awsCallRecorder-${++recorders}`, this.record());

  attach(...clients: SdkClient[]): void {
    this.middleware.attach(...clients);
  }

  /** Stops recording; clients shared between tests then carry no middleware of finished tests. */
  detach(): void {
    this.middleware.detach();
  }

  clear(): void {
    this.calls.length = 0;
  }

  mutatingCalls(): RecordedCall[] {
    return this.calls.filter((call) => call.mutating);
  }

  count(filter?: RecordedCallFilter): number {
    if (filter === undefined) return this.calls.length;
    const matches =
      typeof filter === 'function'
        ? filter
        : (call: RecordedCall) =>
            Object.entries(filter).every(([key, value]) => call[key as keyof RecordedCall] === value);
    return this.calls.filter(matches).length;
  }

  private record(): AnyInitializeMiddleware {
    return (next, context) => async (args) => {
      const { service, operation } = sdkCallName(context);
      this.calls.push({ service, operation, mutating: isMutatingOperation(operation) });
      return next(args);
    };
  }
}

/**
 * Records every operation sent through the SDK clients it is attached to, for the tests where the
 * number of calls is the point (DESIGN §9: a drift pass over unchanged pools makes no mutating call).
 * It records one entry per `send`, before the request goes out, so failed calls and calls answered by
 * an error count too; SDK retries of one `send` do not add entries.
 */
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';

export interface RecordedCall {
  /** The client's service, e.g. `ECS`, `EC2`, `DynamoDB` (also for the DynamoDBDocumentClient). */
  readonly service: string;
  /** The API operation, e.g. `DescribeServices`, `PutItem`. */
  readonly operation: string;
  readonly mutating: boolean;
}

/** Anything with an SDK v3 middleware stack: service clients and the DynamoDBDocumentClient. */
export interface RecordableClient {
  // Each client's stack is typed with its own service's inputs and outputs; the recorder reads only
  // the context, so it accepts any of them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly middlewareStack: Pick<MiddlewareStack<any, any>, 'add' | 'remove'>;
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
  private readonly middlewareName = `awsCallRecorder-${++recorders}`;
  // A DynamoDBDocumentClient shares its stack with the client it wraps: attaching both must not
  // record each call twice (nor add the middleware twice, which the stack rejects).
  private readonly attachedStacks = new Set<RecordableClient['middlewareStack']>();

  attach(...clients: RecordableClient[]): void {
    for (const client of clients) {
      const stack = client.middlewareStack;
      if (this.attachedStacks.has(stack)) continue;
      this.attachedStacks.add(stack);
      stack.add(this.middleware(), {
        step: 'initialize',
        // First in the stack, so a call is recorded even when a later middleware rejects it.
        priority: 'high',
        name: this.middlewareName,
        tags: ['TEST'],
      });
    }
  }

  /** Stops recording; clients shared between tests then carry no middleware of finished tests. */
  detach(): void {
    for (const stack of this.attachedStacks) stack.remove(this.middlewareName);
    this.attachedStacks.clear();
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

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private middleware(): InitializeMiddleware<any, any> {
    return (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      this.calls.push({
        service: (context.clientName ?? 'Unknown').replace(/Client$/, ''),
        operation,
        mutating: isMutatingOperation(operation),
      });
      return next(args);
    };
  }
}

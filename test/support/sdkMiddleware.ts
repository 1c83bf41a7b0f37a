/**
 * One named SDK v3 middleware attached to many clients, as the tests' and benchmarks' call recorders,
 * crash injector and guards attach theirs: in the initialize step, first in the stack (before the document
 * client's marshalling and outside the SDK's retries: one run per `send`), once per stack, removable.
 */
import type { HandlerExecutionContext, InitializeMiddleware, MiddlewareStack } from '@smithy/types';

/** Anything with an SDK v3 middleware stack: service clients and the DynamoDBDocumentClient. */
export interface SdkClient {
  // Each client's stack is typed with its own service's inputs and outputs; the middlewares here read
  // only the context and the plain input, so they accept any of them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly middlewareStack: Pick<MiddlewareStack<any, any>, 'add' | 'remove'>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyInitializeMiddleware = InitializeMiddleware<any, any>;

/** A call's service and operation, e.g. `ECS` and `DescribeServices` (`DynamoDB` for the document client). */
export function sdkCallName(context: HandlerExecutionContext): { service: string; operation: string } {
  return {
    service: (context.clientName ?? 'Unknown').replace(/Client$/, ''),
    operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''),
  };
}

export class SdkMiddleware {
  // A DynamoDBDocumentClient shares its stack with the client it wraps: attaching both must not run the
  // middleware twice on a call (nor add it twice, which the stack rejects).
  private readonly stacks = new Set<SdkClient['middlewareStack']>();

  /** @param name unique among the middlewares on a stack (several may watch one client at once). */
  constructor(
    readonly name: string,
    private readonly middleware: AnyInitializeMiddleware,
  ) {}

  attach(...clients: SdkClient[]): void {
    for (const client of clients) {
      const stack = client.middlewareStack;
      if (this.stacks.has(stack)) continue;
      this.stacks.add(stack);
      stack.add(this.middleware, { step: 'initialize', priority: 'high', name: this.name, tags: ['TEST'] });
    }
  }

  /** Removes the middleware; clients shared between tests then carry none of finished tests. */
  detach(): void {
    for (const stack of this.stacks) stack.remove(this.name);
    this.stacks.clear();
  }
}

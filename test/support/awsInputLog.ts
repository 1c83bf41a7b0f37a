/**
 * Like AwsCallRecorder, but keeps each call's input too, for the tests where what a call targeted is the
 * point: a hostile spec must cause no mutating call, garbage collection must not touch a look-alike. The
 * input is copied when the call is made (before the SDK marshals or retries it).
 */
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { isMutatingOperation } from './awsCallRecorder.js';

export interface LoggedCall {
  /** `ECS`, `EC2`, `CloudWatch`, `DynamoDB`, `SecretsManager`. */
  readonly service: string;
  readonly operation: string;
  readonly mutating: boolean;
  readonly input: Record<string, unknown>;
}

export interface InputLoggableClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly middlewareStack: Pick<MiddlewareStack<any, any>, 'add' | 'remove'>;
}

let logs = 0;

export class AwsInputLog {
  readonly calls: LoggedCall[] = [];
  private readonly name = `awsInputLog-${++logs}`;
  private readonly stacks = new Set<InputLoggableClient['middlewareStack']>();

  attach(...clients: InputLoggableClient[]): this {
    for (const client of clients) {
      if (this.stacks.has(client.middlewareStack)) continue;
      this.stacks.add(client.middlewareStack);
      client.middlewareStack.add(this.middleware(), {
        step: 'initialize',
        priority: 'high',
        name: this.name,
        tags: ['TEST'],
      });
    }
    return this;
  }

  detach(): void {
    for (const stack of this.stacks) stack.remove(this.name);
    this.stacks.clear();
  }

  clear(): void {
    this.calls.length = 0;
  }

  /** Mutating calls to the services that hold a pool's resources (status writes excluded). */
  resourceMutations(): LoggedCall[] {
    return this.calls.filter((call) => call.mutating && ['ECS', 'EC2', 'CloudWatch'].includes(call.service));
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private middleware(): InitializeMiddleware<any, any> {
    return (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      let input: Record<string, unknown>;
      try {
        input = structuredClone(args.input as Record<string, unknown>);
      } catch {
        input = { ...(args.input as Record<string, unknown>) };
      }
      this.calls.push({
        service: (context.clientName ?? 'Unknown').replace(/Client$/, ''),
        operation,
        mutating: isMutatingOperation(operation),
        input,
      });
      return next(args);
    };
  }
}

/** The call's input as text, for "does this call name that resource" checks. */
export function inputText(call: LoggedCall): string {
  return JSON.stringify(call.input, (_key, value: unknown) =>
    value instanceof Uint8Array ? `<${value.length} bytes>` : value,
  );
}

/**
 * Like AwsCallRecorder, but keeps each call's input too, for the tests where what a call targeted is the
 * point: a hostile spec must cause no mutating call, garbage collection must not touch a look-alike. The
 * input is copied when the call is made (before the SDK marshals or retries it).
 */
import { isMutatingOperation } from './awsCallRecorder.js';
import { sdkCallName, SdkMiddleware, type AnyInitializeMiddleware, type SdkClient } from './sdkMiddleware.js';

export interface LoggedCall {
  /** `ECS`, `EC2`, `CloudWatch`, `DynamoDB`, `SecretsManager`. */
  readonly service: string;
  readonly operation: string;
  readonly mutating: boolean;
  readonly input: Record<string, unknown>;
}

let logs = 0;

export class AwsInputLog {
  readonly calls: LoggedCall[] = [];
  private readonly middleware = new SdkMiddleware(`awsInputLog-${++logs}`, this.log());

  attach(...clients: SdkClient[]): this {
    this.middleware.attach(...clients);
    return this;
  }

  detach(): void {
    this.middleware.detach();
  }

  clear(): void {
    this.calls.length = 0;
  }

  /** Mutating calls to the services that hold a pool's resources (status writes excluded). */
  resourceMutations(): LoggedCall[] {
    return this.calls.filter((call) => call.mutating && ['ECS', 'EC2', 'CloudWatch'].includes(call.service));
  }

  private log(): AnyInitializeMiddleware {
    return (next, context) => async (args) => {
      const { service, operation } = sdkCallName(context);
      let input: Record<string, unknown>;
      try {
        input = structuredClone(args.input as Record<string, unknown>);
      } catch {
        input = { ...(args.input as Record<string, unknown>) };
      }
      this.calls.push({ service, operation, mutating: isMutatingOperation(operation), input });
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

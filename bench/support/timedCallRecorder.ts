/**
 * Records every AWS call sent through the clients it is attached to, with its start and end (for round
 * trips and time spent waiting on AWS), whether it succeeded, and the calls AWS would have needed for it
 * (awsCallsFor: moto answers some paged operations in one page). One entry per `send`: SDK retries of one
 * call do not add entries, as in test/support/awsCallRecorder.ts, whose notion of "mutating" it shares.
 */
import { isMutatingOperation } from '../../test/support/awsCallRecorder.js';
import {
  sdkCallName,
  SdkMiddleware,
  type AnyInitializeMiddleware,
  type SdkClient,
} from '../../test/support/sdkMiddleware.js';
import { awsCallsFor } from '../analysis/awsPaging.js';

export interface TimedCall {
  /** `ECS`, `EC2`, `CloudWatch`, `DynamoDB` (the document client's calls too), `SecretsManager`. */
  readonly service: string;
  readonly operation: string;
  readonly mutating: boolean;
  /** performance.now() when the call was sent and when its answer (or error) came back. */
  readonly startedAt: number;
  endedAt: number;
  ok: boolean;
  /** The error's name when the call failed (after the SDK's retries). */
  errorName?: string;
  /** What AWS would count for this call: 1, or the pages AWS needs for what moto answered at once. */
  awsCalls: number;
}

/** Sees each successful call's input and output, e.g. to follow the status items being written. */
export type CallObserver = (call: TimedCall, input: unknown, output: unknown) => void;

let recorders = 0;

export class TimedCallRecorder {
  readonly calls: TimedCall[] = [];
  private readonly observers: CallObserver[] = [];
  // Before the document client's marshalling: inputs and outputs are plain objects there.
  private readonly middleware = new SdkMiddleware(`benchCallRecorder-${++recorders}`, this.time());

  attach(...clients: SdkClient[]): void {
    this.middleware.attach(...clients);
  }

  observe(observer: CallObserver): void {
    this.observers.push(observer);
  }

  clear(): void {
    this.calls.length = 0;
  }

  /** Moves the recorded calls out (the recorder keeps recording into an empty list). */
  take(): TimedCall[] {
    return this.calls.splice(0, this.calls.length);
  }

  private time(): AnyInitializeMiddleware {
    return (next, context) => async (args) => {
      const { service, operation } = sdkCallName(context);
      const call: TimedCall = {
        service,
        operation,
        mutating: isMutatingOperation(operation),
        startedAt: performance.now(),
        endedAt: 0,
        ok: false,
        awsCalls: 1,
      };
      this.calls.push(call);
      try {
        const result = await next(args);
        call.endedAt = performance.now();
        call.ok = true;
        call.awsCalls = awsCallsFor(service, operation, args.input, result.output);
        for (const observer of this.observers) observer(call, args.input, result.output);
        return result;
      } catch (error) {
        call.endedAt = performance.now();
        call.errorName = error instanceof Error ? error.name : 'UnknownError';
        throw error;
      }
    };
  }
}

export interface CallSummary {
  readonly calls: number;
  /** The same calls as AWS would count them (paged answers split into AWS's pages). */
  readonly awsCalls: number;
  readonly mutating: number;
  readonly failed: number;
  /** `Service.Operation` → calls. */
  readonly byOperation: Record<string, number>;
  /** `Service.Operation: ErrorName` → failed calls (a lookup of what does not exist yet counts too). */
  readonly failures: Record<string, number>;
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export function summarizeCalls(calls: readonly TimedCall[]): CallSummary {
  const byOperation: Record<string, number> = {};
  const failures: Record<string, number> = {};
  let awsCalls = 0;
  for (const call of calls) {
    const key = `${call.service}.${call.operation}`;
    byOperation[key] = (byOperation[key] ?? 0) + 1;
    awsCalls += call.awsCalls;
    if (!call.ok) {
      const failure = `${key}: ${call.errorName ?? 'Error'}`;
      failures[failure] = (failures[failure] ?? 0) + 1;
    }
  }
  return {
    calls: calls.length,
    awsCalls,
    mutating: calls.filter((call) => call.mutating).length,
    failed: calls.filter((call) => !call.ok).length,
    byOperation: sorted(byOperation),
    failures: sorted(failures),
  };
}

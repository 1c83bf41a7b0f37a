/**
 * Simulates the controller's process dying mid-reconcile (a Lambda timeout, an out-of-memory kill, a
 * container recycled): attached to a harness's SDK clients, it counts the mutating calls that go out —
 * AWS writes and the controller's own DynamoDB writes (status, lease), which are steps of a reconcile too —
 * and right after the k-th one has completed (its answer received, success or error), it throws a
 * SimulatedCrashError and marks the process dead: from then on every call through any attached client
 * throws before it is sent. A dead process makes no further call, so the controller cannot "handle" the
 * crash as if it were an AWS error and carry on (it catches those in places, then writes status).
 *
 * With no crash point it only counts, which is how a test learns how many injection points a scenario
 * has: one per mutating call of the uninterrupted run.
 */
import { isMutatingOperation } from './awsCallRecorder.js';
import { sdkCallName, SdkMiddleware, type AnyInitializeMiddleware, type SdkClient } from './sdkMiddleware.js';

/** Not an AWS error: no `$metadata`, no AWS error name, so nothing in the controller mistakes it for one. */
export class SimulatedCrashError extends Error {
  override readonly name = 'SimulatedCrashError';
}

export interface MutatingCall {
  readonly service: string;
  readonly operation: string;
  /**
   * The DynamoDB item's sort key for item writes (`status`, `lease`, `spec`, `scale`), so a crash point
   * reads as "after PutItem(lease)" rather than just "after PutItem".
   */
  readonly item?: string;
  /** How the call ended: with an answer, or with an error (an AWS error still happened on the server side). */
  readonly outcome: 'ok' | 'error';
}

/** `DynamoDB:PutItem(status)`, `ECS:CreateService`: a mutating call in a report. */
export function describeCall(call: Pick<MutatingCall, 'service' | 'operation' | 'item'>): string {
  return `${call.service}:${call.operation}${call.item ? `(${call.item})` : ''}`;
}

function itemSortKey(input: unknown): string | undefined {
  const record = input as { Item?: { sk?: unknown }; Key?: { sk?: unknown } } | undefined;
  const sk = record?.Item?.sk ?? record?.Key?.sk;
  if (typeof sk === 'string') return sk;
  // The plain DynamoDB client's marshalled form.
  const marshalled = (sk as { S?: unknown } | undefined)?.S;
  return typeof marshalled === 'string' ? marshalled : undefined;
}

/** The n-th occurrence of one mutating call, e.g. the first `DynamoDB:PutItem(status)`. */
export interface CrashPoint {
  readonly call: string;
  readonly occurrence: number;
}

/** Each step of a run as a crash point that names it, so a rerun dies at the same step. */
export function crashPointsOf(calls: readonly MutatingCall[]): CrashPoint[] {
  const seen = new Map<string, number>();
  return calls.map((call) => {
    const name = describeCall(call);
    const occurrence = (seen.get(name) ?? 0) + 1;
    seen.set(name, occurrence);
    return { call: name, occurrence };
  });
}

let injectors = 0;

export class CrashInjector {
  /** Mutating calls that were sent, in order of completion. */
  readonly mutatingCalls: MutatingCall[] = [];
  /** The call after which the process died; undefined while it lives. */
  crashedAfter: MutatingCall | undefined;
  /** Calls refused because the process was already dead. */
  refused = 0;
  // initialize runs outside the SDK's retry middleware: one count per send, retries included, and a
  // SimulatedCrashError thrown there is never retried.
  private readonly middleware = new SdkMiddleware(`crashInjector-${++injectors}`, this.injector());
  private inFlight = 0;
  private waiters: (() => void)[] = [];

  /**
   * @param crashAfter when to die: right after the k-th mutating call (a number), or right after the
   *   n-th occurrence of one call (`{ call: 'ECS:RegisterTaskDefinition', occurrence: 1 }`, named as
   *   `describeCall` names it) — the same step of a run whatever order its parallel branches finish in.
   *   Never when undefined: the injector only counts.
   */
  constructor(readonly crashAfter?: number | CrashPoint) {
    const k = typeof crashAfter === 'number' ? crashAfter : crashAfter?.occurrence;
    if (k !== undefined && !(Number.isInteger(k) && k > 0)) {
      throw new RangeError(`a crash point must count from 1, got ${k}`);
    }
  }

  private isCrashPoint(call: MutatingCall): boolean {
    const point = this.crashAfter;
    if (point === undefined) return false;
    if (typeof point === 'number') return this.mutatingCalls.length === point;
    const name = describeCall(call);
    return (
      name === point.call &&
      this.mutatingCalls.filter((earlier) => describeCall(earlier) === name).length === point.occurrence
    );
  }

  get crashed(): boolean {
    return this.crashedAfter !== undefined;
  }

  attach(...clients: SdkClient[]): void {
    this.middleware.attach(...clients);
  }

  detach(): void {
    this.middleware.detach();
  }

  /**
   * Resolves when no call is in flight. After a crash, requests sent just before it may still be on
   * their way (the other branches of a Promise.all): a recovery must not start while the dead process's
   * last requests could still land.
   */
  async idle(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private settle(): void {
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private injector(): AnyInitializeMiddleware {
    return (next, context) => async (args) => {
      const { service, operation } = sdkCallName(context);
      if (this.crashedAfter) {
        this.refused += 1;
        throw new SimulatedCrashError(
          `the process died after ${describeCall(this.crashedAfter)}; ${service}:${operation} was never sent`,
        );
      }
      const mutating = isMutatingOperation(operation);
      const item = service === 'DynamoDB' ? itemSortKey((args as { input?: unknown }).input) : undefined;
      this.inFlight += 1;
      let outcome: MutatingCall['outcome'] = 'ok';
      try {
        return await next(args);
      } catch (error) {
        outcome = 'error';
        throw error;
      } finally {
        this.settle();
        const diedBefore = this.crashedAfter;
        if (mutating) {
          // Sent before the crash, so it happened on the server side whatever the process saw of it.
          const call: MutatingCall = { service, operation, ...(item ? { item } : {}), outcome };
          this.mutatingCalls.push(call);
          if (!diedBefore && this.isCrashPoint(call)) {
            this.crashedAfter = call;
            // Thrown from `finally`, this replaces the call's answer or error: the process is gone.
            // eslint-disable-next-line no-unsafe-finally
            throw new SimulatedCrashError(`simulated crash right after ${describeCall(call)}`);
          }
        }
        if (diedBefore) {
          // An answer that arrives after the crash reaches no one.
          // eslint-disable-next-line no-unsafe-finally
          throw new SimulatedCrashError(`the process died after ${describeCall(diedBefore)}`);
        }
      }
    };
  }
}

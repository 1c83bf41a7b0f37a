/**
 * An invocation's time budget. Handlers stop starting new pools when less than the safety margin is
 * left, so no pool is cut off half-way and the rest is left for the next invocation.
 */
export class Deadline {
  constructor(
    private readonly remainingMs: () => number,
    private readonly safetyMs: number,
  ) {}

  static fromLambdaContext(
    context: { getRemainingTimeInMillis(): number } | undefined,
    safetyMs: number,
  ): Deadline {
    return context ? new Deadline(() => context.getRemainingTimeInMillis(), safetyMs) : Deadline.unlimited();
  }

  static unlimited(): Deadline {
    return new Deadline(() => Number.POSITIVE_INFINITY, 0);
  }

  hasTimeForAnother(): boolean {
    return this.remainingMs() > this.safetyMs;
  }

  /** What is left before the safety margin: the longest any single wait may take. */
  budgetMs(): number {
    return this.remainingMs() - this.safetyMs;
  }
}

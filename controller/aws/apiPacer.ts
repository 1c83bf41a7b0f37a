/**
 * Paces the controller's own calls to AWS's published rates (DESIGN §6.1, §6.2), so bulk work — hundreds
 * of pools applied at once — queues here instead of being throttled there. One token bucket per quota
 * category, shared by every client of the process; a call that would wait longer than the invocation can
 * afford fails fast with ApiCapacityError (transient: the pool is requeued, not marked failed).
 */
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';
import { AwsAdapterError } from './awsErrors.js';

export interface PacedCategory {
  readonly name: string;
  /** Operations in this category, as `Service:Operation` (Service as the SDK client names it). */
  readonly operations: readonly string[];
  /** Tokens per second. */
  readonly rate: number;
  readonly burst: number;
}

/**
 * AWS's buckets at 90% of their refill rate: the account's quota is shared with everything else in it
 * (consoles, other tools), and a call throttled by AWS costs a retry with backoff.
 */
export const awsPacedCategories: readonly PacedCategory[] = [
  {
    name: 'ecs-service-modify',
    operations: ['ECS:CreateService', 'ECS:UpdateService', 'ECS:DeleteService'],
    rate: 4.5,
    burst: 40,
  },
  {
    name: 'ecs-task-definition-modify',
    operations: ['ECS:RegisterTaskDefinition', 'ECS:DeregisterTaskDefinition'],
    rate: 0.9,
    burst: 15,
  },
  { name: 'ecs-tag-modify', operations: ['ECS:TagResource', 'ECS:UntagResource'], rate: 9, burst: 15 },
  { name: 'ecs-service-read', operations: ['ECS:DescribeServices', 'ECS:ListServices'], rate: 18, burst: 80 },
  { name: 'cloudwatch-put-alarm', operations: ['CloudWatch:PutMetricAlarm'], rate: 2.7, burst: 3 },
  { name: 'cloudwatch-delete-alarms', operations: ['CloudWatch:DeleteAlarms'], rate: 2.7, burst: 3 },
  { name: 'cloudwatch-describe-alarms', operations: ['CloudWatch:DescribeAlarms'], rate: 8, burst: 9 },
  { name: 'cloudwatch-put-metric-data', operations: ['CloudWatch:PutMetricData'], rate: 450, burst: 450 },
];

export class ApiCapacityError extends AwsAdapterError {
  override readonly name = 'ApiCapacityError';
  constructor(category: string, waitMs: number) {
    super(
      `AWS API capacity for ${category} is used up for the next ${Math.ceil(waitMs / 1000)} s; retrying later`,
      {
        code: 'ApiCapacity',
      },
    );
  }
}

interface Bucket {
  readonly category: PacedCategory;
  tokens: number;
  updatedAt: number;
}

export interface PacerOptions {
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The longest a call may wait for a token. */
  readonly maxWaitMs?: number;
}

export class ApiPacer {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private maxWaitMs: number;
  /** What the current invocation has left before its safety margin; waits never outlast it. */
  private budgetMs: () => number = () => Number.POSITIVE_INFINITY;
  /** How long callers have queued for tokens in total, for metrics and the benchmark. */
  waitedMs = 0;

  constructor(categories: readonly PacedCategory[] = awsPacedCategories, options: PacerOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxWaitMs = options.maxWaitMs ?? 20_000;
    for (const category of categories) {
      const bucket: Bucket = { category, tokens: category.burst, updatedAt: this.now() };
      for (const operation of category.operations) this.buckets.set(operation, bucket);
    }
  }

  /** Bounds waiting by what the current invocation has left. */
  setMaxWait(ms: number): void {
    this.maxWaitMs = Math.max(0, ms);
  }

  /** Bounds every wait by the time the invocation has left at that moment, not only at its start. */
  setBudget(budgetMs: () => number): void {
    this.budgetMs = budgetMs;
  }

  /**
   * Takes a token for the operation, waiting for one if needed. Tokens are reserved at once (the bucket
   * may go negative), so concurrent callers queue in order instead of racing for the same refill.
   */
  async acquire(operation: string): Promise<void> {
    const bucket = this.buckets.get(operation);
    if (!bucket) return;
    const now = this.now();
    const { rate, burst } = bucket.category;
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * rate);
    bucket.updatedAt = now;
    const waitMs = bucket.tokens >= 1 ? 0 : ((1 - bucket.tokens) / rate) * 1000;
    if (waitMs > Math.min(this.maxWaitMs, this.budgetMs()))
      throw new ApiCapacityError(bucket.category.name, waitMs);
    bucket.tokens -= 1;
    if (waitMs > 0) {
      this.waitedMs += waitMs;
      await this.sleep(waitMs);
    }
  }

  /** Adds pacing to an SDK client: every attempt (retries included) takes a token first. */
  attach(
    client: { readonly middlewareStack: Pick<MiddlewareStack<object, object>, 'add'> },
    service: string,
  ): void {
    const middleware: FinalizeRequestMiddleware<object, object> = (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      await this.acquire(`${service}:${command.replace(/Command$/, '')}`);
      return next(args);
    };
    // Low priority in finalizeRequest runs inside the retry middleware, so each retry is paced too.
    client.middlewareStack.add(middleware, { step: 'finalizeRequest', priority: 'low', name: 'apiPacer' });
  }
}

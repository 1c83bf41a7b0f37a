/**
 * The local stand-in for the EventBridge schedule: invokes the schedule handler at a fixed rate, never
 * two runs at once (a run longer than the interval delays the next one instead of overlapping it).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { BackgroundLoop } from './backgroundLoop.js';
import { createLocalLambdaContext } from './localLambdaContext.js';

export type ScheduleHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface ScheduleTimerOptions {
  readonly handler: ScheduleHandler;
  readonly intervalMs: number;
  readonly region: string;
  readonly logger: Pick<Logger, 'error'>;
  /** The time budget each invocation's context reports (default 60 s). */
  readonly invocationTimeoutMs?: number;
  /** Called after every invocation. */
  readonly afterInvocation?: () => void;
}

/** Default seconds between drift passes locally; a deployment would run one a minute. */
export const defaultLocalScheduleSeconds = 15;

export class ScheduleTimer extends BackgroundLoop {
  constructor(private readonly options: ScheduleTimerOptions) {
    super();
  }

  /**
   * Runs the handler every interval until stop(), which resolves once a run in flight has finished. The
   * first run comes one interval after start(), like a newly created schedule's.
   */
  protected async run(): Promise<void> {
    let next = Date.now() + this.options.intervalMs;
    while (!this.stopped) {
      await this.pause(Math.max(0, next - Date.now()));
      if (this.stopped) break;
      next += this.options.intervalMs;
      await this.runOnce();
      // Runs that fell behind are not made up: one late run stands for all of them, as with EventBridge.
      if (next < Date.now()) next = Date.now() + this.options.intervalMs;
    }
  }

  private async runOnce(): Promise<void> {
    const time = new Date();
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [],
      detail: {},
    };
    try {
      await this.options.handler(
        event,
        createLocalLambdaContext('schedule-handler', this.options.invocationTimeoutMs ?? 60_000),
      );
    } catch (error) {
      // EventBridge would retry an async invocation; the next tick does the same work anyway.
      this.options.logger.error('schedule handler failed', { error });
    } finally {
      this.options.afterInvocation?.();
    }
  }
}

/**
 * EventBridge "CloudWatch Alarm State Change" → a scaling decision. Thin: find the pool and the alarm's
 * role from the alarm's name, take the datapoint from the event, and hand over to scalePool.
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { newestDatapoint, parseAlarmName, scalingRoles } from '../core/poolAlarms.js';
import { Deadline } from '../reconciler/deadline.js';
import type { ReconcilerDependencies } from '../reconciler/reconcilerDependencies.js';
import { scalePool, type ScaleResult } from '../reconciler/scalePool.js';

/** The part of the event's detail the controller reads (DESIGN §6.2). */
export interface AlarmStateChangeDetail {
  readonly alarmName: string;
  readonly state: {
    readonly value: string;
    readonly reason?: string;
    readonly reasonData?: string;
    readonly timestamp?: string;
  };
  readonly previousState?: { readonly value: string };
}

export type AlarmStateChangeEvent = EventBridgeEvent<'CloudWatch Alarm State Change', AlarmStateChangeDetail>;

export type AlarmHandlerResult =
  | { readonly handled: false; readonly reason: string }
  | { readonly handled: true; readonly result: ScaleResult };

export function createAlarmHandler(getDeps: () => ReconcilerDependencies) {
  return async (event: AlarmStateChangeEvent, context?: Context): Promise<AlarmHandlerResult> => {
    const deps = getDeps();
    const name = event.detail?.alarmName;
    const owner = typeof name === 'string' ? parseAlarmName(deps.config.instanceId, name) : undefined;
    if (!owner) return ignore(deps, `alarm ${String(name)} is not one of this controller's pool alarms`);
    const role = scalingRoles[owner.role];
    if (!role) return ignore(deps, `alarm ${name} is a health alarm: it notifies people, it does not scale`);
    // Leaving ALARM needs no decision: the scale-in alarm covers the way down.
    if (event.detail.state?.value !== 'ALARM')
      return ignore(deps, `alarm ${name} went to ${event.detail.state?.value}`);
    if (!Deadline.fromLambdaContext(context, 1_000).hasTimeForAnother()) {
      // Throwing makes EventBridge's async invoke retry the event.
      throw new Error(`no time left to scale pool ${owner.pool}`);
    }
    const datapoint = newestDatapoint(event.detail.state.reasonData);
    const result = await scalePool(deps, {
      pool: owner.pool,
      trigger: { ...role, ...(datapoint !== undefined ? { datapoint } : {}) },
      source: owner.role,
    });
    return { handled: true, result };
  };
}

function ignore(deps: ReconcilerDependencies, reason: string): AlarmHandlerResult {
  deps.logger.debug('alarm event ignored', { reason });
  return { handled: false, reason };
}

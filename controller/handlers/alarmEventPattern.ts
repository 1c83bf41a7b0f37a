/**
 * The EventBridge rule that routes pool alarm state changes to the alarm handler, in one place: the stack's
 * rule is built from it, and the local alarm watcher applies the same pattern to the events it makes, so
 * what reaches the handler locally is what the deployed rule would let through. It matches CloudWatch's
 * "CloudWatch Alarm State Change" events (DESIGN §6.2) for alarms named `<instanceId>-…`: every pool alarm
 * of this controller instance (`<instanceId>-<pool>-<role>`, controller/core/poolAlarms.ts) and nothing of
 * another instance's.
 */

import { instanceAlarmNamePrefix } from '../api/resourceNames.js';

export const alarmStateChangeSource = 'aws.cloudwatch';
export const alarmStateChangeDetailType = 'CloudWatch Alarm State Change';

/** Every pool alarm of a controller instance starts with this. */
export const poolAlarmsPrefix = instanceAlarmNamePrefix;

/** An EventBridge pattern leaf: exact values, or `{ prefix }` (the only content filter used here). */
export type EventPatternValue = string | { readonly prefix: string };

/** An EventBridge event pattern (the subset used here): nested objects, each leaf a list of accepted values. */
export interface EventPattern {
  readonly [field: string]: EventPattern | readonly EventPatternValue[];
}

/**
 * The pattern as EventBridge's PutRule takes it (`aws events put-rule --event-pattern`):
 * `{"source":["aws.cloudwatch"],"detail-type":["CloudWatch Alarm State Change"],"detail":{"alarmName":[{"prefix":"<id>-"}]}}`
 */
export function alarmStateChangeEventPattern(instanceId: string): EventPattern {
  return {
    source: [alarmStateChangeSource],
    'detail-type': [alarmStateChangeDetailType],
    detail: { alarmName: [{ prefix: poolAlarmsPrefix(instanceId) }] },
  };
}

/**
 * The same pattern in the shape of aws-cdk-lib's `events.EventPattern`, which spells `detail-type` as
 * `detailType` (and renders it back when synthesizing): `new Rule(this, 'Rule', { eventPattern:
 * alarmStateChangeRulePattern(instanceId) })`.
 */
export function alarmStateChangeRulePattern(instanceId: string): {
  source: string[];
  detailType: string[];
  detail: { alarmName: { prefix: string }[] };
} {
  return {
    source: [alarmStateChangeSource],
    detailType: [alarmStateChangeDetailType],
    detail: { alarmName: [{ prefix: poolAlarmsPrefix(instanceId) }] },
  };
}

/**
 * Whether an event matches a pattern the way EventBridge matches for the subset used here: every field the
 * pattern names must be present, and each leaf must equal one of the listed strings or start with a listed
 * prefix. (A list-valued field in the event matches when any of its items does, as in EventBridge.)
 */
export function matchesEventPattern(value: unknown, pattern: EventPattern): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = (value as Record<string, unknown>)[field];
    if (isLeaf(expected)) {
      const candidates = Array.isArray(actual) ? (actual as unknown[]) : [actual];
      return candidates.some((candidate) => expected.some((accepted) => leafMatches(candidate, accepted)));
    }
    return matchesEventPattern(actual, expected);
  });
}

/** Whether the deployed rule would deliver this event to the alarm handler of this controller instance. */
export function matchesAlarmStateChangePattern(event: unknown, instanceId: string): boolean {
  return matchesEventPattern(event, alarmStateChangeEventPattern(instanceId));
}

function isLeaf(
  expected: EventPattern | readonly EventPatternValue[],
): expected is readonly EventPatternValue[] {
  return Array.isArray(expected);
}

function leafMatches(actual: unknown, accepted: EventPatternValue): boolean {
  if (typeof accepted === 'string') return actual === accepted;
  return typeof actual === 'string' && actual.startsWith(accepted.prefix);
}

/**
 * The table stream's event filter, in one place: the deployed event source mapping sends it to Lambda as
 * FilterCriteria, and the local stream poller applies the same pattern itself, so status writes re-trigger
 * the controller in neither. Only spec items pass (inserts, edits and deletions alike: a REMOVE record
 * carries its keys too).
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { poolTableKeys } from '../api/tableContract.js';

/** A Lambda event filter pattern: nested objects, each leaf a list of accepted values. */
export interface EventFilterPattern {
  readonly [field: string]: EventFilterPattern | readonly (string | number | boolean | null)[];
}

/** `{"dynamodb":{"Keys":{"sk":{"S":["spec"]}}}}` */
export const specItemsOnlyFilterPattern: EventFilterPattern = {
  dynamodb: { Keys: { [poolTableKeys.sortKey]: { S: [poolTableKeys.specSortKey] } } },
};

/** As the event source mapping's `FilterCriteria` takes it (each pattern a JSON string). */
export const streamFilterCriteria = {
  Filters: [{ Pattern: JSON.stringify(specItemsOnlyFilterPattern) }],
} as const;

/**
 * Whether a value matches a pattern the way Lambda's filtering does for the subset used here: every field
 * named in the pattern must be present, and each leaf must equal one of the listed values.
 */
export function matchesEventFilterPattern(value: unknown, pattern: EventFilterPattern): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = (value as Record<string, unknown>)[field];
    if (Array.isArray(expected)) return expected.some((accepted) => accepted === actual);
    return matchesEventFilterPattern(actual, expected as EventFilterPattern);
  });
}

/** The local poller's stand-in for the event source mapping's filter. */
export function passesStreamEventFilter(record: DynamoDBRecord): boolean {
  return matchesEventFilterPattern(record, specItemsOnlyFilterPattern);
}

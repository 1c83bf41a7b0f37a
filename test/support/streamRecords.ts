/**
 * DynamoDB stream records as Lambda delivers them to the stream handler (keys only: the handler reads
 * the item itself), including malformed ones for poison-record tests.
 */
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

let sequence = 0;

/** A record with the given keys (undefined: no Keys at all), numbered in delivery order. */
export function streamRecord(
  keys: Record<string, AttributeValue> | undefined,
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE' = 'INSERT',
): DynamoDBRecord {
  sequence += 1;
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: { ...(keys ? { Keys: keys } : {}), SequenceNumber: String(sequence).padStart(21, '0') },
  };
}

/** A record about a pool's spec item. */
export function specRecord(
  pool: string,
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE' = 'INSERT',
): DynamoDBRecord {
  return streamRecord({ pk: { S: pool }, sk: { S: 'spec' } }, eventName);
}

/** Records the handler cannot make sense of: each must come back in batchItemFailures. */
export function poisonRecords(): DynamoDBRecord[] {
  return [
    streamRecord(undefined),
    streamRecord({ pk: { N: '12' }, sk: { S: 'spec' } }),
    streamRecord({ pk: { S: 'no-sort-key' } }),
    streamRecord({ pk: { S: '' }, sk: { S: 'spec' } }),
    streamRecord({ pk: { B: 'AAE=' as unknown as string }, sk: { S: 'spec' } }),
    streamRecord({ sk: { S: 'spec' } }),
  ];
}

export function sequenceNumberOf(record: DynamoDBRecord): string {
  return record.dynamodb?.SequenceNumber ?? '';
}

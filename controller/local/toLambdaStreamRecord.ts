/**
 * A record read with the DynamoDB Streams API, in the shape Lambda's event source mapping delivers it.
 * The two are nearly the same JSON; the SDK only decodes a few fields (binary values to bytes, the
 * creation time to a Date) that the Lambda event carries as base64 strings and epoch seconds.
 */
import type {
  AttributeValue as SdkAttributeValue,
  _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

type LambdaImage = Record<string, AttributeValue>;

export function toLambdaStreamRecord(record: SdkStreamRecord, eventSourceARN: string): DynamoDBRecord {
  const stream = record.dynamodb;
  const created = stream?.ApproximateCreationDateTime;
  return {
    ...(record.eventID !== undefined ? { eventID: record.eventID } : {}),
    ...(record.eventName !== undefined ? { eventName: record.eventName } : {}),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: record.eventSource ?? 'aws:dynamodb',
    ...(record.awsRegion !== undefined ? { awsRegion: record.awsRegion } : {}),
    eventSourceARN,
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
    ...(stream
      ? {
          dynamodb: {
            ...(created instanceof Date && !Number.isNaN(created.getTime())
              ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }
              : {}),
            ...(stream.Keys ? { Keys: toLambdaImage(stream.Keys) } : {}),
            ...(stream.NewImage ? { NewImage: toLambdaImage(stream.NewImage) } : {}),
            ...(stream.OldImage ? { OldImage: toLambdaImage(stream.OldImage) } : {}),
            ...(stream.SequenceNumber !== undefined ? { SequenceNumber: stream.SequenceNumber } : {}),
            ...(stream.SizeBytes !== undefined ? { SizeBytes: stream.SizeBytes } : {}),
            ...(stream.StreamViewType !== undefined ? { StreamViewType: stream.StreamViewType } : {}),
          },
        }
      : {}),
  };
}

function toLambdaImage(image: Record<string, SdkAttributeValue>): LambdaImage {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaValue(value)]));
}

function toLambdaValue(value: SdkAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  // A type newer than this SDK knows: pass it through as the service sent it.
  return value.$unknown
    ? ({ [value.$unknown[0]]: value.$unknown[1] } as unknown as AttributeValue)
    : { NULL: true };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

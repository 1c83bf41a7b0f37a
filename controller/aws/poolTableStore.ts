/**
 * The pool table (README "The table contract"): spec items written by people and poolctl, status items
 * written only here, each with a conditional write on its revision so no write overwrites a newer one.
 */
import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  leaseSortKey,
  poolTableKeys,
  scaleRequestSortKey,
  statusRevisionAttribute,
} from '../api/tableContract.js';
import type { PrefectWorkerPoolStatus } from '../core/poolStatus.js';
import { isErrorNamed, StatusConflictError } from './awsErrors.js';

const { partitionKey: PK, sortKey: SK, specSortKey, statusSortKey } = poolTableKeys;

export interface StoredStatus {
  readonly revision: number;
  readonly status: PrefectWorkerPoolStatus;
}

export interface StoredScaleRequest {
  readonly workers: number;
  readonly requestedAt: string;
  readonly requestedBy: string;
}

export interface StoredPool {
  readonly name: string;
  /** A pending manual scale request (poolctl scale), when there is one. */
  readonly scaleRequest?: StoredScaleRequest;
  /** The spec item's attributes as stored (unvalidated); undefined when the spec item is gone. */
  readonly spec?: Record<string, unknown>;
  readonly status?: StoredStatus;
}

/**
 * Numbers in hostile items may exceed JavaScript's safe range; turning them into (lossy) numbers instead
 * of throwing lets validation report the field rather than the whole read failing.
 */
export const tableUnmarshallOptions = { wrapNumbers: (value: string) => Number(value) } as const;

function toStoredStatus(item: Record<string, unknown>): StoredStatus | undefined {
  const revision = item[statusRevisionAttribute];
  const status = item.status;
  if (typeof revision !== 'number' || !status || typeof status !== 'object') return undefined;
  return { revision, status: status as PrefectWorkerPoolStatus };
}

function toScaleRequest(item: Record<string, unknown>): StoredScaleRequest | undefined {
  const { workers, requestedAt, requestedBy } = item;
  if (typeof workers !== 'number' || typeof requestedAt !== 'string') return undefined;
  return { workers, requestedAt, requestedBy: typeof requestedBy === 'string' ? requestedBy : 'someone' };
}

interface PoolEntry {
  spec?: Record<string, unknown>;
  status?: StoredStatus;
  scaleRequest?: StoredScaleRequest;
}

function collect(items: readonly Record<string, unknown>[], into: Map<string, PoolEntry>): void {
  for (const item of items) {
    const name = item[PK];
    if (typeof name !== 'string') continue;
    const entry = into.get(name) ?? {};
    if (item[SK] === specSortKey) entry.spec = item;
    else if (item[SK] === statusSortKey) {
      const status = toStoredStatus(item);
      if (status) entry.status = status;
    } else if (item[SK] === scaleRequestSortKey) {
      const request = toScaleRequest(item);
      if (request) entry.scaleRequest = request;
    }
    into.set(name, entry);
  }
}

export class PoolTableStore {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Spec and status of one pool in one strongly consistent query. */
  async readPool(name: string): Promise<StoredPool> {
    const found = new Map<string, PoolEntry>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamodb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': name },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      collect((page.Items ?? []) as Record<string, unknown>[], found);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { name, ...found.get(name) };
  }

  /** Every pool, spec and status together, in as few 1 MB pages as the table needs. */
  async scanPools(): Promise<StoredPool[]> {
    const found = new Map<string, PoolEntry>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamodb.send(
        new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }),
      );
      collect((page.Items ?? []) as Record<string, unknown>[], found);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return [...found.entries()].map(([name, entry]) => ({ name, ...entry }));
  }

  /**
   * Writes a status item if its revision is still `expectedRevision` (undefined: if none exists) and
   * returns the new revision. A lost race raises StatusConflictError: the caller reconciles again.
   */
  async writeStatus(
    name: string,
    status: PrefectWorkerPoolStatus,
    expectedRevision: number | undefined,
  ): Promise<number> {
    const revision = (expectedRevision ?? 0) + 1;
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [PK]: name, [SK]: statusSortKey, [statusRevisionAttribute]: revision, status },
          ...(expectedRevision === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
            : {
                ConditionExpression: '#revision = :expected',
                ExpressionAttributeNames: { '#revision': statusRevisionAttribute },
                ExpressionAttributeValues: { ':expected': expectedRevision },
              }),
        }),
      );
      return revision;
    } catch (error) {
      if (isErrorNamed(error, 'ConditionalCheckFailedException')) throw new StatusConflictError(name, error);
      throw error;
    }
  }

  /** Removes the status item (the finalizer record) once a deleted pool owns nothing more. */
  async deleteStatus(name: string, expectedRevision: number): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: name, [SK]: statusSortKey },
          ConditionExpression: '#revision = :expected',
          ExpressionAttributeNames: { '#revision': statusRevisionAttribute },
          ExpressionAttributeValues: { ':expected': expectedRevision },
        }),
      );
    } catch (error) {
      if (isErrorNamed(error, 'ConditionalCheckFailedException')) throw new StatusConflictError(name, error);
      throw error;
    }
  }

  /**
   * Takes the pool's lease for `ttlMs` unless another holder has an unexpired one. Returns whether it
   * was taken. The `ttl` attribute lets DynamoDB's TTL remove leases a crashed holder left behind.
   */
  async acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean> {
    const expiresAt = now.getTime() + ttlMs;
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PK]: name,
            [SK]: leaseSortKey,
            holder,
            expiresAt,
            ttl: Math.ceil(expiresAt / 1000) + 3600,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now OR #holder = :holder',
          ExpressionAttributeNames: { '#pk': PK, '#expiresAt': 'expiresAt', '#holder': 'holder' },
          ExpressionAttributeValues: { ':now': now.getTime(), ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (isErrorNamed(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  /** Gives the lease back, if this holder still has it. */
  async releaseLease(name: string, holder: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: name, [SK]: leaseSortKey },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      // Expired and taken over by someone else: theirs now, nothing to give back.
      if (!isErrorNamed(error, 'ConditionalCheckFailedException')) throw error;
    }
  }

  /** Removes a consumed scale request, unless a newer one replaced it meanwhile. */
  async deleteScaleRequest(name: string, requestedAt: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: name, [SK]: scaleRequestSortKey },
          ConditionExpression: '#requestedAt = :requestedAt',
          ExpressionAttributeNames: { '#requestedAt': 'requestedAt' },
          ExpressionAttributeValues: { ':requestedAt': requestedAt },
        }),
      );
    } catch (error) {
      if (!isErrorNamed(error, 'ConditionalCheckFailedException')) throw error;
    }
  }
}

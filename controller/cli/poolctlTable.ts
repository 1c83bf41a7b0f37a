/**
 * poolctl's access to the pool table (README "The table contract"). It writes spec items and scale
 * requests only, never status. A spec item is written with optimistic concurrency: the write succeeds
 * only if the stored item is still exactly what was read, so a concurrent apply (or a plain put-item)
 * is never overwritten silently.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { poolTableKeys, scaleRequestSortKey, type ScaleRequestItem } from '../api/tableContract.js';
import { isErrorNamed } from '../aws/awsErrors.js';
import { PoolTableStore, tableUnmarshallOptions, type StoredPool } from '../aws/poolTableStore.js';
import { ApplyConflictError, fromAwsError } from './poolctlErrors.js';
import type { TableTarget } from './tableTarget.js';

const { partitionKey: PK, sortKey: SK, specSortKey } = poolTableKeys;

/** What was read before a write: the write is conditional on the stored item being exactly this. */
export type StoredSpec =
  { readonly exists: false } | { readonly exists: true; readonly item: Readonly<Record<string, unknown>> };

/** The spec item's metadata.generation, when it has one. */
export function generationOf(item: Readonly<Record<string, unknown>> | undefined): number | undefined {
  const metadata = item?.metadata as { generation?: unknown } | undefined;
  const generation = metadata?.generation;
  return typeof generation === 'number' && Number.isInteger(generation) ? generation : undefined;
}

/**
 * The condition under which a spec item may be replaced: no item for a new pool; for an existing one,
 * the generation read (or its absence) and every attribute read, unchanged. Comparing the attributes
 * too catches a plain put-item that kept or never had a generation.
 */
export function specWriteCondition(stored: StoredSpec): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  if (!stored.exists) {
    return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };
  }
  const names: Record<string, string> = { '#m': 'metadata', '#g': 'generation' };
  const values: Record<string, unknown> = {};
  const generation = generationOf(stored.item);
  const clauses = [generation !== undefined ? '#m.#g = :generation' : 'attribute_not_exists(#m.#g)'];
  if (generation !== undefined) values[':generation'] = generation;
  Object.keys(stored.item)
    .filter((name) => name !== PK && name !== SK)
    .sort()
    .forEach((name, index) => {
      names[`#a${index}`] = name;
      values[`:a${index}`] = stored.item[name];
      clauses.push(`#a${index} = :a${index}`);
    });
  return {
    ConditionExpression: clauses.join(' AND '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

export class PoolctlTable {
  private readonly documents: DynamoDBDocumentClient;
  private readonly store: PoolTableStore;

  constructor(private readonly target: TableTarget) {
    const client = new DynamoDBClient({
      ...(target.region !== undefined ? { region: target.region } : {}),
      ...(target.endpoint !== undefined ? { endpoint: target.endpoint } : {}),
      ...(target.credentials !== undefined ? { credentials: target.credentials } : {}),
      // A person is waiting: fail within seconds on an endpoint that does not answer.
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    });
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      unmarshallOptions: tableUnmarshallOptions,
    });
    this.store = new PoolTableStore(this.documents, target.tableName);
  }

  get tableName(): string {
    return this.target.tableName;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw fromAwsError(error, { tableName: this.target.tableName, where: this.target.where });
    }
  }

  /** The spec item as stored now (a strongly consistent read). */
  readSpec(name: string): Promise<StoredSpec> {
    return this.call(async () => {
      const answer = await this.documents.send(
        new GetCommand({
          TableName: this.target.tableName,
          Key: { [PK]: name, [SK]: specSortKey },
          ConsistentRead: true,
        }),
      );
      return answer.Item ? { exists: true, item: answer.Item } : { exists: false };
    });
  }

  /** Spec and status of one pool (strongly consistent). */
  readPool(name: string): Promise<StoredPool> {
    return this.call(() => this.store.readPool(name));
  }

  /** Every pool with its spec and status. */
  listPools(): Promise<StoredPool[]> {
    return this.call(() => this.store.scanPools());
  }

  /**
   * Puts a spec item if the stored one is still `stored`. A lost race raises ApplyConflictError: the
   * caller reports it and writes nothing.
   */
  writeSpec(item: Readonly<Record<string, unknown>>, stored: StoredSpec): Promise<void> {
    const name = item[PK] as string;
    return this.call(async () => {
      try {
        await this.documents.send(
          new PutCommand({ TableName: this.target.tableName, Item: item, ...specWriteCondition(stored) }),
        );
      } catch (error) {
        if (isErrorNamed(error, 'ConditionalCheckFailedException'))
          throw new ApplyConflictError(name, { cause: error });
        throw error;
      }
    });
  }

  /** Deletes the spec item; false when there was none. */
  deleteSpec(name: string): Promise<boolean> {
    return this.call(async () => {
      const answer = await this.documents.send(
        new DeleteCommand({
          TableName: this.target.tableName,
          Key: { [PK]: name, [SK]: specSortKey },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return answer.Attributes !== undefined;
    });
  }

  /** Puts a manual scale request (replacing an unconsumed earlier one). */
  writeScaleRequest(request: ScaleRequestItem): Promise<void> {
    return this.call(async () => {
      await this.documents.send(new PutCommand({ TableName: this.target.tableName, Item: { ...request } }));
    });
  }

  /** The pool's unconsumed scale request, if any. */
  readScaleRequest(name: string): Promise<ScaleRequestItem | undefined> {
    return this.call(async () => {
      const answer = await this.documents.send(
        new GetCommand({
          TableName: this.target.tableName,
          Key: { [PK]: name, [SK]: scaleRequestSortKey },
          ConsistentRead: true,
        }),
      );
      return answer.Item as ScaleRequestItem | undefined;
    });
  }

  /** Removes an unconsumed scale request (a deleted pool has nothing left to scale). */
  deleteScaleRequest(name: string): Promise<void> {
    return this.call(async () => {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.target.tableName,
          Key: { [PK]: name, [SK]: scaleRequestSortKey },
        }),
      );
    });
  }

  destroy(): void {
    this.documents.destroy();
  }
}

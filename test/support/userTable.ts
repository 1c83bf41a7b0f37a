/**
 * The pool table as a user sees it: spec items put and deleted with a DynamoDB client of the user's own,
 * never the controller's. Tests that guard the controller's writes (specWriteGuard.ts) put specs through
 * this, so the guard sees only what the controller does.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { tableUnmarshallOptions } from '../../controller/aws/poolTableStore.js';
import type { PrefectWorkerPoolStatus } from '../../controller/core/poolStatus.js';
import type { TestAws } from './testEnvironment.js';

/** Hostile numbers (1e125) are written as given: DynamoDB stores them, so users can. */
export const userMarshallOptions = {
  removeUndefinedValues: true,
  convertClassInstanceToMap: false,
  allowImpreciseNumbers: true,
} as const;

export interface UserTable {
  readonly client: DynamoDBDocumentClient;
  /** Puts a spec item: the manifest's attributes beside pk (default: metadata.name) and sk = spec. */
  putSpec(item: Record<string, unknown>, key?: string): Promise<void>;
  /** Puts a spec item given as raw attribute values (for shapes the DocumentClient will not write). */
  putRawSpec(pk: string, attributes: Record<string, AttributeValue>): Promise<void>;
  deleteSpec(name: string): Promise<void>;
  /** Deletes any item directly, as someone with table access could (e.g. a status item). */
  deleteItem(pk: string, sk: string): Promise<void>;
  readStatus(name: string): Promise<PrefectWorkerPoolStatus | undefined>;
  /** The status of each pool named (absent: none), 100 keys a call. */
  readStatuses(names: readonly string[]): Promise<Map<string, PrefectWorkerPoolStatus>>;
  /** Every item in the table, unmarshalled. */
  scanAll(): Promise<Record<string, unknown>[]>;
  /** The keys of every item: cheap even when the items are near 400 KB. */
  scanKeys(): Promise<{ pk: string; sk: string }[]>;
  destroy(): void;
}

/** A user's own client on the pool table of the test AWS (moto), apart from the controller's clients. */
export function createUserTable(aws: Pick<TestAws, 'endpoint' | 'config'>): UserTable {
  const low = new DynamoDBClient({ endpoint: aws.endpoint, region: aws.config.region, maxAttempts: 3 });
  const client = DynamoDBDocumentClient.from(low, {
    marshallOptions: userMarshallOptions,
    unmarshallOptions: tableUnmarshallOptions,
  });
  const TableName = aws.config.tableName;
  return {
    client,
    async putSpec(item, key) {
      const pk = key ?? (item.metadata as { name: string }).name;
      await client.send(new PutCommand({ TableName, Item: { ...item, pk, sk: 'spec' } }));
    },
    async putRawSpec(pk, attributes) {
      await low.send(
        new PutItemCommand({ TableName, Item: { ...attributes, pk: { S: pk }, sk: { S: 'spec' } } }),
      );
    },
    async deleteSpec(name) {
      await client.send(new DeleteCommand({ TableName, Key: { pk: name, sk: 'spec' } }));
    },
    async deleteItem(pk, sk) {
      await low.send(new DeleteItemCommand({ TableName, Key: { pk: { S: pk }, sk: { S: sk } } }));
    },
    async readStatus(name) {
      const response = await client.send(
        new GetCommand({ TableName, Key: { pk: name, sk: 'status' }, ConsistentRead: true }),
      );
      return response.Item?.status as PrefectWorkerPoolStatus | undefined;
    },
    async readStatuses(names) {
      const found = new Map<string, PrefectWorkerPoolStatus>();
      for (let i = 0; i < names.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = names
          .slice(i, i + 100)
          .map((pk) => ({ pk, sk: 'status' }));
        while (keys && keys.length > 0) {
          const page: BatchGetCommandOutput = await client.send(
            new BatchGetCommand({ RequestItems: { [TableName]: { Keys: keys, ConsistentRead: true } } }),
          );
          for (const item of page.Responses?.[TableName] ?? [])
            found.set(item.pk as string, item.status as PrefectWorkerPoolStatus);
          keys = page.UnprocessedKeys?.[TableName]?.Keys;
        }
      }
      return found;
    },
    async scanKeys() {
      const keys: { pk: string; sk: string }[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName, ExclusiveStartKey, ProjectionExpression: 'pk, sk' }),
        );
        keys.push(...((page.Items ?? []) as { pk: string; sk: string }[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return keys;
    },
    async scanAll() {
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName, ExclusiveStartKey }));
        items.push(...((page.Items ?? []) as Record<string, unknown>[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    },
    destroy() {
      client.destroy();
      low.destroy();
    },
  };
}

/**
 * A tripwire for the table contract's first rule (README "The table contract", DESIGN §3): the controller
 * never writes a spec item. Attach it to the DynamoDB client(s) the controller is given; it inspects every
 * write before it is sent — PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, and
 * PartiQL statements — and remembers the ones aimed at a spec item. A test then asserts
 * `guard.violations()` is empty.
 *
 * Writes the test itself makes (putting and deleting spec items as a user would) must go through another
 * client, or they count too: see `createUserTable` in userTable.ts.
 *
 * The guard sits first in the middleware stack, so it sees a call whether or not DynamoDB accepts it: an
 * attempted spec write that fails a condition is still a violation.
 */
import { poolTableKeys } from '../../controller/api/tableContract.js';
import { SdkMiddleware, type SdkClient } from './sdkMiddleware.js';

/** One item a write touches (or may touch). */
export interface TableWrite {
  /** PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, ExecuteStatement... */
  readonly operation: string;
  readonly table?: string;
  /** The partition key as sent (a string, or `{ S: string }` after marshalling); undefined for PartiQL. */
  readonly pk?: string;
  /** The sort key as sent, unwrapped; undefined for PartiQL, whose target the guard cannot read. */
  readonly sk?: string;
  /** For PartiQL: the statement. */
  readonly statement?: string;
}

export interface SpecWriteGuard {
  /** Every write seen so far, whatever it targeted. */
  writes(): readonly TableWrite[];
  /** Writes of spec items, and PartiQL writes the guard cannot prove harmless. */
  violations(): readonly TableWrite[];
  /** Removes the middleware from every client it was attached to. */
  detach(): void;
}

type Input = Record<string, unknown>;

function isRecord(value: unknown): value is Input {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A key attribute as the caller wrote it: `'spec'` (DocumentClient) or `{ S: 'spec' }` (low level). */
function keyValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value) && typeof value.S === 'string') return value.S;
  if (value === undefined) return undefined;
  // A number or binary key cannot be a spec item's, but show it rather than hide it.
  return JSON.stringify(value);
}

function itemWrite(operation: string, table: unknown, item: unknown): TableWrite {
  const attributes = isRecord(item) ? item : {};
  const pk = keyValue(attributes[poolTableKeys.partitionKey]);
  const sk = keyValue(attributes[poolTableKeys.sortKey]);
  return {
    operation,
    ...(typeof table === 'string' ? { table } : {}),
    ...(pk !== undefined ? { pk } : {}),
    ...(sk !== undefined ? { sk } : {}),
  };
}

const partiQlWrite = /^\s*(INSERT|UPDATE|DELETE|UPSERT|REPLACE)\b/i;

/**
 * The items a command writes, from its name and input (DocumentClient or low-level shapes); [] for
 * reads. Exported so the guard's own test can check it without a server.
 */
export function tableWritesOf(commandName: string, input: unknown): TableWrite[] {
  const operation = commandName.replace(/Command$/, '');
  const args = isRecord(input) ? input : {};
  switch (operation) {
    case 'PutItem':
      return [itemWrite(operation, args.TableName, args.Item)];
    case 'UpdateItem':
    case 'DeleteItem':
      return [itemWrite(operation, args.TableName, args.Key)];
    case 'BatchWriteItem': {
      const writes: TableWrite[] = [];
      for (const [table, requests] of Object.entries(isRecord(args.RequestItems) ? args.RequestItems : {})) {
        for (const request of Array.isArray(requests) ? requests : []) {
          if (!isRecord(request)) continue;
          if (isRecord(request.PutRequest)) writes.push(itemWrite(operation, table, request.PutRequest.Item));
          if (isRecord(request.DeleteRequest))
            writes.push(itemWrite(operation, table, request.DeleteRequest.Key));
        }
      }
      return writes;
    }
    case 'TransactWriteItems': {
      const writes: TableWrite[] = [];
      for (const entry of Array.isArray(args.TransactItems) ? args.TransactItems : []) {
        if (!isRecord(entry)) continue;
        if (isRecord(entry.Put)) writes.push(itemWrite(operation, entry.Put.TableName, entry.Put.Item));
        if (isRecord(entry.Update))
          writes.push(itemWrite(operation, entry.Update.TableName, entry.Update.Key));
        if (isRecord(entry.Delete))
          writes.push(itemWrite(operation, entry.Delete.TableName, entry.Delete.Key));
      }
      return writes;
    }
    case 'ExecuteStatement':
      return typeof args.Statement === 'string' && partiQlWrite.test(args.Statement)
        ? [{ operation, statement: args.Statement }]
        : [];
    case 'BatchExecuteStatement':
    case 'ExecuteTransaction': {
      const statements = Array.isArray(args.Statements)
        ? args.Statements
        : Array.isArray(args.TransactStatements)
          ? args.TransactStatements
          : [];
      return statements
        .map((s) => (isRecord(s) && typeof s.Statement === 'string' ? s.Statement : ''))
        .filter((statement) => partiQlWrite.test(statement))
        .map((statement) => ({ operation, statement }));
    }
    default:
      return [];
  }
}

/** A spec item's write, or a PartiQL write whose target the guard cannot read. */
export function isSpecWrite(write: TableWrite): boolean {
  if (write.statement !== undefined) return true;
  return write.sk === poolTableKeys.specSortKey;
}

let guards = 0;

/** Watches the table writes sent through DynamoDBClients and DynamoDBDocumentClients alike. */
export function attachSpecWriteGuard(...clients: SdkClient[]): SpecWriteGuard {
  const seen: TableWrite[] = [];
  const middleware = new SdkMiddleware(`specWriteGuard-${++guards}`, (next, context) => async (args) => {
    seen.push(...tableWritesOf(context.commandName ?? 'Unknown', args.input));
    return next(args);
  });
  middleware.attach(...clients);
  return {
    writes: () => [...seen],
    violations: () => seen.filter(isSpecWrite),
    detach: () => middleware.detach(),
  };
}

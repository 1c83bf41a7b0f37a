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
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { poolTableKeys } from '../../controller/api/tableContract.js';

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

/** Anything with an SDK v3 middleware stack: DynamoDBClient and DynamoDBDocumentClient alike. */
export interface GuardableClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly middlewareStack: Pick<MiddlewareStack<any, any>, 'add' | 'remove'>;
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

export function attachSpecWriteGuard(...clients: GuardableClient[]): SpecWriteGuard {
  const name = `specWriteGuard-${++guards}`;
  const seen: TableWrite[] = [];
  const stacks = new Set<GuardableClient['middlewareStack']>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const middleware: InitializeMiddleware<any, any> = (next, context) => async (args) => {
    seen.push(...tableWritesOf(context.commandName ?? 'Unknown', args.input));
    return next(args);
  };
  for (const client of clients) {
    // A DocumentClient shares its stack with the client it wraps: attach once per stack.
    if (stacks.has(client.middlewareStack)) continue;
    stacks.add(client.middlewareStack);
    client.middlewareStack.add(middleware, { step: 'initialize', priority: 'high', name, tags: ['TEST'] });
  }
  return {
    writes: () => [...seen],
    violations: () => seen.filter(isSpecWrite),
    detach() {
      for (const stack of stacks) stack.remove(name);
      stacks.clear();
    },
  };
}

/**
 * moto serves requests on threads and runs a DynamoDB conditional write as "check, then put" without a
 * lock, so two concurrent writes conditional on the same revision can both succeed — which DynamoDB
 * never allows (conditional writes are atomic per item). Tests that race controllers against each other
 * must not count that as the controller's fault: this loopback proxy sits between the SDK and moto and
 * lets one DynamoDB request per partition key through at a time (a scan, or anything it cannot place,
 * waits for all of them and holds the rest back), so moto's conditional writes (status revisions,
 * leases) are atomic again and its scans never meet a write. Every other request passes straight through.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { Socket } from 'node:net';
import { poolTableKeys } from '../../controller/api/tableContract.js';

export interface AtomicDynamoProxy {
  /** `http://127.0.0.1:PORT`: the `endpoint` for SDK clients. */
  readonly endpoint: string;
  /** DynamoDB requests that had to wait for another one on their partition (or for a scan). */
  readonly queued: number;
  close(): Promise<void>;
}

const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** The pool table's partition key value a request touches, or undefined when it may touch any. */
function partitionOf(body: Buffer): string | undefined {
  try {
    const request = JSON.parse(body.toString('utf8')) as {
      Item?: Record<string, { S?: string }>;
      Key?: Record<string, { S?: string }>;
      ExpressionAttributeValues?: Record<string, { S?: string }>;
      KeyConditionExpression?: string;
    };
    const key = poolTableKeys.partitionKey;
    const direct = request.Item?.[key]?.S ?? request.Key?.[key]?.S;
    if (direct !== undefined) return direct;
    // A query on the partition key: `#pk = :pk` or `pk = :value`.
    const match = /=\s*(:\w+)/.exec(request.KeyConditionExpression ?? '');
    return match?.[1] ? request.ExpressionAttributeValues?.[match[1]]?.S : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One request per partition key at a time; an exclusive one (a scan) waits for every request before it,
 * and every request after it waits for the scan.
 */
class PartitionLocks {
  private readonly tails = new Map<string, Promise<void>>();
  private barrier: Promise<void> = Promise.resolve();
  waited = 0;

  run<T>(partition: string | undefined, task: () => Promise<T>): Promise<T> {
    const settled = (done: Promise<unknown>): Promise<void> =>
      done.then(
        () => undefined,
        () => undefined,
      );
    if (partition === undefined) {
      if (this.tails.size > 0) this.waited += 1;
      const result = Promise.all([this.barrier, ...this.tails.values()]).then(task);
      this.barrier = settled(result);
      this.tails.clear();
      return result;
    }
    const previous = this.tails.get(partition);
    if (previous) this.waited += 1;
    const result = Promise.all([this.barrier, previous]).then(task);
    const tail = settled(result);
    this.tails.set(partition, tail);
    void tail.then(() => {
      if (this.tails.get(partition) === tail) this.tails.delete(partition);
    });
    return result;
  }
}

interface Answer {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

export async function startAtomicDynamoProxy(target: string): Promise<AtomicDynamoProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const locks = new PartitionLocks();

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<Answer>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...endToEnd(req.headers), 'content-length': body.length },
          agent,
        },
        (response) => {
          readBody(response).then(
            (answer) =>
              resolve({
                status: response.statusCode ?? 502,
                headers: { ...endToEnd(response.headers), 'content-length': answer.length },
                body: answer,
              }),
            reject,
          );
        },
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const operation = req.headers['x-amz-target'];
        const isDynamo = typeof operation === 'string' && operation.startsWith('DynamoDB_20120810.');
        const answer = isDynamo
          ? await locks.run(partitionOf(body), () => forward(req, body))
          : await forward(req, body);
        res.writeHead(answer.status, answer.headers).end(answer.body);
      } catch {
        if (!res.headersSent) res.writeHead(502).end('atomic dynamo proxy: moto did not answer');
        else res.destroy();
      }
    })();
  });
  server.keepAliveTimeout = 120_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('atomic dynamo proxy has no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    get queued() {
      return locks.waited;
    },
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closing;
    },
  };
}

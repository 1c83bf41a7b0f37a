/**
 * A fault-injecting HTTP proxy between the AWS SDK and moto (DESIGN §7): point a client's `endpoint`
 * at `proxy.endpoint` and every call goes through it to moto, unless a fault rule or a played quota
 * answers first. Faults are shaped the way the real service sends them (the throttling error of each
 * service, in its protocol), so the SDK's retry strategy and the adapters' error mapping see what they
 * would see in AWS.
 *
 * Each call is identified as service + operation from what the SDK puts on the wire:
 * - AWS JSON 1.0/1.1 (DynamoDB, DynamoDB Streams, ECS, CloudWatch in the SDK in use, Secrets Manager,
 *   CloudWatch Logs): the `X-Amz-Target: <Prefix>.<Operation>` header;
 * - Smithy RPC v2 CBOR: the path `/service/<Service>/operation/<Operation>`;
 * - EC2 query and AWS query (IAM, STS, SNS): `Action=<Operation>` in the form-encoded body;
 * - anything else: the service from the SigV4 credential scope, and `METHOD /path` as the operation.
 *
 * Request bodies are read whole before forwarding (they are small API requests; the query protocol
 * names its operation there, and a request on a stale keep-alive socket can be sent again); responses
 * stream through. Nothing is written to stdout.
 */
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { QuotaBucket } from './awsQuotas.js';

export type FaultKind = 'throttle' | 'server-error' | 'timeout' | 'delay' | 'connection-reset';

/** How the call was encoded on the wire. */
export type WireProtocol = 'json' | 'query' | 'ec2-query' | 'rpcv2-cbor' | 'other';

export interface ProxiedCall {
  /** The SDK's service id (`DynamoDB`, `ECS`, `EC2`, `CloudWatch`, `SecretsManager`...). */
  readonly service: string;
  /** The API operation (`PutItem`); `METHOD /path` for calls of no known protocol. */
  readonly operation: string;
  readonly protocol: WireProtocol;
  /** The HTTP status the client got; 0 while pending, or when none was sent (timeout, reset). */
  readonly status: number;
  /** The fault the proxy injected, if any. */
  readonly injected?: FaultKind;
  /** The quota bucket that throttled the call, when `playQuotas` did. */
  readonly quota?: string;
  /** moto received the call (so its mutation, if any, happened), also under an `after` fault. */
  readonly forwarded: boolean;
  /** Epoch milliseconds when the request arrived. */
  readonly startedAt: number;
  /** Arrival to the end of the answer (or the connection); 0 while pending. */
  readonly durationMs: number;
}

/** Which calls a rule or a count applies to; an absent field matches anything. */
export interface CallMatch {
  readonly service?: string | RegExp;
  readonly operation?: string | RegExp;
}

export type FaultSpec =
  /** HTTP 400 (EC2: 503) with the service's real throttling error. */
  | { readonly fault: 'throttle' }
  /** HTTP 500 (InternalFailure and kin) or 503 (ServiceUnavailable). Default 500. */
  | { readonly fault: 'server-error'; readonly status?: 500 | 503 }
  /** Never answers; the client must give up (requestTimeout with throwOnRequestTimeout). */
  | { readonly fault: 'timeout' }
  /** Answers normally `ms` later. */
  | { readonly fault: 'delay'; readonly ms: number }
  /** Resets the connection (the client sees ECONNRESET). */
  | { readonly fault: 'connection-reset' };

export type FaultRule = FaultSpec &
  CallMatch & {
    /** Fires for the next `count` matching calls (with `rate`: the next `count` it fires for), then is removed. */
    readonly count?: number;
    /** Fires for each matching call with this probability, from the proxy's seeded generator. */
    readonly rate?: number;
    /**
     * Forward to moto first, so the call takes effect, then answer with the fault: "it succeeded, but
     * the answer was lost". With `delay`, the answer comes `ms` after moto's.
     */
    readonly after?: boolean;
  };

export interface PlayQuotasOptions {
  /**
   * Time scale: buckets refill `speed` times faster with the same burst, so a workload bound by a quota
   * finishes about `speed` times sooner (`quotaLowerBoundSeconds(counts, buckets, speed)`), while a burst
   * of up to `burst` calls is still throttled exactly where AWS would throttle it.
   */
  readonly speed: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: the `endpoint` for SDK clients. */
  readonly endpoint: string;
  /** Every call in order of arrival; entries are completed in place when the answer ends. */
  readonly log: readonly ProxiedCall[];
  /** Adds a rule (checked in order of adding, first to fire wins); returns its remover. */
  inject(rule: FaultRule): () => void;
  clearFaults(): void;
  /**
   * Throttles calls beyond AWS's token buckets, played at `speed` from full buckets; a throttled call
   * takes no token. Replaces the buckets played before; operations in no bucket pass.
   */
  playQuotas(quotas: readonly QuotaBucket[], options: PlayQuotasOptions): void;
  stopQuotas(): void;
  /** Calls answered with a throttling error (injected or by a quota). */
  throttledCount(filter?: CallMatch): number;
  resetLog(): void;
  /** Stops listening, drops held and open connections. */
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Seed of the generator behind `rate` rules (default 1): the same calls fire the same faults. */
  readonly seed?: number;
}

const loopback = '127.0.0.1';

export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const proxy = new FaultInjectingProxy(new URL(target), options.seed ?? 1);
  await proxy.listen();
  return proxy;
}

interface CallIdentity {
  service: string;
  operation: string;
  protocol: WireProtocol;
}

interface LogEntry extends CallIdentity {
  status: number;
  injected?: FaultKind;
  quota?: string;
  forwarded: boolean;
  startedAt: number;
  durationMs: number;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number | undefined;
}

interface TokenBucket {
  readonly name: string;
  readonly burst: number;
  readonly tokensPerMs: number;
  tokens: number;
  refilledAt: number;
}

interface UpstreamResponse {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

class FaultInjectingProxy implements FaultProxy {
  endpoint = '';
  readonly log: LogEntry[] = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  // Keep-alive to moto: a new connection per call would cost more than the proxy itself.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rules: ActiveRule[] = [];
  private buckets = new Map<string, TokenBucket>();
  private readonly random: () => number;
  private closed = false;

  constructor(
    private readonly target: URL,
    seed: number,
  ) {
    this.random = mulberry32(seed);
    // SDK agents keep sockets alive; closing idle ones at Node's 5 s default races their reuse, and a
    // call with maxAttempts 1 would then fail with a reset nobody injected.
    this.server.keepAliveTimeout = 120_000;
    // A held ('timeout') request must stay open until the client gives up.
    this.server.requestTimeout = 0;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, loopback, () => {
        this.server.removeListener('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('fault proxy has no TCP address');
    this.endpoint = `http://${loopback}:${address.port}`;
  }

  inject(rule: FaultRule): () => void {
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count > 0)) {
      throw new RangeError(`count must be a positive integer, got ${rule.count}`);
    }
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) {
      throw new RangeError(`rate must be within [0, 1], got ${rule.rate}`);
    }
    if (rule.fault === 'delay' && !(rule.ms >= 0))
      throw new RangeError(`delay ms must be ≥ 0, got ${rule.ms}`);
    const active: ActiveRule = { rule, remaining: rule.count };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((candidate) => candidate !== active);
    };
  }

  clearFaults(): void {
    this.rules = [];
  }

  playQuotas(quotas: readonly QuotaBucket[], options: PlayQuotasOptions): void {
    if (!(options.speed > 0)) throw new RangeError(`speed must be positive, got ${options.speed}`);
    const buckets = new Map<string, TokenBucket>();
    const now = performance.now();
    for (const quota of quotas) {
      const shared = quota.scope === 'shared' ? newBucket(quota, quota.name, options.speed, now) : undefined;
      for (const operation of quota.operations) {
        const bucket = shared ?? newBucket(quota, `${quota.name}:${operation}`, options.speed, now);
        buckets.set(`${quota.service}.${operation}`, bucket);
      }
    }
    this.buckets = buckets;
  }

  stopQuotas(): void {
    this.buckets = new Map();
  }

  throttledCount(filter: CallMatch = {}): number {
    return this.log.filter((call) => call.injected === 'throttle' && matches(filter, call)).length;
  }

  resetLog(): void {
    this.log.length = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      // The client went away mid-request: nothing to answer, nothing to log.
      return;
    }
    const entry: LogEntry = {
      ...identify(req, body),
      status: 0,
      forwarded: false,
      startedAt: Date.now(),
      durationMs: 0,
    };
    this.log.push(entry);
    res.once('close', () => {
      entry.durationMs = performance.now() - started;
      entry.status = res.headersSent ? res.statusCode : 0;
    });

    try {
      // AWS throttles at its front door, before the service runs: a played quota answers before any rule.
      const quota = this.takeToken(entry);
      if (quota !== undefined) {
        entry.injected = 'throttle';
        entry.quota = quota;
        sendError(res, entry, 'throttle');
        return;
      }
      const rule = this.fire(entry);
      if (rule === undefined) {
        await this.forward(req, body, res, entry);
        return;
      }
      entry.injected = rule.fault;
      await this.applyFault(rule, req, body, res, entry);
    } catch {
      // moto unreachable (or gone while the proxy closes): a gateway error the SDK treats as transient.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end('fault proxy: moto did not answer');
      } else {
        res.destroy();
      }
    }
  }

  private async applyFault(
    rule: FaultRule,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    entry: LogEntry,
  ): Promise<void> {
    let upstream: UpstreamResponse | undefined;
    if (rule.after === true) {
      upstream = await this.forwardBuffered(req, body);
      entry.forwarded = true;
    }
    switch (rule.fault) {
      case 'throttle':
        sendError(res, entry, 'throttle');
        return;
      case 'server-error':
        sendError(res, entry, rule.status === 503 ? 'unavailable' : 'internal');
        return;
      case 'timeout':
        // Held until the client gives up or the proxy closes; the log entry completes then.
        return;
      case 'connection-reset':
        req.socket.resetAndDestroy();
        return;
      case 'delay':
        await this.sleep(rule.ms);
        if (res.destroyed) return;
        if (upstream === undefined) {
          await this.forward(req, body, res, entry);
        } else {
          res.writeHead(upstream.status, upstream.headers).end(upstream.body);
        }
        return;
    }
  }

  /** A token from the call's played bucket, if it has one: the bucket's name when it is empty. */
  private takeToken(call: CallIdentity): string | undefined {
    const bucket = this.buckets.get(`${call.service}.${call.operation}`);
    if (bucket === undefined) return undefined;
    const now = performance.now();
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + (now - bucket.refilledAt) * bucket.tokensPerMs);
    bucket.refilledAt = now;
    if (bucket.tokens < 1) return bucket.name;
    bucket.tokens -= 1;
    return undefined;
  }

  /** The first rule that matches the call and fires for it (a `rate` rule draws once per match). */
  private fire(call: CallIdentity): FaultRule | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (!matches(rule, call)) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      if (active.remaining !== undefined) {
        active.remaining -= 1;
        if (active.remaining <= 0) this.rules = this.rules.filter((candidate) => candidate !== active);
      }
      return rule;
    }
    return undefined;
  }

  /** Sends the call to moto and streams the answer back. */
  private async forward(
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    entry: LogEntry,
  ): Promise<void> {
    const upstream = await this.send(req, body);
    entry.forwarded = true;
    if (res.destroyed) {
      upstream.resume();
      return;
    }
    res.writeHead(upstream.statusCode ?? 502, endToEndHeaders(upstream.headers));
    upstream.pipe(res);
    await new Promise<void>((resolve) => {
      upstream.once('end', resolve);
      upstream.once('error', () => {
        res.destroy();
        resolve();
      });
      res.once('close', resolve);
    });
  }

  private async forwardBuffered(req: IncomingMessage, body: Buffer): Promise<UpstreamResponse> {
    const upstream = await this.send(req, body);
    const responseBody = await readBody(upstream);
    return {
      status: upstream.statusCode ?? 502,
      headers: { ...endToEndHeaders(upstream.headers), 'content-length': responseBody.length },
      body: responseBody,
    };
  }

  private async send(req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
    try {
      return await this.sendOnce(req, body);
    } catch (error) {
      // moto closed a keep-alive socket just as it was reused: the request never arrived, send it again.
      if ((error as { reusedSocket?: boolean }).reusedSocket === true) return this.sendOnce(req, body);
      throw error;
    }
  }

  private sendOnce(req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = endToEndHeaders(req.headers);
      headers['content-length'] = body.length;
      const upstream = httpRequest(
        {
          protocol: this.target.protocol,
          hostname: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        resolve,
      );
      upstream.once('error', (error) =>
        reject(Object.assign(error, { reusedSocket: upstream.reusedSocket })),
      );
      upstream.end(body);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

function newBucket(quota: QuotaBucket, name: string, speed: number, now: number): TokenBucket {
  return {
    name,
    burst: quota.burst,
    tokensPerMs: (quota.ratePerSecond * speed) / 1000,
    tokens: quota.burst,
    refilledAt: now,
  };
}

function matches(match: CallMatch, call: Pick<CallIdentity, 'service' | 'operation'>): boolean {
  return matchesValue(match.service, call.service) && matchesValue(match.operation, call.operation);
}

function matchesValue(pattern: string | RegExp | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === 'string') return pattern === value;
  pattern.lastIndex = 0;
  return pattern.test(value);
}

// ---------------------------------------------------------------------------------------------------
// Identifying calls

/** `X-Amz-Target` prefixes (and RPC v2 service names) → SDK service ids. */
const targetPrefixServices: Record<string, string> = {
  DynamoDB_20120810: 'DynamoDB',
  DynamoDBStreams_20120810: 'DynamoDBStreams',
  AmazonEC2ContainerServiceV20141113: 'ECS',
  GraniteServiceVersion20100801: 'CloudWatch',
  secretsmanager: 'SecretsManager',
  Logs_20140328: 'CloudWatchLogs',
  AWSEvents: 'EventBridge',
  AmazonSQS: 'SQS',
  AnyScaleFrontendService: 'ApplicationAutoScaling',
};

/** SigV4 signing names → SDK service ids. */
const signingNameServices: Record<string, string> = {
  dynamodb: 'DynamoDB',
  ecs: 'ECS',
  ec2: 'EC2',
  monitoring: 'CloudWatch',
  secretsmanager: 'SecretsManager',
  logs: 'CloudWatchLogs',
  iam: 'IAM',
  sts: 'STS',
  sns: 'SNS',
  sqs: 'SQS',
  events: 'EventBridge',
  'application-autoscaling': 'ApplicationAutoScaling',
};

const credentialScope = /Credential=[^/,]+\/\d{8}\/[^/,]+\/([^/,]+)\/aws4_request/;
const rpcV2Path = /^\/service\/([^/?]+)\/operation\/([^/?]+)/;

function identify(req: IncomingMessage, body: Buffer): CallIdentity {
  const signingName = credentialScope.exec(headerValue(req.headers.authorization) ?? '')?.[1];
  const scopeService =
    signingName === undefined ? undefined : (signingNameServices[signingName] ?? signingName);

  const target = headerValue(req.headers['x-amz-target']);
  if (target !== undefined) {
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    return {
      service: targetPrefixServices[prefix] ?? scopeService ?? prefix,
      operation: target.slice(dot + 1),
      protocol: 'json',
    };
  }

  const rpc = rpcV2Path.exec(req.url ?? '');
  if (rpc !== null) {
    const [, service = '', operation = ''] = rpc;
    return {
      service: targetPrefixServices[service] ?? scopeService ?? service,
      operation,
      protocol: 'rpcv2-cbor',
    };
  }

  const contentType = headerValue(req.headers['content-type']) ?? '';
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body.toString('utf8')).get('Action');
    if (action !== null) {
      const service = scopeService ?? 'Unknown';
      return { service, operation: action, protocol: service === 'EC2' ? 'ec2-query' : 'query' };
    }
  }

  const path = (req.url ?? '/').split('?')[0] ?? '/';
  return {
    service: scopeService ?? (path.startsWith('/moto-api/') ? 'moto-api' : 'Unknown'),
    operation: `${req.method ?? 'GET'} ${path}`,
    protocol: 'other',
  };
}

// ---------------------------------------------------------------------------------------------------
// Error answers, in each service's protocol

type ErrorKind = 'throttle' | 'internal' | 'unavailable';

interface ServiceErrors {
  /** Prefix of `__type` in JSON answers (`namespace#Code`); none sends the bare code. */
  readonly namespace?: string;
  readonly throttle: string;
  readonly internal: string;
  readonly unavailable: string;
}

const defaultErrors: ServiceErrors = {
  throttle: 'ThrottlingException',
  internal: 'InternalFailure',
  unavailable: 'ServiceUnavailable',
};

const serviceErrors: Record<string, ServiceErrors> = {
  DynamoDB: {
    namespace: 'com.amazonaws.dynamodb.v20120810',
    throttle: 'ThrottlingException',
    internal: 'InternalServerError',
    unavailable: 'ServiceUnavailable',
  },
  ECS: { throttle: 'ThrottlingException', internal: 'ServerException', unavailable: 'ServiceUnavailable' },
  // CloudWatch's codes are those of its query protocol; its JSON answers carry them in x-amzn-query-error.
  CloudWatch: { throttle: 'Throttling', internal: 'InternalServiceFault', unavailable: 'ServiceUnavailable' },
  EC2: { throttle: 'RequestLimitExceeded', internal: 'InternalError', unavailable: 'Unavailable' },
  IAM: { throttle: 'Throttling', internal: 'ServiceFailure', unavailable: 'ServiceUnavailable' },
  STS: { throttle: 'Throttling', internal: 'InternalFailure', unavailable: 'ServiceUnavailable' },
  SNS: { throttle: 'Throttling', internal: 'InternalError', unavailable: 'ServiceUnavailable' },
};

const errorMessages: Record<ErrorKind, string> = {
  throttle: 'Rate exceeded',
  internal: 'We encountered an internal error. Please try again.',
  unavailable: 'Service is unavailable. Please try again.',
};

function sendError(res: ServerResponse, call: CallIdentity, kind: ErrorKind): void {
  if (res.destroyed || res.headersSent) return;
  const errors = serviceErrors[call.service] ?? defaultErrors;
  const code = errors[kind];
  const requestId = randomUUID();
  // EC2 answers RequestLimitExceeded with 503; the others throttle with 400.
  const status = kind === 'internal' ? 500 : kind === 'unavailable' || call.service === 'EC2' ? 503 : 400;
  const message =
    kind === 'throttle' && call.service === 'EC2' ? 'Request limit exceeded.' : errorMessages[kind];
  const fault = kind === 'throttle' ? 'Sender' : 'Receiver';

  switch (call.protocol) {
    case 'ec2-query': {
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors>` +
        `<RequestID>${requestId}</RequestID></Response>`;
      res
        .writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId })
        .end(xml);
      return;
    }
    case 'query': {
      const xml =
        `<ErrorResponse><Error><Type>${fault}</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`;
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(xml);
      return;
    }
    case 'rpcv2-cbor': {
      const body = encodeCborTextMap({ __type: qualified(errors, code), message });
      res
        .writeHead(status, {
          'content-type': 'application/cbor',
          'smithy-protocol': 'rpc-v2-cbor',
          'x-amzn-requestid': requestId,
          // Services that kept their query error codes (CloudWatch) send them here too.
          'x-amzn-query-error': `${code};${fault}`,
        })
        .end(body);
      return;
    }
    case 'json':
    case 'other': {
      const headers: OutgoingHttpHeaders = {
        'content-type': call.protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': code,
      };
      // The JSON SDK for a service that moved from the query protocol reads its error code here.
      if (call.service === 'CloudWatch') headers['x-amzn-query-error'] = `${code};${fault}`;
      res.writeHead(status, headers).end(JSON.stringify({ __type: qualified(errors, code), message }));
      return;
    }
  }
}

function qualified(errors: ServiceErrors, code: string): string {
  return errors.namespace === undefined ? code : `${errors.namespace}#${code}`;
}

/** A CBOR map of text strings (RFC 8949): all an RPC v2 error body needs. */
function encodeCborTextMap(entries: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
    if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
    const buffer = Buffer.alloc(5);
    buffer[0] = (major << 5) | 26;
    buffer.writeUInt32BE(length, 1);
    return buffer;
  };
  const text = (value: string): void => {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(head(3, bytes.length), bytes);
  };
  const keys = Object.keys(entries);
  parts.push(head(5, keys.length));
  for (const key of keys) {
    text(key);
    text(entries[key] ?? '');
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------
// HTTP plumbing

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are not forwarded. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name)) kept[name] = value;
  }
  return kept;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    stream.once('error', reject);
    // 'close' before 'end': the peer went away mid-body (a no-op after 'end' resolved).
    stream.once('close', () => reject(new Error('connection closed before the body ended')));
  });
}

/** A small seeded PRNG (mulberry32): reproducible `rate` faults without a dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

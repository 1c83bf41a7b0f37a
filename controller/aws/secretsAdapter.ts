/**
 * Secrets Manager adapter: secret strings by ARN (the Prefect API key or auth string of a pool), cached
 * per ARN so a drift pass over many pools sharing one key makes one GetSecretValue call, not one per pool.
 *
 * The value never reaches a log or an error message: errors name the ARN only.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AwsAdapterError, reasonFromError } from './awsErrors.js';

export interface SecretsAdapterOptions {
  /** How long a value is reused. Default 5 minutes: a rotated key is picked up within that. */
  readonly ttlMs?: number;
  readonly clock?: { now(): Date };
}

/** GetSecretValue failed, or the secret has no string value. `code` is the PascalCase reason. */
export class SecretReadError extends AwsAdapterError {
  override readonly name = 'SecretReadError';
  readonly secretArn: string;

  constructor(secretArn: string, code: string, detail: string, cause?: unknown) {
    super(`cannot read secret ${secretArn}: ${detail}`, { code, cause });
    this.secretArn = secretArn;
  }
}

interface CacheEntry {
  readonly value: Promise<string>;
  readonly expiresAt: number;
}

export const defaultSecretTtlMs = 5 * 60_000;

export class SecretsAdapter {
  private readonly ttlMs: number;
  private readonly clock: { now(): Date };
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly client: SecretsManagerClient,
    options: SecretsAdapterOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? defaultSecretTtlMs;
    this.clock = options.clock ?? { now: () => new Date() };
  }

  /**
   * The secret's string value. Concurrent callers for one ARN share one call (the promise is cached);
   * a failure is dropped from the cache so the next caller tries again.
   */
  getSecretString(secretArn: string): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.cache.get(secretArn);
    if (cached && cached.expiresAt > now) return cached.value;

    const value = this.fetch(secretArn);
    const entry: CacheEntry = { value, expiresAt: now + this.ttlMs };
    this.cache.set(secretArn, entry);
    value.catch(() => {
      // Only drop our own entry: a newer one may have replaced it meanwhile.
      if (this.cache.get(secretArn) === entry) this.cache.delete(secretArn);
    });
    return value;
  }

  /** Forget cached values, e.g. after a 401 from the API the secret is for. */
  invalidate(secretArn?: string): void {
    if (secretArn === undefined) this.cache.clear();
    else this.cache.delete(secretArn);
  }

  private async fetch(secretArn: string): Promise<string> {
    let secretString: string | undefined;
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      secretString = output.SecretString;
    } catch (error) {
      // The SDK's message describes the request, never the value; keep it as the cause.
      const code = reasonFromError(error);
      throw new SecretReadError(secretArn, code, code, error);
    }
    if (secretString === undefined || secretString === '') {
      throw new SecretReadError(secretArn, 'SecretNotString', 'the secret has no string value');
    }
    return secretString;
  }
}

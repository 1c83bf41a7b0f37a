/**
 * Secrets for the Prefect client: one GetSecretValue per ARN and TTL, shared by concurrent callers,
 * failures not cached, values never in error messages; and the auth each spec gets from them.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretReadError, SecretsAdapter } from '../../../controller/aws/secretsAdapter.js';
import { prefectAuthFor } from '../../../controller/prefect/prefectAuth.js';

const keyArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect/api-key-AbCdEf';
const authArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect/auth-string-XyZ123';
const secretValue = 'pnu_s3cr3t-value-never-logged';

/** A Secrets Manager client answering from a table; counts GetSecretValue calls per ARN. */
function fakeSecretsManager(values: Record<string, string | Error | undefined>) {
  const calls: string[] = [];
  const pending: (() => void)[] = [];
  let hold = false;
  const client = {
    async send(command: unknown) {
      if (!(command instanceof GetSecretValueCommand)) throw new Error('unexpected command');
      const arn = command.input.SecretId ?? '';
      calls.push(arn);
      if (hold) await new Promise<void>((resolve) => pending.push(resolve));
      const value = values[arn];
      if (value instanceof Error) throw value;
      if (!(arn in values)) {
        throw Object.assign(new Error("Secrets Manager can't find the specified secret."), {
          name: 'ResourceNotFoundException',
        });
      }
      return { ARN: arn, SecretString: value };
    },
  } as unknown as SecretsManagerClient;
  return {
    client,
    calls,
    holdResponses: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      for (const resolve of pending.splice(0)) resolve();
    },
  };
}

function clockAt(start: number) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe('SecretsAdapter', () => {
  it('reads a secret once and serves it from the cache until the TTL ends', async () => {
    const fake = fakeSecretsManager({ [keyArn]: secretValue });
    const clock = clockAt(0);
    const secrets = new SecretsAdapter(fake.client, { ttlMs: 1_000, clock });

    expect(await secrets.getSecretString(keyArn)).toBe(secretValue);
    clock.advance(999);
    expect(await secrets.getSecretString(keyArn)).toBe(secretValue);
    expect(fake.calls).toHaveLength(1);

    clock.advance(1);
    expect(await secrets.getSecretString(keyArn)).toBe(secretValue);
    expect(fake.calls).toHaveLength(2);
  });

  it('defaults to a five-minute TTL', async () => {
    const fake = fakeSecretsManager({ [keyArn]: secretValue });
    const clock = clockAt(0);
    const secrets = new SecretsAdapter(fake.client, { clock });
    await secrets.getSecretString(keyArn);
    clock.advance(5 * 60_000 - 1);
    await secrets.getSecretString(keyArn);
    expect(fake.calls).toHaveLength(1);
    clock.advance(1);
    await secrets.getSecretString(keyArn);
    expect(fake.calls).toHaveLength(2);
  });

  it('lets concurrent callers share one call', async () => {
    const fake = fakeSecretsManager({ [keyArn]: secretValue });
    fake.holdResponses();
    const secrets = new SecretsAdapter(fake.client);
    const reads = Promise.all([1, 2, 3, 4, 5].map(() => secrets.getSecretString(keyArn)));
    await Promise.resolve();
    fake.release();
    expect(await reads).toEqual(Array(5).fill(secretValue));
    expect(fake.calls).toEqual([keyArn]);
  });

  it('does not cache a failure, and names the ARN but never a value', async () => {
    const fake = fakeSecretsManager({});
    const secrets = new SecretsAdapter(fake.client);
    const error = await secrets.getSecretString(keyArn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect(error).toMatchObject({ code: 'ResourceNotFound', secretArn: keyArn });
    expect((error as Error).message).toContain(keyArn);

    await expect(secrets.getSecretString(keyArn)).rejects.toBeInstanceOf(SecretReadError);
    expect(fake.calls).toEqual([keyArn, keyArn]);
  });

  it('refuses a secret without a string value', async () => {
    const secrets = new SecretsAdapter(fakeSecretsManager({ [keyArn]: undefined }).client);
    await expect(secrets.getSecretString(keyArn)).rejects.toMatchObject({ code: 'SecretNotString' });
  });

  it('reads again after invalidate', async () => {
    const fake = fakeSecretsManager({ [keyArn]: secretValue });
    const secrets = new SecretsAdapter(fake.client);
    await secrets.getSecretString(keyArn);
    secrets.invalidate(keyArn);
    await secrets.getSecretString(keyArn);
    expect(fake.calls).toHaveLength(2);
  });
});

describe('prefectAuthFor', () => {
  const apiUrl = 'https://prefect.example/api';
  const secrets = new SecretsAdapter(
    fakeSecretsManager({ [keyArn]: secretValue, [authArn]: 'admin:pass' }).client,
  );

  it('uses the API key as a bearer token', async () => {
    expect(await prefectAuthFor({ apiUrl, apiKeySecretArn: keyArn }, secrets)).toEqual({
      kind: 'bearer',
      apiKey: secretValue,
    });
  });

  it('uses the auth string for basic auth', async () => {
    expect(await prefectAuthFor({ apiUrl, authStringSecretArn: authArn }, secrets)).toEqual({
      kind: 'basic',
      authString: 'admin:pass',
    });
  });

  it('sends no credentials when the spec names none', async () => {
    expect(await prefectAuthFor({ apiUrl }, secrets)).toEqual({ kind: 'none' });
  });
});

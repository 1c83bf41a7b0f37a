/**
 * The controller's own credentials for a pool's Prefect API, from the same secrets the workers get
 * (spec.prefect.apiKeySecretArn or authStringSecretArn).
 */
import type { PrefectConnectionSpec } from '../api/generated/prefectWorkerPool.js';
import type { PrefectAuth } from './prefectClient.js';

/** Anything that resolves a secret ARN to its string value (SecretsAdapter in production). */
export interface SecretStringSource {
  getSecretString(secretArn: string): Promise<string>;
}

/**
 * bearer from apiKeySecretArn (Prefect Cloud), basic from authStringSecretArn (self-hosted with
 * PREFECT_SERVER_API_AUTH_STRING), none otherwise. Validation forbids setting both; should both appear
 * anyway, the API key is used.
 */
export async function prefectAuthFor(
  prefect: PrefectConnectionSpec,
  secrets: SecretStringSource,
): Promise<PrefectAuth> {
  if (prefect.apiKeySecretArn) {
    return { kind: 'bearer', apiKey: await secrets.getSecretString(prefect.apiKeySecretArn) };
  }
  if (prefect.authStringSecretArn) {
    return { kind: 'basic', authString: await secrets.getSecretString(prefect.authStringSecretArn) };
  }
  return { kind: 'none' };
}

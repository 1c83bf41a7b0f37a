/**
 * How the controller reaches a pool's Prefect API: through the spec's apiUrl (production), a URL that
 * replaces it for every pool (local tests), or not at all (local mode without a Prefect server). The
 * credentials come from the same secrets the workers get, read at run time and never logged.
 */
import type { PrefectConnectionSpec } from '../api/generated/prefectWorkerPool.js';
import type { PrefectApiAccess } from '../config/controllerConfig.js';
import { reasonFromError } from '../aws/awsErrors.js';
import { prefectAuthFor, type SecretStringSource } from './prefectAuth.js';
import { PrefectClient, type PrefectClientOptions } from './prefectClient.js';

export type PrefectConnection =
  | { readonly available: true; readonly client: PrefectClient; readonly apiUrl: string }
  | { readonly available: false; readonly reason: string; readonly message: string };

export class PrefectAccess {
  constructor(
    private readonly access: PrefectApiAccess,
    private readonly secrets: SecretStringSource,
    private readonly clientOptions: Partial<Omit<PrefectClientOptions, 'apiUrl' | 'auth'>> = {},
  ) {}

  get enabled(): boolean {
    return this.access.kind !== 'disabled';
  }

  async connect(prefect: PrefectConnectionSpec): Promise<PrefectConnection> {
    if (this.access.kind === 'disabled') {
      return {
        available: false,
        reason: 'PrefectAccessDisabled',
        message:
          'the controller is configured not to reach Prefect (PREFECT_API_ACCESS=disabled): backlog unknown',
      };
    }
    const apiUrl = this.access.kind === 'override' ? this.access.url : prefect.apiUrl;
    let auth;
    try {
      auth = await prefectAuthFor(prefect, this.secrets);
    } catch (error) {
      // The error names the secret ARN at most, never a value.
      return {
        available: false,
        reason: 'CredentialsUnreadable',
        message: `cannot read the Prefect credentials secret (${reasonFromError(error)})`,
      };
    }
    return { available: true, apiUrl, client: new PrefectClient({ ...this.clientOptions, apiUrl, auth }) };
  }
}

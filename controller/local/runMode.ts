/**
 * Which AWS the local runner talks to. With nothing configured it starts its own moto ("local"). With an
 * endpoint or the controller's deployment configuration in the environment it runs the same loop against
 * that ("external"), and then the configuration must be complete: a half-configured environment is a
 * mistake to report, not a reason to fall back to moto silently.
 */
import { devNull } from 'node:os';
import {
  ConfigurationError,
  controllerEnvironment,
  loadControllerConfig,
  type ControllerConfig,
  type ControllerEnvironmentName,
} from '../config/controllerConfig.js';

export type RunMode =
  | { readonly kind: 'local'; readonly reason: string }
  | {
      readonly kind: 'external';
      readonly config: ControllerConfig;
      /** AWS_ENDPOINT_URL when set; otherwise the SDK's regional AWS endpoints. */
      readonly endpoint: string | undefined;
      readonly reason: string;
    };

/**
 * Variables that only make sense for one deployment. AWS_REGION is everywhere in a developer's shell,
 * and the others have defaults and mean the same locally (PREFECT_API_ACCESS may point a local run at a
 * local Prefect server), so none of those alone means "use my AWS".
 */
const notDeploymentSpecific: readonly string[] = [
  'AWS_REGION',
  'PREFECT_API_ACCESS',
  'RECONCILE_CONCURRENCY',
  'DEADLINE_SAFETY_MS',
];
const deploymentVariables = (Object.keys(controllerEnvironment) as ControllerEnvironmentName[]).filter(
  (name) => !notDeploymentSpecific.includes(name),
);

/** External mode was chosen by the environment, but its controller configuration is incomplete. */
export class ExternalModeConfigurationError extends Error {
  override readonly name = 'ExternalModeConfigurationError';
  constructor(
    readonly configurationError: ConfigurationError,
    readonly chosenBy: readonly string[],
  ) {
    super(
      `${configurationError.message}\n(${chosenBy.join(', ')} ${chosenBy.length === 1 ? 'is' : 'are'} set, which means ` +
        'running against that AWS; unset them to run on a local moto instead)',
      { cause: configurationError },
    );
  }
}

/** Throws ExternalModeConfigurationError (one line per problem) when external mode is meant but incomplete. */
export function resolveRunMode(env: Readonly<Record<string, string | undefined>>): RunMode {
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL);
  const configured = deploymentVariables.filter((name) => nonEmpty(env[name]) !== undefined);
  if (endpoint === undefined && configured.length === 0) {
    const credentials = nonEmpty(env.AWS_ACCESS_KEY_ID) ?? nonEmpty(env.AWS_PROFILE);
    return {
      kind: 'local',
      reason: credentials
        ? 'AWS credentials are set but no controller configuration (POOL_TABLE_NAME, ECS_CLUSTER_NAME, ...): running on a local moto, your credentials are not used'
        : 'no AWS endpoint or controller configuration in the environment: running on a local moto',
    };
  }
  let config: ControllerConfig;
  try {
    config = loadControllerConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const chosenBy = [...(endpoint !== undefined ? ['AWS_ENDPOINT_URL'] : []), ...configured];
    throw new ExternalModeConfigurationError(error, chosenBy);
  }
  return {
    kind: 'external',
    config,
    endpoint,
    reason: endpoint
      ? `AWS_ENDPOINT_URL is set: running against ${endpoint}`
      : `controller configuration found: running against AWS in ${config.region}`,
  };
}

/**
 * The environment for running on moto: every AWS_ variable of the caller's shell is dropped (a profile,
 * a session token, a service-specific AWS_ENDPOINT_URL_ECS or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS would
 * otherwise send calls elsewhere), then dummy credentials, the region and the endpoint are set.
 */
export function pointEnvironmentAtMoto(env: Record<string, string | undefined>, endpoint: string): void {
  for (const name of Object.keys(env)) {
    if (name.startsWith('AWS_') && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED')
      delete env[name];
  }
  // A shared config file can still name an endpoint or credentials for the default profile; the
  // variables below outrank it, and these two make sure nothing else in it applies.
  env.AWS_CONFIG_FILE = devNull;
  env.AWS_SHARED_CREDENTIALS_FILE = devNull;
  env.AWS_ACCESS_KEY_ID = 'testing';
  env.AWS_SECRET_ACCESS_KEY = 'testing';
  env.AWS_REGION = localRegion;
  env.AWS_ENDPOINT_URL = endpoint;
}

/** The example manifests' secret ARNs are in us-east-1, moto's default Region. */
export const localRegion = 'us-east-1';

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

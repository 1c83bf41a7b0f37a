/**
 * The deployment environments (dev, staging, prod) and the few settings a user may override with CDK
 * context (`-c key=value`). Everything here is plain data, resolved once in bin/app.ts and passed down as
 * readonly props, so a stack never reads context itself and a test can build any environment.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  controllerEnvironment,
  type ControllerEnvironmentName,
} from '../../controller/config/controllerConfig.js';

export const environmentNames = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof environmentNames)[number];

export const natGatewayChoices = ['none', 'single', 'perZone'] as const;
export type NatGateways = (typeof natGatewayChoices)[number];

/** A new VPC made by the base stack. */
export interface NewNetworkSettings {
  readonly kind: 'new';
  /** IPv4 CIDR of the VPC. */
  readonly cidr: string;
  /**
   * Availability Zones to span. In an environment-agnostic app (no `region` context) CDK can only place
   * subnets in the Region's first two zones (`Fn::GetAZs`), so more than 2 needs `region` and
   * `availabilityZones` context.
   */
  readonly maxAzs: number;
  /**
   * Explicit zone names (needs a concrete Region). Default: the first `maxAzs` zones of the Region.
   */
  readonly availabilityZones?: readonly string[];
  /**
   * NAT gateways: `single` is the cheap dev setting (one zone's outage cuts every zone's egress),
   * `perZone` the production one. `none` means no NAT at all: then `vpcEndpoints` must be on and workers
   * reach only AWS services, through the endpoints (no Docker Hub, no Prefect Cloud; see docs/deploy.md).
   */
  readonly natGateways: NatGateways;
  /** Gateway/interface endpoints for S3, ECR (api, dkr), CloudWatch Logs and Secrets Manager. */
  readonly vpcEndpoints: boolean;
}

/** An existing VPC, named by id; nothing in it is created or changed except what the stacks add. */
export interface ExistingNetworkSettings {
  readonly kind: 'existing';
  readonly vpcId: string;
  /** The zones of the worker subnets, in the same order. */
  readonly availabilityZones: readonly string[];
  /** Private subnets the workers run in (1-16; no public IPs are assigned). */
  readonly workerSubnetIds: readonly string[];
}

export type NetworkSettings = NewNetworkSettings | ExistingNetworkSettings;

export interface OperatorSettings {
  readonly environment: EnvironmentName;
  /**
   * The controller instance id (CONTROLLER_INSTANCE_ID): prefixes every name and tag, so two environments
   * can share an account. 1-20 lowercase letters and digits, starting with a letter (no hyphens: see
   * CONTROLLER_INSTANCE_ID in controller/config/controllerConfig.ts).
   */
  readonly instanceId: string;
  /** Pin the stacks to an account and Region; default: environment-agnostic (the CLI's credentials decide). */
  readonly account?: string;
  readonly region?: string;
  readonly network: NetworkSettings;
  /** Use this existing ECS cluster (in the same VPC) instead of creating one. */
  readonly existingClusterName?: string;
  /** Days of retention: worker logs, the controller's own logs and VPC flow logs. */
  readonly workerLogRetention: RetentionDays;
  readonly controllerLogRetention: RetentionDays;
  readonly flowLogRetention: RetentionDays;
  /**
   * Production data protection: table deletion protection, and log groups and the table kept (RETAIN)
   * when a stack is deleted. Off: `cdk destroy` removes everything.
   */
  readonly protectData: boolean;
  /** Minutes between drift passes (the schedule). */
  readonly driftPassMinutes: number;
  /** Secret ARNs in specs must lie under this name prefix, e.g. `prefect/`. */
  readonly secretNamePrefix: string;
  /** Further task roles specs may name in worker.taskRoleArn (the default worker task role is always allowed). */
  readonly extraTaskRoleArns: readonly string[];
  /** Task roles an ecs-type worker may pass to the flow-run tasks it starts (besides none). */
  readonly flowRunTaskRoleArns: readonly string[];
  /** RECONCILE_CONCURRENCY and DEADLINE_SAFETY_MS of the controller. */
  readonly reconcileConcurrency: number;
  readonly deadlineSafetyMs: number;
  readonly lambdaMemoryMb: number;
  /** Stream event source mapping: retries of a failing batch before it goes to the failure queue. */
  readonly streamRetryAttempts: number;
  /** An email address subscribed to the health topic (needs confirming); default none. */
  readonly alarmEmail?: string;
}

/** The settings of each environment before context overrides. */
export const environmentDefaults: Readonly<Record<EnvironmentName, OperatorSettings>> = {
  dev: {
    environment: 'dev',
    instanceId: 'dev',
    network: { kind: 'new', cidr: '10.40.0.0/16', maxAzs: 2, natGateways: 'single', vpcEndpoints: false },
    workerLogRetention: RetentionDays.ONE_WEEK,
    controllerLogRetention: RetentionDays.ONE_WEEK,
    flowLogRetention: RetentionDays.ONE_WEEK,
    protectData: false,
    driftPassMinutes: 5,
    secretNamePrefix: 'prefect/',
    extraTaskRoleArns: [],
    flowRunTaskRoleArns: [],
    reconcileConcurrency: 8,
    deadlineSafetyMs: 10_000,
    lambdaMemoryMb: 512,
    streamRetryAttempts: 5,
  },
  staging: {
    environment: 'staging',
    instanceId: 'staging',
    network: { kind: 'new', cidr: '10.41.0.0/16', maxAzs: 2, natGateways: 'single', vpcEndpoints: true },
    workerLogRetention: RetentionDays.ONE_MONTH,
    controllerLogRetention: RetentionDays.ONE_MONTH,
    flowLogRetention: RetentionDays.TWO_WEEKS,
    protectData: false,
    driftPassMinutes: 2,
    secretNamePrefix: 'prefect/',
    extraTaskRoleArns: [],
    flowRunTaskRoleArns: [],
    reconcileConcurrency: 8,
    deadlineSafetyMs: 10_000,
    lambdaMemoryMb: 512,
    streamRetryAttempts: 5,
  },
  prod: {
    environment: 'prod',
    instanceId: 'prod',
    // One NAT gateway per zone, so a zone outage leaves the other zones' egress alone; endpoints keep
    // image pulls, logs and secrets off the NAT (cheaper per GB, and private).
    network: { kind: 'new', cidr: '10.42.0.0/16', maxAzs: 2, natGateways: 'perZone', vpcEndpoints: true },
    workerLogRetention: RetentionDays.THREE_MONTHS,
    controllerLogRetention: RetentionDays.THREE_MONTHS,
    flowLogRetention: RetentionDays.THREE_MONTHS,
    protectData: true,
    driftPassMinutes: 1,
    secretNamePrefix: 'prefect/',
    extraTaskRoleArns: [],
    flowRunTaskRoleArns: [],
    reconcileConcurrency: 16,
    deadlineSafetyMs: 10_000,
    lambdaMemoryMb: 1024,
    streamRetryAttempts: 10,
  },
};

/** A setting from context is malformed; the message names the key and what was expected. */
export class EnvironmentSettingsError extends Error {
  override readonly name = 'EnvironmentSettingsError';
}

/** Reads one context value (`app.node.tryGetContext`). */
export type ContextReader = (key: string) => unknown;

/** The context keys this app reads (docs/deploy.md lists them). */
export const contextKeys = {
  env: 'env',
  instanceId: 'instanceId',
  account: 'account',
  region: 'region',
  vpcId: 'vpcId',
  workerSubnetIds: 'workerSubnetIds',
  availabilityZones: 'availabilityZones',
  natGateways: 'natGateways',
  vpcEndpoints: 'vpcEndpoints',
  clusterName: 'clusterName',
  secretNamePrefix: 'secretNamePrefix',
  extraTaskRoleArns: 'extraTaskRoleArns',
  flowRunTaskRoleArns: 'flowRunTaskRoleArns',
  alarmEmail: 'alarmEmail',
} as const;

/**
 * Checks a value the way the controller checks its environment at cold start, so a deployment can never
 * be configured with something its controller then refuses. Returns the problem, or undefined.
 */
function controllerRejects(name: ControllerEnvironmentName, value: string): string | undefined {
  try {
    controllerEnvironment[name].parse(value);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The settings of the environment named by the `env` context (default dev), with context overrides
 * applied and checked. Throws EnvironmentSettingsError listing every problem at once.
 */
export function resolveOperatorSettings(read: ContextReader): OperatorSettings {
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push(`${key}: expected a string, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return String(value).trim();
  };
  const list = (key: string): string[] | undefined => {
    const value = read(key);
    if (Array.isArray(value)) return value.map(String);
    return text(key)
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  };

  const envName = text(contextKeys.env) ?? 'dev';
  if (!(environmentNames as readonly string[]).includes(envName)) {
    throw new EnvironmentSettingsError(
      `env: expected one of ${environmentNames.join(', ')}, got "${envName}" (e.g. -c env=prod)`,
    );
  }
  const base = environmentDefaults[envName as EnvironmentName];

  const instanceId = text(contextKeys.instanceId) ?? base.instanceId;
  const badInstanceId = controllerRejects('CONTROLLER_INSTANCE_ID', instanceId);
  if (badInstanceId) problems.push(`instanceId: ${badInstanceId}, got "${instanceId}"`);
  const account = text(contextKeys.account);
  if (account !== undefined && !/^\d{12}$/.test(account))
    problems.push(`account: expected 12 digits, got "${account}"`);
  const region = text(contextKeys.region);
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    problems.push(`region: expected a Region such as eu-west-1, got "${region}"`);
  }

  const network = resolveNetwork(base.network, text, list, problems, region);

  const secretNamePrefix = text(contextKeys.secretNamePrefix) ?? base.secretNamePrefix;
  if (!/^[\w/+=.@-]+$/.test(secretNamePrefix)) {
    problems.push(
      `secretNamePrefix: expected a secret name prefix such as prefect/, got "${secretNamePrefix}"`,
    );
  }
  const roleList = (key: string, fallback: readonly string[]): readonly string[] => {
    const arns = list(key) ?? fallback;
    const bad = arns.length > 0 ? controllerRejects('ALLOWED_TASK_ROLE_ARNS', arns.join(',')) : undefined;
    if (bad) problems.push(`${key}: ${bad}`);
    return arns;
  };
  const extraTaskRoleArns = roleList(contextKeys.extraTaskRoleArns, base.extraTaskRoleArns);
  const flowRunTaskRoleArns = roleList(contextKeys.flowRunTaskRoleArns, base.flowRunTaskRoleArns);

  const clusterName = text(contextKeys.clusterName);
  if (clusterName !== undefined && !/^[A-Za-z0-9_-]{1,255}$/.test(clusterName)) {
    problems.push(`clusterName: expected an ECS cluster name, got "${clusterName}"`);
  }
  const alarmEmail = text(contextKeys.alarmEmail);
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+$/.test(alarmEmail)) {
    problems.push(`alarmEmail: expected an email address, got "${alarmEmail}"`);
  }

  if (problems.length > 0) {
    throw new EnvironmentSettingsError(
      `invalid deployment settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return {
    ...base,
    instanceId,
    network,
    secretNamePrefix,
    extraTaskRoleArns,
    flowRunTaskRoleArns,
    ...(account !== undefined ? { account } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(clusterName !== undefined ? { existingClusterName: clusterName } : {}),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
  };
}

function resolveNetwork(
  base: NetworkSettings,
  text: (key: string) => string | undefined,
  list: (key: string) => string[] | undefined,
  problems: string[],
  region: string | undefined,
): NetworkSettings {
  const vpcId = text(contextKeys.vpcId);
  const zones = list(contextKeys.availabilityZones);
  if (vpcId !== undefined) {
    const subnetIds = list(contextKeys.workerSubnetIds) ?? [];
    if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) problems.push(`vpcId: expected a VPC id, got "${vpcId}"`);
    if (subnetIds.length < 1 || subnetIds.length > 16) {
      problems.push('workerSubnetIds: an existing VPC needs 1-16 comma-separated private subnet ids');
    }
    for (const id of subnetIds)
      if (!/^subnet-[0-9a-f]{8,17}$/.test(id)) problems.push(`workerSubnetIds: "${id}" is not a subnet id`);
    if (!zones || zones.length !== subnetIds.length) {
      problems.push(
        'availabilityZones: an existing VPC needs the zone of each worker subnet, in the same order',
      );
    }
    return { kind: 'existing', vpcId, workerSubnetIds: subnetIds, availabilityZones: zones ?? [] };
  }
  if (base.kind !== 'new') return base;

  const natText = text(contextKeys.natGateways);
  const endpointsText = text(contextKeys.vpcEndpoints);
  const natGateways = (natText ?? base.natGateways) as NatGateways;
  const vpcEndpoints = endpointsText === undefined ? base.vpcEndpoints : endpointsText === 'true';
  if (endpointsText !== undefined && endpointsText !== 'true' && endpointsText !== 'false') {
    problems.push(`vpcEndpoints: expected true or false, got "${endpointsText}"`);
  }
  const maxAzs = zones?.length ?? base.maxAzs;
  if (zones && region === undefined) {
    problems.push('availabilityZones: naming zones needs a concrete Region (-c region=...)');
  }
  if (maxAzs < 2) problems.push('availabilityZones: the VPC spans at least 2 zones');
  if (!(natGatewayChoices as readonly string[]).includes(natGateways)) {
    problems.push(`natGateways: expected one of ${natGatewayChoices.join(', ')}, got "${natText}"`);
  }
  if (natGateways === 'none' && !vpcEndpoints) {
    problems.push('natGateways: none needs vpcEndpoints=true, or workers could reach nothing');
  }
  return {
    ...base,
    maxAzs,
    natGateways,
    vpcEndpoints,
    ...(zones ? { availabilityZones: zones } : {}),
  };
}

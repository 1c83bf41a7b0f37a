/**
 * The controller's configuration, read from the environment once at start. Every variable the Lambda
 * handlers read is declared in `controllerEnvironment` below; the CDK stack builds the functions'
 * environment from the same declaration, so the two cannot drift apart.
 */

export type PrefectApiAccess =
  | { readonly kind: 'spec' }
  | { readonly kind: 'disabled' }
  | { readonly kind: 'override'; readonly url: string };

export interface ControllerConfig {
  /** Distinguishes two controller deployments in one account; prefixes every derived name and tag. */
  readonly instanceId: string;
  readonly region: string;
  readonly tableName: string;
  readonly clusterName: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly logGroupName: string;
  readonly executionRoleArn: string;
  /** Task roles a spec may name in worker.taskRoleArn (iam:PassRole is granted for exactly these). */
  readonly allowedTaskRoleArns: readonly string[];
  /** The task role ecs-type pools get when their spec names none. */
  readonly defaultWorkerTaskRoleArn: string | undefined;
  /** Secret ARNs in specs must start with this. */
  readonly allowedSecretArnPrefix: string;
  /** SNS topic for pool health alarms when a spec names none. */
  readonly healthTopicArn: string | undefined;
  /**
   * Where the controller itself reaches Prefect: `spec` (each pool's spec.prefect.apiUrl), `disabled`
   * (never: backlog unknown, work pools unmanaged), or a URL used for every pool (local tests).
   */
  readonly prefectApiAccess: PrefectApiAccess;
  /** How many pools one invocation reconciles at once. */
  readonly reconcileConcurrency: number;
  /** Stop starting new pools when the invocation has less than this left. */
  readonly deadlineSafetyMs: number;
}

type Parser<T> = (raw: string) => T;

interface VariableDeclaration<K extends keyof ControllerConfig> {
  readonly key: K;
  readonly required: boolean;
  readonly description: string;
  readonly parse: Parser<ControllerConfig[K]>;
  readonly defaultValue?: string;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid controller configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

class MalformedValue extends Error {}

function matching(pattern: RegExp, expected: string): Parser<string> {
  return (raw) => {
    if (!pattern.test(raw)) throw new MalformedValue(`expected ${expected}`);
    return raw;
  };
}

function list(itemPattern: RegExp, expected: string, min: number, max: number): Parser<readonly string[]> {
  return (raw) => {
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (items.length < min || items.length > max) {
      throw new MalformedValue(
        `expected ${min === max ? min : `${min} to ${max}`} comma-separated ${expected}`,
      );
    }
    const bad = items.filter((item) => !itemPattern.test(item));
    if (bad.length > 0)
      throw new MalformedValue(`expected ${expected}, got ${bad.map((b) => `"${b}"`).join(', ')}`);
    return items;
  };
}

function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new MalformedValue(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

const roleArn = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Every environment variable the controller reads, by name. */
export const controllerEnvironment = {
  CONTROLLER_INSTANCE_ID: {
    key: 'instanceId',
    required: true,
    description: 'Controller instance id: 1-20 lowercase letters and digits, starting with a letter.',
    // No hyphens: names are '<instance>-<pool>-...', and 'dev' must never read 'dev-eu-...' as its own.
    parse: matching(
      /^[a-z][a-z0-9]{0,19}$/,
      'a lowercase id of 1-20 letters and digits starting with a letter',
    ),
  },
  AWS_REGION: {
    key: 'region',
    required: true,
    description: 'AWS Region (set by Lambda).',
    parse: matching(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS Region such as eu-west-1'),
  },
  POOL_TABLE_NAME: {
    key: 'tableName',
    required: true,
    description: 'DynamoDB table of spec and status items.',
    parse: matching(/^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name'),
  },
  ECS_CLUSTER_NAME: {
    key: 'clusterName',
    required: true,
    description: 'ECS cluster the worker services run in.',
    parse: matching(/^[A-Za-z0-9_-]{1,255}$/, 'an ECS cluster name'),
  },
  VPC_ID: {
    key: 'vpcId',
    required: true,
    description: "VPC of the workers' security groups.",
    parse: matching(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as vpc-0abc1234'),
  },
  WORKER_SUBNET_IDS: {
    key: 'subnetIds',
    required: true,
    description: 'Private subnets for worker tasks, comma-separated (1-16).',
    parse: list(/^subnet-[0-9a-f]{8,17}$/, 'subnet ids', 1, 16),
  },
  WORKER_LOG_GROUP: {
    key: 'logGroupName',
    required: true,
    description: 'CloudWatch Logs group for worker logs (one stream prefix per pool).',
    parse: matching(/^[\w/.#-]{1,512}$/, 'a log group name'),
  },
  TASK_EXECUTION_ROLE_ARN: {
    key: 'executionRoleArn',
    required: true,
    description: 'Shared task execution role (pull images, write logs, read allowed secrets).',
    parse: matching(roleArn, 'an IAM role ARN'),
  },
  ALLOWED_TASK_ROLE_ARNS: {
    key: 'allowedTaskRoleArns',
    required: false,
    defaultValue: '',
    description: 'Task roles specs may use, comma-separated (may be empty).',
    parse: list(roleArn, 'IAM role ARNs', 0, 100),
  },
  DEFAULT_WORKER_TASK_ROLE_ARN: {
    key: 'defaultWorkerTaskRoleArn',
    required: false,
    description: 'Task role for ecs-type pools that name none.',
    parse: (raw: string) => (raw === '' ? undefined : matching(roleArn, 'an IAM role ARN')(raw)),
  },
  ALLOWED_SECRET_ARN_PREFIX: {
    key: 'allowedSecretArnPrefix',
    required: true,
    description:
      'Secret ARNs in specs must start with this, e.g. arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect/',
    parse: matching(
      /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]*$/,
      'a Secrets Manager ARN prefix such as arn:aws:secretsmanager:<region>:<account>:secret:prefect/',
    ),
  },
  HEALTH_TOPIC_ARN: {
    key: 'healthTopicArn',
    required: false,
    description: 'SNS topic for pool health alarms (no running workers, memory high) when a spec names none.',
    parse: (raw: string) =>
      raw === ''
        ? undefined
        : matching(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, 'an SNS topic ARN')(raw),
  },
  PREFECT_API_ACCESS: {
    key: 'prefectApiAccess',
    required: false,
    defaultValue: 'spec',
    description:
      "How the controller reaches Prefect: 'spec' (each pool's apiUrl), 'disabled', or a URL to use for every pool.",
    parse: (raw: string): PrefectApiAccess => {
      if (raw === 'spec') return { kind: 'spec' };
      if (raw === 'disabled') return { kind: 'disabled' };
      if (/^https?:\/\/\S+$/.test(raw)) return { kind: 'override', url: raw };
      throw new MalformedValue("expected 'spec', 'disabled' or an http(s) URL");
    },
  },
  RECONCILE_CONCURRENCY: {
    key: 'reconcileConcurrency',
    required: false,
    defaultValue: '8',
    description: 'Pools reconciled at once by one invocation.',
    parse: integer(1, 64),
  },
  DEADLINE_SAFETY_MS: {
    key: 'deadlineSafetyMs',
    required: false,
    defaultValue: '10000',
    description: 'Stop starting pools when less than this much of the invocation remains.',
    parse: integer(0, 600_000),
  },
} as const satisfies { [name: string]: VariableDeclaration<keyof ControllerConfig> };

export type ControllerEnvironmentName = keyof typeof controllerEnvironment;

/**
 * Reads and checks the whole configuration, collecting one message per missing or malformed variable
 * so a misconfigured deployment is fixed in one round.
 */
export function loadControllerConfig(env: Readonly<Record<string, string | undefined>>): ControllerConfig {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(controllerEnvironment)) {
    const raw = env[name]?.trim();
    const value =
      raw === undefined || raw === '' ? (declaration as { defaultValue?: string }).defaultValue : raw;
    if (value === undefined) {
      if (declaration.required) problems.push(`${name} is missing: ${declaration.description}`);
      else config[declaration.key] = undefined;
      continue;
    }
    try {
      config[declaration.key] = declaration.parse(value);
    } catch (error) {
      if (!(error instanceof MalformedValue)) throw error;
      problems.push(`${name} is malformed: ${error.message} (got "${value}")`);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config as unknown as ControllerConfig;
}

/** The inverse of loadControllerConfig: the environment that configures a controller this way. */
export function controllerConfigToEnvironment(
  config: ControllerConfig,
): Record<ControllerEnvironmentName, string> {
  return {
    CONTROLLER_INSTANCE_ID: config.instanceId,
    AWS_REGION: config.region,
    POOL_TABLE_NAME: config.tableName,
    ECS_CLUSTER_NAME: config.clusterName,
    VPC_ID: config.vpcId,
    WORKER_SUBNET_IDS: config.subnetIds.join(','),
    WORKER_LOG_GROUP: config.logGroupName,
    TASK_EXECUTION_ROLE_ARN: config.executionRoleArn,
    ALLOWED_TASK_ROLE_ARNS: config.allowedTaskRoleArns.join(','),
    DEFAULT_WORKER_TASK_ROLE_ARN: config.defaultWorkerTaskRoleArn ?? '',
    ALLOWED_SECRET_ARN_PREFIX: config.allowedSecretArnPrefix,
    HEALTH_TOPIC_ARN: config.healthTopicArn ?? '',
    PREFECT_API_ACCESS:
      config.prefectApiAccess.kind === 'override'
        ? config.prefectApiAccess.url
        : config.prefectApiAccess.kind,
    RECONCILE_CONCURRENCY: String(config.reconcileConcurrency),
    DEADLINE_SAFETY_MS: String(config.deadlineSafetyMs),
  };
}

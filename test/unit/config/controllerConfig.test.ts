/**
 * The controller's configuration: read from the environment once, every problem reported in one round.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  controllerConfigToEnvironment,
  controllerEnvironment,
  loadControllerConfig,
  type ControllerConfig,
} from '../../../controller/config/controllerConfig.js';

const executionRole = 'arn:aws:iam::123456789012:role/prefect-execution';
const workerRole = 'arn:aws:iam::123456789012:role/prefect-worker';
const ecsWorkerRole = 'arn:aws:iam::123456789012:role/service-role/prefect-ecs-worker';
const secretPrefix = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect/';

/** Every variable set, as a deployment would set them. A fresh copy each call. */
function fullEnvironment(): Record<string, string | undefined> {
  return {
    CONTROLLER_INSTANCE_ID: 'dev',
    AWS_REGION: 'eu-west-1',
    POOL_TABLE_NAME: 'prefect-worker-pools',
    ECS_CLUSTER_NAME: 'prefect-workers',
    VPC_ID: 'vpc-0abc1234def567890',
    WORKER_SUBNET_IDS: 'subnet-0aaa1111, subnet-0bbb2222',
    WORKER_LOG_GROUP: '/prefect-ecs-operator/dev/workers',
    TASK_EXECUTION_ROLE_ARN: executionRole,
    ALLOWED_TASK_ROLE_ARNS: `${workerRole},${ecsWorkerRole}`,
    DEFAULT_WORKER_TASK_ROLE_ARN: ecsWorkerRole,
    ALLOWED_SECRET_ARN_PREFIX: secretPrefix,
    HEALTH_TOPIC_ARN: '',
    PREFECT_API_ACCESS: 'spec',
    RECONCILE_CONCURRENCY: '16',
    DEADLINE_SAFETY_MS: '15000',
  };
}

const requiredNames = [
  'CONTROLLER_INSTANCE_ID',
  'AWS_REGION',
  'POOL_TABLE_NAME',
  'ECS_CLUSTER_NAME',
  'VPC_ID',
  'WORKER_SUBNET_IDS',
  'WORKER_LOG_GROUP',
  'TASK_EXECUTION_ROLE_ARN',
  'ALLOWED_SECRET_ARN_PREFIX',
];

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadControllerConfig(env);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadControllerConfig', () => {
  it('reads a full, valid environment', () => {
    // act
    const config = loadControllerConfig(fullEnvironment());
    // assess
    expect(config).toEqual({
      instanceId: 'dev',
      region: 'eu-west-1',
      tableName: 'prefect-worker-pools',
      clusterName: 'prefect-workers',
      vpcId: 'vpc-0abc1234def567890',
      subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
      logGroupName: '/prefect-ecs-operator/dev/workers',
      executionRoleArn: executionRole,
      allowedTaskRoleArns: [workerRole, ecsWorkerRole],
      defaultWorkerTaskRoleArn: ecsWorkerRole,
      allowedSecretArnPrefix: secretPrefix,
      healthTopicArn: undefined,
      prefectApiAccess: { kind: 'spec' },
      reconcileConcurrency: 16,
      deadlineSafetyMs: 15000,
    } satisfies ControllerConfig);
  });

  it('ignores variables it does not declare', () => {
    // act
    const config = loadControllerConfig({ ...fullEnvironment(), PATH: '/usr/bin', HOME: '/root' });
    // assess
    expect(Object.keys(config).sort()).toEqual(Object.keys(loadControllerConfig(fullEnvironment())).sort());
  });

  it.each(requiredNames)('reports a missing %s in one line naming it', (name) => {
    // prepare
    const env = { ...fullEnvironment(), [name]: undefined };
    // act
    const problems = problemsOf(env);
    // assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} is missing: \\S`));
  });

  it('treats an empty or blank required variable as missing', () => {
    // act
    const problems = problemsOf({ ...fullEnvironment(), VPC_ID: '', POOL_TABLE_NAME: '   ' });
    // assess
    expect(problems).toEqual([
      expect.stringMatching(/^POOL_TABLE_NAME is missing/),
      expect.stringMatching(/^VPC_ID is missing/),
    ]);
  });

  it('reports every problem at once in one ConfigurationError', () => {
    // prepare
    const env = {
      ...fullEnvironment(),
      CONTROLLER_INSTANCE_ID: undefined,
      AWS_REGION: undefined,
      VPC_ID: 'vpc-nothex',
      RECONCILE_CONCURRENCY: 'many',
    };
    // act
    let thrown: unknown;
    try {
      loadControllerConfig(env);
    } catch (error) {
      thrown = error;
    }
    // assess
    expect(thrown).toBeInstanceOf(ConfigurationError);
    const error = thrown as ConfigurationError;
    expect(error.name).toBe('ConfigurationError');
    expect(error.problems.map((p) => p.split(' ')[0])).toEqual([
      'CONTROLLER_INSTANCE_ID',
      'AWS_REGION',
      'VPC_ID',
      'RECONCILE_CONCURRENCY',
    ]);
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  describe('malformed values name the variable and what was expected', () => {
    const seventeenSubnets = Array.from(
      { length: 17 },
      (_, i) => `subnet-0${i.toString(16).padStart(7, '0')}`,
    ).join(',');
    it.each([
      ['WORKER_SUBNET_IDS', 'subnet-0aaa1111,sn-12', /expected subnet ids, got "sn-12"/],
      ['WORKER_SUBNET_IDS', seventeenSubnets, /expected 1 to 16 comma-separated subnet ids/],
      ['WORKER_SUBNET_IDS', ' , ', /expected 1 to 16 comma-separated subnet ids/],
      ['TASK_EXECUTION_ROLE_ARN', 'arn:aws:iam::123:role/x', /expected an IAM role ARN/],
      ['TASK_EXECUTION_ROLE_ARN', 'arn:aws:iam::123456789012:user/alice', /expected an IAM role ARN/],
      [
        'ALLOWED_TASK_ROLE_ARNS',
        `${workerRole},prefect-worker`,
        /expected IAM role ARNs, got "prefect-worker"/,
      ],
      ['DEFAULT_WORKER_TASK_ROLE_ARN', 'prefect-ecs-worker', /expected an IAM role ARN/],
      [
        'CONTROLLER_INSTANCE_ID',
        'Dev',
        /expected a lowercase id of 1-20 letters and digits starting with a letter/,
      ],
      ['CONTROLLER_INSTANCE_ID', '1dev', /expected a lowercase id/],
      ['CONTROLLER_INSTANCE_ID', 'a'.repeat(21), /expected a lowercase id/],
      [
        'ALLOWED_SECRET_ARN_PREFIX',
        'arn:aws:s3:::bucket/prefect/',
        /expected a Secrets Manager ARN prefix such as arn:aws:secretsmanager:/,
      ],
      ['ALLOWED_SECRET_ARN_PREFIX', 'prefect/', /expected a Secrets Manager ARN prefix/],
      ['RECONCILE_CONCURRENCY', '2.5', /expected an integer from 1 to 64/],
      ['RECONCILE_CONCURRENCY', '0', /expected an integer from 1 to 64/],
      ['RECONCILE_CONCURRENCY', 'eight', /expected an integer from 1 to 64/],
      ['DEADLINE_SAFETY_MS', '-1', /expected an integer from 0 to 600000/],
      ['AWS_REGION', 'Europe', /expected an AWS Region such as eu-west-1/],
      ['VPC_ID', 'vpc-XYZ', /expected a VPC id/],
    ])('%s=%s', (name, value, expected) => {
      // act
      const problems = problemsOf({ ...fullEnvironment(), [name]: value });
      // assess
      expect(problems).toHaveLength(1);
      expect(problems[0]?.startsWith(`${name} is `)).toBe(true);
      expect(problems[0]).toMatch(expected);
    });

    it('quote the value that was given', () => {
      // act
      const problems = problemsOf({ ...fullEnvironment(), RECONCILE_CONCURRENCY: '2.5' });
      // assess
      expect(problems).toEqual([
        'RECONCILE_CONCURRENCY is malformed: expected an integer from 1 to 64 (got "2.5")',
      ]);
    });
  });

  it('defaults the optional variables', () => {
    // prepare
    const env = {
      ...fullEnvironment(),
      ALLOWED_TASK_ROLE_ARNS: undefined,
      DEFAULT_WORKER_TASK_ROLE_ARN: undefined,
      RECONCILE_CONCURRENCY: undefined,
      DEADLINE_SAFETY_MS: '',
    };
    // act
    const config = loadControllerConfig(env);
    // assess
    expect(config.allowedTaskRoleArns).toEqual([]);
    expect(config.defaultWorkerTaskRoleArn).toBeUndefined();
    expect(config.reconcileConcurrency).toBe(8);
    expect(config.deadlineSafetyMs).toBe(10_000);
  });
});

describe('controllerConfigToEnvironment', () => {
  it('round-trips through loadControllerConfig', () => {
    // prepare
    const config = loadControllerConfig(fullEnvironment());
    // act
    const again = loadControllerConfig(controllerConfigToEnvironment(config));
    // assess
    expect(again).toEqual(config);
  });

  it('round-trips a configuration that relies on the defaults', () => {
    // prepare
    const config = loadControllerConfig({
      ...fullEnvironment(),
      ALLOWED_TASK_ROLE_ARNS: undefined,
      DEFAULT_WORKER_TASK_ROLE_ARN: undefined,
      RECONCILE_CONCURRENCY: undefined,
      DEADLINE_SAFETY_MS: undefined,
    });
    // act
    const env = controllerConfigToEnvironment(config);
    const again = loadControllerConfig(env);
    // assess
    expect(again).toEqual(config);
    expect(env.DEFAULT_WORKER_TASK_ROLE_ARN).toBe('');
  });

  it.each([
    ['spec', { kind: 'spec' }],
    ['disabled', { kind: 'disabled' }],
    ['http://127.0.0.1:4200/api', { kind: 'override', url: 'http://127.0.0.1:4200/api' }],
  ])('reads PREFECT_API_ACCESS=%s', (raw, expected) => {
    expect(loadControllerConfig({ ...fullEnvironment(), PREFECT_API_ACCESS: raw }).prefectApiAccess).toEqual(
      expected,
    );
  });

  it('rejects a PREFECT_API_ACCESS that is neither a mode nor a URL', () => {
    expect(problemsOf({ ...fullEnvironment(), PREFECT_API_ACCESS: 'sometimes' })).toEqual([
      expect.stringMatching(
        /^PREFECT_API_ACCESS is malformed: expected 'spec', 'disabled' or an http\(s\) URL/,
      ),
    ]);
  });

  it('covers exactly the variables the controller declares', () => {
    // prepare
    const config = loadControllerConfig(fullEnvironment());
    // act
    const env = controllerConfigToEnvironment(config);
    // assess
    expect(Object.keys(env).sort()).toEqual(Object.keys(controllerEnvironment).sort());
    expect(Object.keys(controllerEnvironment).sort()).toEqual(Object.keys(fullEnvironment()).sort());
  });
});

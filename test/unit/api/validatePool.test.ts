import { describe, expect, it } from 'vitest';
import { awsNameLimits } from '../../../controller/api/resourceNames.js';
import { isSecretLookingName, validatePool } from '../../../controller/api/validatePool.js';
import {
  completeManifest,
  context,
  deleteAt,
  designFargatePairs,
  ecsWorkerRoleArn,
  expectValid,
  issuesOf,
  minimalManifest,
  secretPrefix,
  setAt,
  workerRoleArn,
  type Json,
} from './manifestFixtures.js';

const dnsLabelExpected =
  "expected a lowercase DNS label: a-z, 0-9 and '-', starting with a letter and ending with a letter or digit";
const secretArnExpected =
  'expected a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)';
const secretLooksLike =
  'looks like a secret and would be stored in plain text; put a Secrets Manager ARN under spec.worker.secrets instead';

/** A value as the validator quotes it in a message: JSON, cut at 60 characters. */
function quoted(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}

/** The minimal manifest with `value` at `path`. */
function minimalWith(path: readonly (string | number)[], value: Json) {
  return setAt(minimalManifest(), path, value);
}

describe('validatePool: a valid manifest', () => {
  it('resolves a minimal manifest with the documented defaults', () => {
    // prepare
    const item = minimalManifest();

    // act
    const result = expectValid(validatePool(item, context));

    // assess
    expect(result.pool).toEqual({
      name: 'analytics',
      labels: {},
      spec: {
        prefect: { apiUrl: 'https://api.prefect.cloud/api/accounts/acc/workspaces/ws' },
        workPool: {
          name: 'analytics',
          type: 'process',
          workQueues: ['default'],
          paused: false,
          manage: true,
          deleteOnPoolDeletion: false,
        },
        worker: {
          image: 'prefecthq/prefect:3-python3.12',
          cpu: 512,
          memory: 1024,
          architecture: 'ARM64',
          env: {},
          secrets: {},
          spot: 0,
        },
        scaling: {
          mode: 'auto',
          minWorkers: 0,
          maxWorkers: 10,
          backlogPerWorker: 5,
          cpuTargetPercent: 70,
          scaleOutCooldownSeconds: 60,
          scaleInCooldownSeconds: 300,
        },
        network: { egress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }] },
        alarms: {},
        tags: {},
      },
    });
    expect(result.manifest).toEqual(minimalManifest());
  });

  it('defaults an ecs-type pool to the prefect-aws image', () => {
    const item = minimalWith(['spec', 'workPool'], { type: 'ecs' });

    const result = expectValid(validatePool(item, context));

    expect(result.pool.spec.worker.image).toBe('prefecthq/prefect-aws:latest');
    expect(result.pool.spec.workPool.type).toBe('ecs');
  });

  it('resolves a manifest that sets every field, keeping each value', () => {
    const item = completeManifest();

    const result = expectValid(validatePool(item, context));

    expect(result.pool).toMatchObject({
      name: 'analytics',
      generation: 3,
      labels: { team: 'data', 'example.com/tier': 'gold' },
      spec: {
        workPool: { name: 'Analytics pool', workQueues: ['default', 'high priority'], concurrencyLimit: 10 },
        worker: { cpu: 1024, memory: 4096, architecture: 'X86_64', spot: 50, taskRoleArn: workerRoleArn },
        scaling: { minWorkers: 1, maxWorkers: 20 },
        network: {
          egress: [
            { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0', description: 'HTTPS' },
            { protocol: 'tcp', fromPort: 5432, toPort: 5433, cidr: '10.0.0.0/16' },
            { protocol: 'all', fromPort: -1, toPort: -1, cidr: '10.1.0.0/16' },
          ],
        },
        tags: { CostCenter: '1234', 'team name': 'data platform' },
      },
    });
  });

  it('ignores the table keys pk and sk and returns the manifest without them', () => {
    const item = { pk: 'analytics', sk: 'spec', ...minimalManifest() };

    const result = expectValid(validatePool(item, { ...context, expectedName: 'analytics' }));

    expect(result.manifest).toEqual(minimalManifest());
    expect(result.manifest).not.toHaveProperty('pk');
    expect(result.manifest).not.toHaveProperty('sk');
  });

  it('does not modify the item it validates', () => {
    const item = completeManifest();

    validatePool(item, context);

    expect(item).toEqual(completeManifest());
  });
});

describe('validatePool: unknown fields', () => {
  it.each([
    { at: [], key: 'colour', path: 'colour', known: '$schema, apiVersion, kind, metadata, spec' },
    { at: ['metadata'], key: 'annotations', path: 'metadata.annotations', known: 'name, labels, generation' },
    {
      at: ['spec'],
      key: 'replicas',
      path: 'spec.replicas',
      known: 'prefect, workPool, worker, scaling, network, alarms, tags',
    },
    {
      at: ['spec', 'prefect'],
      key: 'apiKey',
      path: 'spec.prefect.apiKey',
      known: 'apiUrl, apiKeySecretArn, authStringSecretArn',
    },
    {
      at: ['spec', 'workPool'],
      key: 'queues',
      path: 'spec.workPool.queues',
      known: 'name, type, description',
    },
    { at: ['spec', 'worker'], key: 'memoryMiB', path: 'spec.worker.memoryMiB', known: 'image, cpu, memory' },
    {
      at: ['spec', 'worker'],
      key: 'max workers',
      path: 'spec.worker["max workers"]',
      known: 'image, cpu, memory',
    },
    {
      at: ['spec', 'scaling'],
      key: 'max',
      path: 'spec.scaling.max',
      known: 'mode, workers, minWorkers, maxWorkers',
    },
    { at: ['spec', 'network'], key: 'ingress', path: 'spec.network.ingress', known: 'egress' },
    { at: ['spec', 'alarms'], key: 'email', path: 'spec.alarms.email', known: 'notifyTopicArn' },
  ])('rejects an unknown field at $path, naming the known ones', ({ at, key, path, known }) => {
    // prepare
    const item = minimalManifest();
    setAt(item, [...at, key], 'x');

    // act
    const issues = issuesOf(validatePool(item, context));

    // assess
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.message).toMatch(/^is not a known field; expected one of: /);
    expect(issues[0]?.message).toContain(known);
  });

  it('rejects an unknown field in an egress rule with its index in the path', () => {
    const item = minimalWith(
      ['spec', 'network', 'egress'],
      [
        { port: 443, cidr: '0.0.0.0/0' },
        { ports: [80, 443], cidr: '0.0.0.0/0' },
      ],
    );

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toContainEqual({
      path: 'spec.network.egress[1].ports',
      message: 'is not a known field; expected one of: port, fromPort, toPort, protocol, cidr, description',
    });
  });
});

describe('validatePool: wrong types and out-of-range values', () => {
  it.each([
    {
      path: ['apiVersion'],
      value: 'v1',
      shown: 'apiVersion',
      message: 'expected "prefect-ecs-operator/v1", got "v1"',
    },
    {
      path: ['kind'],
      value: 'WorkerPool',
      shown: 'kind',
      message: 'expected "PrefectWorkerPool", got "WorkerPool"',
    },
    { path: ['metadata'], value: 'analytics', shown: 'metadata', message: 'expected object, got string' },
    { path: ['metadata', 'generation'], value: 0, shown: 'metadata.generation', message: 'must be >= 1' },
    {
      path: ['spec', 'prefect', 'apiUrl'],
      value: 42,
      shown: 'spec.prefect.apiUrl',
      message: 'expected string, got integer',
    },
    {
      path: ['spec', 'prefect', 'apiUrl'],
      value: 'ftp://prefect',
      shown: 'spec.prefect.apiUrl',
      message: 'expected an http(s) URL without spaces, got "ftp://prefect"',
    },
    {
      path: ['spec', 'workPool', 'type'],
      value: 'kubernetes',
      shown: 'spec.workPool.type',
      message: 'expected one of "process", "ecs", got "kubernetes"',
    },
    {
      path: ['spec', 'workPool', 'paused'],
      value: 'true',
      shown: 'spec.workPool.paused',
      message: 'expected boolean, got string',
    },
    {
      path: ['spec', 'workPool', 'workQueues'],
      value: 'default',
      shown: 'spec.workPool.workQueues',
      message: 'expected array, got string',
    },
    {
      path: ['spec', 'workPool', 'workQueues'],
      value: [],
      shown: 'spec.workPool.workQueues',
      message: 'must NOT have fewer than 1 items',
    },
    {
      path: ['spec', 'worker', 'cpu'],
      value: '512',
      shown: 'spec.worker.cpu',
      message: 'expected one of 256, 512, 1024, 2048, 4096, 8192, 16384, got "512"',
    },
    {
      path: ['spec', 'worker', 'cpu'],
      value: 768,
      shown: 'spec.worker.cpu',
      message: 'expected one of 256, 512, 1024, 2048, 4096, 8192, 16384, got 768',
    },
    {
      path: ['spec', 'worker', 'memory'],
      value: '1024',
      shown: 'spec.worker.memory',
      message: 'expected integer, got string',
    },
    {
      path: ['spec', 'worker', 'memory'],
      value: 1024.5,
      shown: 'spec.worker.memory',
      message: 'expected integer, got number',
    },
    {
      path: ['spec', 'worker', 'env'],
      value: ['A=1'],
      shown: 'spec.worker.env',
      message: 'expected object, got array',
    },
    {
      path: ['spec', 'worker', 'env', 'LOG_LEVEL'],
      value: 3,
      shown: 'spec.worker.env.LOG_LEVEL',
      message: 'expected string, got integer',
    },
    { path: ['spec', 'worker', 'spot'], value: 101, shown: 'spec.worker.spot', message: 'must be <= 100' },
    { path: ['spec', 'worker', 'limit'], value: 0, shown: 'spec.worker.limit', message: 'must be >= 1' },
    {
      path: ['spec', 'worker', 'ephemeralStorageGiB'],
      value: 20,
      shown: 'spec.worker.ephemeralStorageGiB',
      message: 'must be >= 21',
    },
    {
      path: ['spec', 'scaling', 'maxWorkers'],
      value: null,
      shown: 'spec.scaling.maxWorkers',
      message: 'expected integer, got null',
    },
    {
      path: ['spec', 'scaling', 'maxWorkers'],
      value: 1001,
      shown: 'spec.scaling.maxWorkers',
      message: 'must be <= 1000',
    },
    {
      path: ['spec', 'scaling', 'mode'],
      value: 'manual',
      shown: 'spec.scaling.mode',
      message: 'expected one of "auto", "fixed", got "manual"',
    },
    {
      path: ['spec', 'alarms', 'notifyTopicArn'],
      value: 'arn:aws:sqs:us-east-1:123456789012:q',
      shown: 'spec.alarms.notifyTopicArn',
      message: 'expected an SNS topic ARN, got "arn:aws:sqs:us-east-1:123456789012:q"',
    },
    {
      path: ['spec', 'tags', 'a b'],
      value: 1,
      shown: 'spec.tags["a b"]',
      message: 'expected string, got integer',
    },
    // A map key made of digits is a key, not an array index (regression: it was shown as spec.tags[2024]).
    {
      path: ['spec', 'tags', '2024'],
      value: 1,
      shown: 'spec.tags["2024"]',
      message: 'expected string, got integer',
    },
    {
      path: ['metadata', 'labels', '7'],
      value: true,
      shown: 'metadata.labels["7"]',
      message: 'expected string, got boolean',
    },
    {
      path: ['spec', 'workPool', 'workQueues'],
      value: ['default', 42],
      shown: 'spec.workPool.workQueues[1]',
      message: 'expected string, got integer',
    },
  ])('rejects $shown = $value with "$message"', ({ path, value, shown, message }) => {
    const item = minimalWith(path, value as Json);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([{ path: shown, message }]);
  });

  it('rejects an env name that is not a valid variable name, once, as a name problem', () => {
    const item = minimalWith(['spec', 'worker', 'env'], { '1BAD': 'x' });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.worker.env["1BAD"]',
        message:
          "name is not allowed; expected an environment variable name: letters, digits and '_', not starting with a digit",
      },
    ]);
  });

  it('rejects duplicate work queues', () => {
    const item = minimalWith(['spec', 'workPool', 'workQueues'], ['default', 'default']);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('spec.workPool.workQueues');
    expect(issues[0]?.message).toMatch(/duplicate items/);
  });
});

describe('validatePool: missing required fields', () => {
  it.each([
    { path: ['apiVersion'], shown: 'apiVersion' },
    { path: ['kind'], shown: 'kind' },
    { path: ['metadata'], shown: 'metadata' },
    { path: ['metadata', 'name'], shown: 'metadata.name' },
    { path: ['spec'], shown: 'spec' },
    { path: ['spec', 'prefect'], shown: 'spec.prefect' },
    { path: ['spec', 'prefect', 'apiUrl'], shown: 'spec.prefect.apiUrl' },
  ])('reports $shown as required', ({ path, shown }) => {
    const item = deleteAt(minimalManifest(), path);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([{ path: shown, message: 'is required' }]);
  });

  it('reports the cidr of an egress rule as required', () => {
    const item = minimalWith(['spec', 'network', 'egress'], [{ port: 443 }]);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([{ path: 'spec.network.egress[0].cidr', message: 'is required' }]);
  });
});

describe('validatePool: pool names', () => {
  it.each([
    { name: 'Analytics', why: 'uppercase' },
    { name: 'my_pool', why: 'an underscore' },
    { name: '1pool', why: 'a leading digit' },
    { name: 'pool-', why: 'a trailing hyphen' },
    { name: '-pool', why: 'a leading hyphen' },
    { name: 'my pool', why: 'a space' },
  ])('rejects a name with $why', ({ name }) => {
    const item = minimalManifest(name);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      { path: 'metadata.name', message: `${dnsLabelExpected}, got ${JSON.stringify(name)}` },
    ]);
  });

  it('rejects a name of 64 characters', () => {
    const item = minimalManifest('a'.repeat(64));

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([{ path: 'metadata.name', message: 'must NOT have more than 63 characters' }]);
  });

  it('rejects an empty name', () => {
    const item = minimalManifest('');

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      { path: 'metadata.name', message: 'must NOT have fewer than 1 characters' },
      { path: 'metadata.name', message: `${dnsLabelExpected}, got ""` },
    ]);
  });

  it.each(['a', 'a1', 'data-team-2', 'a'.repeat(63)])('accepts the name %s', (name) => {
    expectValid(validatePool(minimalManifest(name), context));
  });

  it('rejects a name whose derived alarm name prefix exceeds its AWS limit', () => {
    // prepare: "<instance>-<pool>-" is one character over the alarm prefix limit; every other name fits.
    const limit = awsNameLimits.alarmNamePrefix;
    const instanceId = 'i'.repeat(limit - 'a'.length - 1);
    const fitting = { ...context, instanceId: instanceId.slice(1) };
    const overLimit = { ...context, instanceId };

    // act
    const fits = validatePool(minimalManifest('a'), fitting);
    const issues = issuesOf(validatePool(minimalManifest('a'), overLimit));

    // assess
    expectValid(fits);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('metadata.name');
    expect(issues[0]?.message).toMatch(
      new RegExp(
        `^is too long: the derived alarmNamePrefix "i+…" has ${limit + 1} characters, AWS allows ${limit}$`,
      ),
    );
  });

  it('reports every derived name that is too long', () => {
    const item = minimalManifest('a'.repeat(63));

    const issues = issuesOf(validatePool(item, { ...context, instanceId: 'i'.repeat(250) }));

    expect(issues.map((issue) => issue.path)).toEqual(Array(4).fill('metadata.name'));
    expect(issues.map((issue) => /derived (\w+)/.exec(issue.message)?.[1])).toEqual([
      'serviceName',
      'taskDefinitionFamily',
      'securityGroupName',
      'alarmNamePrefix',
    ]);
  });

  it('rejects a metadata.name that differs from the item key', () => {
    const item = { pk: 'reporting', sk: 'spec', ...minimalManifest('analytics') };

    const issues = issuesOf(validatePool(item, { ...context, expectedName: 'reporting' }));

    expect(issues).toEqual([{ path: 'metadata.name', message: 'must equal the item\'s key pk="reporting"' }]);
  });
});

describe('validatePool: Fargate sizes', () => {
  it.each(designFargatePairs.map(([cpu, memory]) => ({ cpu, memory })))(
    'accepts cpu $cpu with memory $memory',
    ({ cpu, memory }) => {
      const item = minimalWith(['spec', 'worker'], { cpu, memory });

      const result = expectValid(validatePool(item, context));

      expect(result.pool.spec.worker).toMatchObject({ cpu, memory });
    },
  );

  it.each([
    { cpu: 256, memory: 4096, expected: '512, 1024, 2048' },
    { cpu: 256, memory: 1536, expected: '512, 1024, 2048' },
    { cpu: 512, memory: 512, expected: '1024 to 4096 in steps of 1024' },
    { cpu: 512, memory: 1536, expected: '1024 to 4096 in steps of 1024' },
    { cpu: 1024, memory: 9216, expected: '2048 to 8192 in steps of 1024' },
    { cpu: 2048, memory: 3072, expected: '4096 to 16384 in steps of 1024' },
    { cpu: 4096, memory: 31744, expected: '8192 to 30720 in steps of 1024' },
    { cpu: 8192, memory: 18432, expected: '16384 to 61440 in steps of 4096' },
    { cpu: 16384, memory: 36864, expected: '32768 to 122880 in steps of 8192' },
  ])('rejects cpu $cpu with memory $memory, naming the valid range', ({ cpu, memory, expected }) => {
    const item = minimalWith(['spec', 'worker'], { cpu, memory });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.worker.memory',
        message: `${memory} MiB is not a valid Fargate size for cpu ${cpu}; expected ${expected}`,
      },
    ]);
  });

  it('checks a cpu given without memory against the default memory of 1024 MiB', () => {
    const item = minimalWith(['spec', 'worker'], { cpu: 2048 });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.worker.memory',
        message: '1024 MiB is not a valid Fargate size for cpu 2048; expected 4096 to 16384 in steps of 1024',
      },
    ]);
  });
});

describe('validatePool: scaling', () => {
  it('rejects minWorkers above maxWorkers', () => {
    const item = minimalWith(['spec', 'scaling'], { minWorkers: 5, maxWorkers: 2 });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      { path: 'spec.scaling.minWorkers', message: 'must be at most maxWorkers (2), got 5' },
    ]);
  });

  it('rejects minWorkers above the default maxWorkers of 10', () => {
    const item = minimalWith(['spec', 'scaling'], { minWorkers: 11 });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      { path: 'spec.scaling.minWorkers', message: 'must be at most maxWorkers (10), got 11' },
    ]);
  });

  it('accepts minWorkers equal to maxWorkers', () => {
    const item = minimalWith(['spec', 'scaling'], { minWorkers: 3, maxWorkers: 3 });

    expectValid(validatePool(item, context));
  });

  it('rejects fixed mode without a worker count', () => {
    const item = minimalWith(['spec', 'scaling'], { mode: 'fixed' });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([{ path: 'spec.scaling.workers', message: 'is required when mode is "fixed"' }]);
  });

  it.each([{ scaling: { mode: 'auto', workers: 2 } }, { scaling: { workers: 2 } }])(
    'rejects a worker count in auto mode: $scaling',
    ({ scaling }) => {
      const item = minimalWith(['spec', 'scaling'], scaling as Json);

      const issues = issuesOf(validatePool(item, context));

      expect(issues).toEqual([
        {
          path: 'spec.scaling.workers',
          message: 'is only allowed when mode is "fixed"; auto mode scales within [minWorkers, maxWorkers]',
        },
      ]);
    },
  );

  it('accepts fixed mode with zero workers', () => {
    const item = minimalWith(['spec', 'scaling'], { mode: 'fixed', workers: 0 });

    const result = expectValid(validatePool(item, context));

    expect(result.pool.spec.scaling).toMatchObject({ mode: 'fixed', workers: 0 });
  });
});

describe('validatePool: secrets', () => {
  it.each([
    { field: 'apiKeySecretArn', arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:other/api-key' },
    { field: 'apiKeySecretArn', arn: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:prefect/api-key' },
    {
      field: 'authStringSecretArn',
      arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prefect/auth',
    },
  ])('rejects a $field outside the allowed prefix: $arn', ({ field, arn }) => {
    const item = minimalWith(['spec', 'prefect', field], arn);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: `spec.prefect.${field}`,
        message: `secret is outside the allowed prefix; expected an ARN starting with ${secretPrefix}`,
      },
    ]);
  });

  it.each([
    'prefect/api-key',
    'arn:aws:ssm:us-east-1:123456789012:parameter/prefect/api-key',
    'arn:aws:secretsmanager:us-east-1:1234:secret:prefect/api-key',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:',
    `${secretPrefix}api key`,
  ])('rejects the malformed secret ARN %s', (arn) => {
    const item = minimalWith(['spec', 'prefect', 'apiKeySecretArn'], arn);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      { path: 'spec.prefect.apiKeySecretArn', message: `${secretArnExpected}, got ${quoted(arn)}` },
    ]);
  });

  it('rejects apiKeySecretArn and authStringSecretArn together', () => {
    const item = minimalWith(['spec', 'prefect'], {
      apiUrl: 'http://prefect.internal:4200/api',
      apiKeySecretArn: `${secretPrefix}api-key`,
      authStringSecretArn: `${secretPrefix}auth`,
    });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.prefect',
        message: 'set either apiKeySecretArn (Prefect Cloud) or authStringSecretArn (self-hosted), not both',
      },
    ]);
  });

  it('accepts an auth string secret for a self-hosted server', () => {
    const item = minimalWith(['spec', 'prefect'], {
      apiUrl: 'http://prefect.internal:4200/api',
      authStringSecretArn: `${secretPrefix}auth-AbCdEf`,
    });

    expectValid(validatePool(item, context));
  });

  it('rejects a worker secret outside the allowed prefix, at its name', () => {
    const item = minimalWith(['spec', 'worker', 'secrets'], {
      DB_PASSWORD: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:finance/db',
    });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.worker.secrets.DB_PASSWORD',
        message: `secret is outside the allowed prefix; expected an ARN starting with ${secretPrefix}`,
      },
    ]);
  });

  it('accepts a worker secret that selects a JSON key of the secret', () => {
    const item = minimalWith(['spec', 'worker', 'secrets'], {
      DB_PASSWORD: `${secretPrefix}db-AbCdEf:password::`,
    });

    const result = expectValid(validatePool(item, context));

    expect(result.pool.spec.worker.secrets).toEqual({ DB_PASSWORD: `${secretPrefix}db-AbCdEf:password::` });
  });
});

describe('validatePool: task roles', () => {
  it('rejects a task role the controller may not pass, listing the allowed ones', () => {
    const item = minimalWith(['spec', 'worker', 'taskRoleArn'], 'arn:aws:iam::123456789012:role/admin');

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.worker.taskRoleArn',
        message: `is not a task role this controller may pass; expected one of: ${workerRoleArn}, ${ecsWorkerRoleArn}`,
      },
    ]);
  });

  it('says when the controller allows no task roles at all', () => {
    const item = minimalWith(['spec', 'worker', 'taskRoleArn'], workerRoleArn);

    const issues = issuesOf(validatePool(item, { ...context, allowedTaskRoleArns: [] }));

    expect(issues).toEqual([
      {
        path: 'spec.worker.taskRoleArn',
        message: 'is not a task role this controller may pass; expected one of: (none configured)',
      },
    ]);
  });

  it('accepts an allowed task role', () => {
    const item = minimalWith(['spec', 'worker', 'taskRoleArn'], workerRoleArn);

    const result = expectValid(validatePool(item, context));

    expect(result.pool.spec.worker.taskRoleArn).toBe(workerRoleArn);
  });

  it('rejects an ecs-type pool without a task role when the controller has no default', () => {
    const item = minimalWith(['spec', 'workPool', 'type'], 'ecs');

    const issues = issuesOf(validatePool(item, { ...context, defaultWorkerTaskRoleArn: undefined }));

    expect(issues).toEqual([
      {
        path: 'spec.worker.taskRoleArn',
        message: 'is required for ecs-type pools: the controller has no default worker task role',
      },
    ]);
  });

  it('accepts an ecs-type pool without a task role when the controller has a default', () => {
    const item = minimalWith(['spec', 'workPool', 'type'], 'ecs');

    const result = expectValid(validatePool(item, context));

    // The default role is applied when the task definition is built, not in the resolved spec.
    expect(result.pool.spec.worker.taskRoleArn).toBeUndefined();
  });

  it('accepts a process-type pool without a task role even when the controller has no default', () => {
    const item = minimalManifest();

    expectValid(validatePool(item, { ...context, defaultWorkerTaskRoleArn: undefined }));
  });
});

describe('isSecretLookingName', () => {
  it.each([
    'DB_PASSWORD',
    'API_KEY',
    'GITHUB_TOKEN',
    'HF_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ACCESS_KEY_ID',
    'PREFECT_API_AUTH_STRING',
    'BASIC_AUTH',
    'AUTHORIZATION',
    'MY_PWD',
    'SMTP_PASS',
    'SENTRY_DSN',
    'CLIENT_CERT',
    'SIGNING_KEY',
    'PRIVATEKEY',
    'GCP_CREDENTIALS',
    'db_password',
  ])('flags %s', (name) => {
    expect(isSecretLookingName(name)).toBe(true);
  });

  it.each([
    'LOG_LEVEL',
    'KEYBOARD_LAYOUT',
    'MONKEY_COUNT',
    'HOTKEY',
    'PYTHONUNBUFFERED',
    'PASSTHROUGH_MODE',
    'TOKENIZERS_PARALLELISM',
    'GIT_AUTHOR_NAME',
    'GIT_AUTHOR_EMAIL',
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
    'NODE_EXTRA_CA_CERTS',
    'REQUESTS_CA_BUNDLE',
    'DATABASE_URL',
  ])('does not flag %s', (name) => {
    expect(isSecretLookingName(name)).toBe(false);
  });
});

describe('validatePool: environment', () => {
  it.each(['DB_PASSWORD', 'API_KEY', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'MY_PWD', 'db_password'])(
    'rejects the secret-looking env name %s, pointing at spec.worker.secrets',
    (name) => {
      const item = minimalWith(['spec', 'worker', 'env'], { [name]: 'hunter2' });

      const issues = issuesOf(validatePool(item, context));

      expect(issues).toEqual([{ path: `spec.worker.env.${name}`, message: secretLooksLike }]);
    },
  );

  it.each([
    { name: 'PREFECT_API_URL', owner: 'spec.prefect.apiUrl' },
    { name: 'PREFECT_API_KEY', owner: 'spec.prefect.apiKeySecretArn' },
    { name: 'PREFECT_API_AUTH_STRING', owner: 'spec.prefect.authStringSecretArn' },
    { name: 'EXTRA_PIP_PACKAGES', owner: 'spec.worker.extraPipPackages' },
  ])('rejects the controller-owned env name $name, naming $owner', ({ name, owner }) => {
    const item = minimalWith(['spec', 'worker', 'env'], { [name]: 'x' });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      { path: `spec.worker.env.${name}`, message: `is set by the controller from ${owner}; remove it` },
    ]);
  });

  it('rejects a controller-owned name among the worker secrets', () => {
    const item = minimalWith(['spec', 'worker', 'secrets'], { PREFECT_API_KEY: `${secretPrefix}api-key` });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.worker.secrets.PREFECT_API_KEY',
        message: 'is set by the controller from spec.prefect.apiKeySecretArn; remove it',
      },
    ]);
  });

  it.each([
    'LOG_LEVEL',
    'KEYBOARD_LAYOUT',
    'MONKEY_COUNT',
    'TOKENIZERS_PARALLELISM',
    'GIT_AUTHOR_NAME',
    'SSL_CERT_FILE',
  ])('accepts the harmless env name %s', (name) => {
    const item = minimalWith(['spec', 'worker', 'env'], { [name]: 'value' });

    const result = expectValid(validatePool(item, context));

    expect(result.pool.spec.worker.env).toEqual({ [name]: 'value' });
  });

  it('rejects a name set both in env and in secrets', () => {
    const item = minimalWith(['spec', 'worker'], {
      env: { DATABASE_URL: 'postgres://db/analytics' },
      secrets: { DATABASE_URL: `${secretPrefix}database-url` },
    });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.worker.env.DATABASE_URL',
        message: 'is also set in spec.worker.secrets; set it in one place',
      },
    ]);
  });

  it('accepts env names that are also names of Object.prototype members', () => {
    // Regression: the env/secrets overlap check used `in`, which sees inherited members such as toString.
    const item = minimalWith(['spec', 'worker', 'env'], {
      constructor: 'a',
      toString: 'b',
      hasOwnProperty: 'c',
    });

    const result = expectValid(validatePool(item, context));

    expect(Object.keys(result.pool.spec.worker.env)).toEqual(['constructor', 'toString', 'hasOwnProperty']);
  });
});

describe('validatePool: egress rules', () => {
  const rule = (fields: object) => minimalWith(['spec', 'network', 'egress'], [fields as Json]);

  it.each([
    {
      fields: { port: 443, fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
      message: 'set either port or fromPort/toPort, not both',
    },
    { fields: { fromPort: 443, cidr: '0.0.0.0/0' }, message: 'expected port, or both fromPort and toPort' },
    { fields: { cidr: '0.0.0.0/0' }, message: 'expected port, or both fromPort and toPort' },
    { fields: { protocol: 'udp', cidr: '0.0.0.0/0' }, message: 'expected port, or both fromPort and toPort' },
    {
      fields: { protocol: 'all', port: 443, cidr: '0.0.0.0/0' },
      message: 'protocol "all" takes no port; remove port/fromPort/toPort',
    },
    {
      fields: { protocol: 'all', fromPort: 0, toPort: 65535, cidr: '0.0.0.0/0' },
      message: 'protocol "all" takes no port; remove port/fromPort/toPort',
    },
  ])('rejects $fields: $message', ({ fields, message }) => {
    const issues = issuesOf(validatePool(rule(fields), context));

    expect(issues).toEqual([{ path: 'spec.network.egress[0]', message }]);
  });

  it('rejects fromPort above toPort, at the rule index', () => {
    const item = minimalWith(
      ['spec', 'network', 'egress'],
      [
        { port: 443, cidr: '0.0.0.0/0' },
        { fromPort: 443, toPort: 80, cidr: '0.0.0.0/0' },
      ],
    );

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      { path: 'spec.network.egress[1].fromPort', message: 'must be at most toPort (80), got 443' },
    ]);
  });

  it.each(['10.0.0.0/33', '256.0.0.0/8', '10.0.0.0', '010.0.0.0/8', '::/0'])(
    'rejects the CIDR %s',
    (cidr) => {
      const issues = issuesOf(validatePool(rule({ port: 443, cidr }), context));

      expect(issues).toEqual([
        {
          path: 'spec.network.egress[0].cidr',
          message: `expected an IPv4 CIDR such as 10.0.0.0/16, got ${JSON.stringify(cidr)}`,
        },
      ]);
    },
  );

  it('rejects a port above 65535', () => {
    const issues = issuesOf(validatePool(rule({ port: 65536, cidr: '0.0.0.0/0' }), context));

    expect(issues).toEqual([{ path: 'spec.network.egress[0].port', message: 'must be <= 65535' }]);
  });

  it.each([
    {
      fields: { port: 53, protocol: 'udp', cidr: '10.0.0.2/32' },
      resolved: { protocol: 'udp', fromPort: 53, toPort: 53 },
    },
    {
      fields: { fromPort: 8000, toPort: 8080, cidr: '10.0.0.0/8' },
      resolved: { protocol: 'tcp', fromPort: 8000, toPort: 8080 },
    },
    {
      fields: { protocol: 'all', cidr: '10.0.0.0/8' },
      resolved: { protocol: 'all', fromPort: -1, toPort: -1 },
    },
  ])('accepts and resolves $fields', ({ fields, resolved }) => {
    const result = expectValid(validatePool(rule(fields), context));

    expect(result.pool.spec.network.egress).toEqual([{ ...resolved, cidr: fields.cidr }]);
  });

  it('keeps an explicitly empty egress list: nothing is allowed out', () => {
    const item = minimalWith(['spec', 'network', 'egress'], []);

    const result = expectValid(validatePool(item, context));

    expect(result.pool.spec.network.egress).toEqual([]);
  });
});

describe('validatePool: tags', () => {
  it.each([
    'prefect-ecs-operator:pool',
    'Prefect-ECS-Operator:anything',
    'aws:cloudformation:stack-name',
    'AWS:x',
  ])('rejects the reserved tag key %s', (key) => {
    const item = minimalWith(['spec', 'tags'], { [key]: 'x' });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: `spec.tags[${JSON.stringify(key)}]`,
        message: 'uses a reserved prefix (prefect-ecs-operator: or aws:)',
      },
    ]);
  });

  it('accepts tag keys that merely resemble the reserved prefixes', () => {
    const item = minimalWith(['spec', 'tags'], {
      'aws-team': 'x',
      'prefect-ecs-operator': 'y',
      CostCenter: '1',
    });

    expectValid(validatePool(item, context));
  });

  it('rejects a tag key with a character AWS does not allow', () => {
    const item = minimalWith(['spec', 'tags'], { 'a#b': 'x' });

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([
      {
        path: 'spec.tags["a#b"]',
        message: 'name is not allowed; expected a tag key of letters, digits, spaces and _.:/=+@-',
      },
    ]);
  });
});

describe('validatePool: items that are not manifests', () => {
  it.each([
    { item: null, got: 'null' },
    { item: 'analytics', got: 'string' },
    { item: [minimalManifest()], got: 'array' },
    { item: 42, got: 'integer' },
    { item: true, got: 'boolean' },
    { item: undefined, got: 'undefined' },
  ])('rejects a $got item with a single issue', ({ item, got }) => {
    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([{ path: '(item)', message: `expected a map of attributes, got ${got}` }]);
  });

  it.each([
    { spec: 'x', got: 'string' },
    { spec: null, got: 'null' },
    { spec: [], got: 'array' },
    { spec: 7, got: 'integer' },
  ])('rejects a $got spec with a single issue', ({ spec, got }) => {
    const item = minimalWith(['spec'], spec);

    const issues = issuesOf(validatePool(item, context));

    expect(issues).toEqual([{ path: 'spec', message: `expected object, got ${got}` }]);
  });
});

describe('validatePool: several problems', () => {
  it('reports every schema problem of a manifest in one result', () => {
    // prepare
    const item = minimalManifest('Analytics');
    deleteAt(item, ['spec', 'prefect', 'apiUrl']);
    setAt(item, ['spec', 'worker'], { cpu: 512, memory: '1024', colour: 'blue' });
    setAt(item, ['spec', 'network', 'egress'], [{ port: 443, cidr: '10.0.0.0/33' }]);

    // act
    const issues = issuesOf(validatePool(item, context));

    // assess
    expect(issues.map((issue) => issue.path).sort()).toEqual(
      [
        'metadata.name',
        'spec.network.egress[0].cidr',
        'spec.prefect.apiUrl',
        'spec.worker.colour',
        'spec.worker.memory',
      ].sort(),
    );
  });

  it('reports every rule broken by a schema-valid manifest in one result', () => {
    // prepare
    const item = minimalManifest();
    setAt(item, ['spec', 'worker'], {
      cpu: 1024,
      memory: 1024,
      env: { GITHUB_TOKEN: 'ghp_x' },
      taskRoleArn: 'arn:aws:iam::123456789012:role/admin',
    });
    setAt(item, ['spec', 'scaling'], { minWorkers: 4, maxWorkers: 2 });
    setAt(item, ['spec', 'tags'], { 'aws:owner': 'me' });
    setAt(
      item,
      ['spec', 'prefect', 'apiKeySecretArn'],
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    );

    // act
    const issues = issuesOf(validatePool(item, context));

    // assess
    expect(issues.map((issue) => issue.path)).toEqual([
      'spec.worker.memory',
      'spec.scaling.minWorkers',
      'spec.prefect.apiKeySecretArn',
      'spec.worker.env.GITHUB_TOKEN',
      'spec.worker.taskRoleArn',
      'spec.tags["aws:owner"]',
    ]);
  });
});

describe('validatePool: schema errors and the controller rules in one round', () => {
  it('reports the controller rules over sound fields beside the schema errors', () => {
    // prepare: a schema error (cpu) and two rule violations (env secret name, min > max) elsewhere
    let item = minimalWith(['spec', 'worker', 'cpu'], 'big');
    item = setAt(item, ['spec', 'worker', 'env'], { DB_PASSWORD: 'x' });
    item = setAt(item, ['spec', 'scaling'], { minWorkers: 5, maxWorkers: 2 });

    // act
    const issues = issuesOf(validatePool(item, context));

    // assess
    expect(issues.map((i) => i.path).sort()).toEqual([
      'spec.scaling.minWorkers',
      'spec.worker.cpu',
      'spec.worker.env.DB_PASSWORD',
    ]);
  });

  it('skips a rule whose field already failed the schema instead of guessing', () => {
    // prepare: memory has the wrong type, so the Fargate pair rule has nothing sound to check
    const item = minimalWith(['spec', 'worker', 'memory'], 'lots');

    // act
    const issues = issuesOf(validatePool(item, context));

    // assess
    expect(issues).toEqual([{ path: 'spec.worker.memory', message: 'expected integer, got string' }]);
  });
});

describe('validatePool: names Prefect reserves', () => {
  it('rejects a work pool name starting with "prefect", at the field that sets it', () => {
    expect(
      issuesOf(validatePool(minimalWith(['spec', 'workPool'], { name: 'Prefect-etl' }), context)),
    ).toEqual([
      expect.objectContaining({ path: 'spec.workPool.name', message: expect.stringContaining('reserves') }),
    ]);
    const defaulted = minimalManifest('prefect-etl');
    expect(issuesOf(validatePool(defaulted, context))).toEqual([
      expect.objectContaining({
        path: 'metadata.name',
        message: expect.stringContaining('set spec.workPool.name'),
      }),
    ]);
  });
});

describe('validatePool: map keys that look like object internals', () => {
  it('keeps a "__proto__" env name as data through defaults', () => {
    const item = JSON.parse(
      JSON.stringify(minimalManifest()).replace('"spec":{', '"spec":{"worker":{"env":{"__proto__":"x"}},'),
    ) as Json;

    const result = validatePool(item, context);

    expect(result.valid).toBe(true);
    if (result.valid) expect(Object.keys(result.pool.spec.worker.env)).toEqual(['__proto__']);
  });
});

describe('validatePool: without the controller configuration (poolctl)', () => {
  /** What poolctl knows when it knows nothing of the controller: the worst-case instance id length only. */
  const unknownContext = { instanceId: 'x'.repeat(20) };

  it('accepts a secret outside any particular prefix when the allowed prefix is not known', () => {
    const item = minimalWith(
      ['spec', 'prefect', 'apiKeySecretArn'],
      'arn:aws:secretsmanager:eu-west-1:999999999999:secret:elsewhere/api-key',
    );

    expectValid(validatePool(item, unknownContext));
  });

  it('still rejects a malformed secret ARN when the allowed prefix is not known', () => {
    const item = minimalWith(['spec', 'worker', 'secrets'], { DB_PASSWORD: 'prefect/db' });

    const issues = issuesOf(validatePool(item, unknownContext));

    expect(issues).toEqual([
      { path: 'spec.worker.secrets.DB_PASSWORD', message: `${secretArnExpected}, got "prefect/db"` },
    ]);
  });

  it('accepts any well-formed task role ARN when the allowed roles are not known', () => {
    const item = minimalWith(['spec', 'worker', 'taskRoleArn'], 'arn:aws:iam::123456789012:role/team/admin');

    expectValid(validatePool(item, unknownContext));
  });

  it('rejects a task role that is not an IAM role ARN when the allowed roles are not known', () => {
    const item = minimalWith(['spec', 'worker', 'taskRoleArn'], 'prefect-worker');

    const issues = issuesOf(validatePool(item, unknownContext));

    expect(issues).toEqual([
      {
        path: 'spec.worker.taskRoleArn',
        message: 'expected an IAM role ARN (arn:aws:iam::<account>:role/<name>), got "prefect-worker"',
      },
    ]);
  });

  it('accepts an ecs-type pool without a task role when the controller default is not known', () => {
    const item = minimalWith(['spec', 'workPool', 'type'], 'ecs');

    expectValid(validatePool(item, unknownContext));
  });

  it('keeps every check that does not depend on the controller configuration', () => {
    const item = minimalWith(['spec', 'worker'], { cpu: 2048, memory: 1024 });

    const issues = issuesOf(validatePool(item, unknownContext));

    expect(issues).toEqual([
      {
        path: 'spec.worker.memory',
        message: '1024 MiB is not a valid Fargate size for cpu 2048; expected 4096 to 16384 in steps of 1024',
      },
    ]);
  });

  it('checks the allow-lists as before when the controller passes them', () => {
    const item = minimalWith(['spec', 'worker', 'taskRoleArn'], 'arn:aws:iam::123456789012:role/team/admin');

    const issues = issuesOf(validatePool(item, context));

    expect(issues.map((issue) => issue.path)).toEqual(['spec.worker.taskRoleArn']);
  });
});

describe('validatePool: a broken connection does not hide other problems', () => {
  it('reports a bad apiUrl and an invalid Fargate size together', () => {
    const item = setAt(minimalWith(['spec', 'prefect', 'apiUrl'], 'not a url'), ['spec', 'worker'], {
      cpu: 512,
      memory: 512,
    });

    const paths = issuesOf(validatePool(item, context)).map((i) => i.path);

    expect(paths.sort()).toEqual(['spec.prefect.apiUrl', 'spec.worker.memory']);
  });
});

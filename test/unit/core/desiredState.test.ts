/**
 * Desired state: what the controller asks AWS for, from a resolved pool and its own configuration.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePool } from '../../../controller/api/validatePool.js';
import {
  capacityProviderStrategy,
  desiredSecurityGroup,
  desiredService,
  desiredTaskDefinition,
  desiredWorkerCount,
  normalizeEgress,
  ownershipTags,
  type TaskDefinitionContent,
} from '../../../controller/core/desiredState.js';
import type { EgressRule } from '../../../controller/core/observedState.js';
import {
  apiKeySecretArn,
  apiUrl,
  authStringSecretArn,
  controllerContext,
  customTaskRoleArn,
  dbPasswordSecretArn,
  defaultTaskRoleArn,
  poolManifest,
  resolvedPool,
  validationContext,
  type PoolOverrides,
} from './poolFixtures.js';

type Container = TaskDefinitionContent['containerDefinitions'][number];

function containerOf(overrides: PoolOverrides = {}): Container {
  const [container, ...others] = desiredTaskDefinition(resolvedPool(overrides), controllerContext).content
    .containerDefinitions;
  expect(others).toHaveLength(0);
  if (!container) throw new Error('no container definition');
  return container;
}

function envOf(container: Container): Record<string, string> {
  return Object.fromEntries(container.environment.map(({ name, value }) => [name, value]));
}

function secretsOf(container: Container): Record<string, string> {
  return Object.fromEntries(container.secrets.map(({ name, valueFrom }) => [name, valueFrom]));
}

describe('pool fixtures', () => {
  it('are manifests the controller accepts', () => {
    // prepare
    const variants: PoolOverrides[] = [
      {},
      { workPool: { type: 'ecs' } },
      { prefect: { apiKeySecretArn: undefined, authStringSecretArn } },
      { worker: { taskRoleArn: customTaskRoleArn, ephemeralStorageGiB: 50, spot: 25 } },
      { scaling: { mode: 'auto', workers: undefined, minWorkers: 1, maxWorkers: 5 } },
    ];
    // act
    const results = variants.map((overrides) => validatePool(poolManifest(overrides), validationContext));
    // assess
    expect(results.map((r) => (r.valid ? 'valid' : r.issues))).toEqual(variants.map(() => 'valid'));
  });
});

describe('desiredTaskDefinition', () => {
  describe('worker command', () => {
    it('starts a worker for the pool with its type, queues, limit and health check', () => {
      // prepare / act
      const container = containerOf({
        workPool: { name: 'Analytics pool', workQueues: ['default', 'high priority'] },
        worker: { limit: 7 },
      });
      // assess
      expect(container.command).toEqual([
        'prefect',
        'worker',
        'start',
        '--pool',
        'Analytics pool',
        '--type',
        'process',
        '--with-healthcheck',
        '--work-queue',
        'default',
        '--work-queue',
        'high priority',
        '--limit',
        '7',
      ]);
    });

    it('uses the pool name as the work pool name and passes no --limit when none is set', () => {
      // prepare / act
      const container = containerOf({ name: 'etl', workPool: { type: 'ecs' }, worker: { limit: undefined } });
      // assess
      expect(container.command).toEqual([
        'prefect',
        'worker',
        'start',
        '--pool',
        'etl',
        '--type',
        'ecs',
        '--with-healthcheck',
        '--work-queue',
        'default',
      ]);
    });
  });

  describe('environment and secrets', () => {
    it('sets the API URL and the worker webserver on port 8080 beside the user env', () => {
      // prepare / act
      const env = envOf(containerOf({ worker: { env: { LOG_LEVEL: 'DEBUG', TZ: 'UTC' } } }));
      // assess
      expect(env).toEqual({
        LOG_LEVEL: 'DEBUG',
        TZ: 'UTC',
        PREFECT_API_URL: apiUrl,
        PREFECT_WORKER_WEBSERVER_HOST: '0.0.0.0',
        PREFECT_WORKER_WEBSERVER_PORT: '8080',
      });
    });

    it('passes extra pip packages as EXTRA_PIP_PACKAGES only when set', () => {
      // prepare / act
      const withPackages = envOf(containerOf({ worker: { extraPipPackages: 'prefect-aws s3fs' } }));
      const without = envOf(containerOf());
      // assess
      expect(withPackages.EXTRA_PIP_PACKAGES).toBe('prefect-aws s3fs');
      expect(without).not.toHaveProperty('EXTRA_PIP_PACKAGES');
    });

    it('never puts the API key or the auth string into the plain environment', () => {
      // prepare / act
      const containers = [
        containerOf(),
        containerOf({ prefect: { apiKeySecretArn: undefined, authStringSecretArn } }),
      ];
      // assess
      for (const container of containers) {
        const names = container.environment.map((pair) => pair.name);
        expect(names).not.toContain('PREFECT_API_KEY');
        expect(names).not.toContain('PREFECT_API_AUTH_STRING');
        const values = container.environment.map((pair) => pair.value);
        expect(values).not.toContain(apiKeySecretArn);
        expect(values).not.toContain(authStringSecretArn);
      }
    });

    it('references the API key and user secrets from Secrets Manager', () => {
      // prepare / act
      const secrets = secretsOf(containerOf());
      // assess
      expect(secrets).toEqual({ DB_PASSWORD: dbPasswordSecretArn, PREFECT_API_KEY: apiKeySecretArn });
    });

    it('references the auth string of a self-hosted server as PREFECT_API_AUTH_STRING', () => {
      // prepare / act
      const secrets = secretsOf(
        containerOf({
          prefect: { apiKeySecretArn: undefined, authStringSecretArn },
          worker: { secrets: {} },
        }),
      );
      // assess
      expect(secrets).toEqual({ PREFECT_API_AUTH_STRING: authStringSecretArn });
    });

    it('lists environment and secrets sorted by name', () => {
      // prepare / act
      const container = containerOf({
        worker: {
          env: { ZED: '1', ALPHA: '2' },
          secrets: { Z_SECRET: dbPasswordSecretArn, A_SECRET: dbPasswordSecretArn },
        },
      });
      // assess
      const envNames = container.environment.map((pair) => pair.name);
      const secretNames = container.secrets.map((pair) => pair.name);
      expect(envNames).toEqual([...envNames].sort());
      expect(secretNames).toEqual(['A_SECRET', 'PREFECT_API_KEY', 'Z_SECRET']);
    });
  });

  it('sends logs to the controller log group with a stream prefix per pool', () => {
    // prepare / act
    const container = containerOf({ name: 'etl' });
    // assess
    expect(container.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': controllerContext.logGroupName,
        'awslogs-region': 'eu-west-1',
        'awslogs-stream-prefix': 'etl',
      },
    });
  });

  it("checks health on the worker's :8080/health endpoint", () => {
    // prepare / act
    const { healthCheck } = containerOf();
    // assess
    expect(healthCheck.command[0]).toBe('CMD-SHELL');
    expect(healthCheck.command[1]).toContain('http://localhost:8080/health');
    expect(healthCheck.retries).toBeGreaterThan(0);
    expect(healthCheck.startPeriod).toBeGreaterThanOrEqual(60);
  });

  it('renders CPU and memory as strings, the architecture, and the image', () => {
    // prepare / act
    const { content } = desiredTaskDefinition(
      resolvedPool({ worker: { cpu: 1024, memory: 4096, architecture: 'X86_64', image: 'my/worker:1.2' } }),
      controllerContext,
    );
    // assess
    expect(content.cpu).toBe('1024');
    expect(content.memory).toBe('4096');
    expect(content.runtimePlatform).toEqual({ cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' });
    expect(content.containerDefinitions[0]?.image).toBe('my/worker:1.2');
    expect(content).toMatchObject({
      family: 'dev-analytics',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      executionRoleArn: controllerContext.executionRoleArn,
    });
  });

  it('defaults to ARM64', () => {
    // prepare / act
    const { content } = desiredTaskDefinition(
      resolvedPool({ worker: { architecture: undefined } }),
      controllerContext,
    );
    // assess
    expect(content.runtimePlatform.cpuArchitecture).toBe('ARM64');
  });

  it('asks for ephemeral storage only when the spec sets it', () => {
    // prepare / act
    const withStorage = desiredTaskDefinition(
      resolvedPool({ worker: { ephemeralStorageGiB: 50 } }),
      controllerContext,
    );
    const without = desiredTaskDefinition(resolvedPool(), controllerContext);
    // assess
    expect(withStorage.content.ephemeralStorage).toEqual({ sizeInGiB: 50 });
    expect(without.content).not.toHaveProperty('ephemeralStorage');
  });

  describe('task role', () => {
    it('uses the role the spec names', () => {
      // prepare / act
      const { content } = desiredTaskDefinition(
        resolvedPool({ worker: { taskRoleArn: customTaskRoleArn } }),
        controllerContext,
      );
      // assess
      expect(content.taskRoleArn).toBe(customTaskRoleArn);
    });

    it('gives ecs-type pools the default worker task role', () => {
      // prepare / act
      const { content } = desiredTaskDefinition(
        resolvedPool({ workPool: { type: 'ecs' } }),
        controllerContext,
      );
      // assess
      expect(content.taskRoleArn).toBe(defaultTaskRoleArn);
    });

    it('gives process-type pools no task role unless the spec names one', () => {
      // prepare / act
      const { content } = desiredTaskDefinition(resolvedPool(), controllerContext);
      // assess
      expect(content).not.toHaveProperty('taskRoleArn');
    });
  });

  describe('content hash', () => {
    const envKey = fc.stringMatching(/^APP_[A-Z][A-Z0-9_]{0,8}$/);
    const tagKey = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
    const entries = (key: fc.Arbitrary<string>) =>
      fc.uniqueArray(fc.tuple(key, fc.string({ maxLength: 12 })), {
        selector: ([name]) => name,
        maxLength: 8,
      });
    /** The same entries in two insertion orders. */
    const twoOrders = (key: fc.Arbitrary<string>) =>
      entries(key).chain((list) =>
        fc
          .shuffledSubarray(list, { minLength: list.length, maxLength: list.length })
          .map((shuffled) => [Object.fromEntries(list), Object.fromEntries(shuffled)] as const),
      );

    it('does not depend on the insertion order of env, secrets or tags', () => {
      const resolved = { securityGroupId: 'sg-1', taskDefinitionArn: 'arn:td:1', desiredCount: 1 };
      fc.assert(
        fc.property(
          twoOrders(envKey),
          twoOrders(envKey),
          twoOrders(tagKey),
          ([envA, envB], [secretsA, secretsB], [tagsA, tagsB]) => {
            // prepare
            const a = resolvedPool({ worker: { env: envA, secrets: secretsA }, tags: tagsA });
            const b = resolvedPool({ worker: { env: envB, secrets: secretsB }, tags: tagsB });
            // act
            const [tdA, tdB] = [a, b].map((pool) => desiredTaskDefinition(pool, controllerContext));
            const [svcA, svcB] = [a, b].map((pool) => desiredService(pool, controllerContext, resolved));
            // assess
            expect(tdA?.contentHash).toBe(tdB?.contentHash);
            expect(tdA?.content).toEqual(tdB?.content);
            expect(svcA?.configurationHash).toBe(svcB?.configurationHash);
          },
        ),
        { numRuns: 100 },
      );
    });

    it('changes when the image, the CPU or the env changes', () => {
      // prepare
      const hashOf = (overrides: PoolOverrides) =>
        desiredTaskDefinition(resolvedPool(overrides), controllerContext).contentHash;
      const base = hashOf({});
      // act
      const changed = [
        hashOf({ worker: { image: 'prefecthq/prefect:3-python3.11' } }),
        hashOf({ worker: { cpu: 1024, memory: 2048 } }),
        hashOf({ worker: { env: { LOG_LEVEL: 'DEBUG' } } }),
        hashOf({ worker: { env: { LOG_LEVEL: 'INFO', TZ: 'UTC' } } }),
      ];
      // assess
      expect(base).toMatch(/^[0-9a-f]{16}$/);
      expect(hashOf({})).toBe(base);
      for (const hash of changed) expect(hash).not.toBe(base);
      expect(new Set(changed).size).toBe(changed.length);
    });
  });
});

describe('capacityProviderStrategy', () => {
  it.each([
    [0, [{ capacityProvider: 'FARGATE', weight: 100, base: 0 }]],
    [
      25,
      [
        { capacityProvider: 'FARGATE', weight: 75, base: 0 },
        { capacityProvider: 'FARGATE_SPOT', weight: 25, base: 0 },
      ],
    ],
    [100, [{ capacityProvider: 'FARGATE_SPOT', weight: 100, base: 0 }]],
  ])('puts %i%% of workers on FARGATE_SPOT', (spot, expected) => {
    // act / assess
    expect(capacityProviderStrategy(spot)).toEqual(expected);
  });
});

describe('desiredWorkerCount', () => {
  it('runs no workers for a paused pool, whatever the mode', () => {
    // prepare
    const fixed = resolvedPool({ workPool: { paused: true }, scaling: { mode: 'fixed', workers: 3 } });
    const auto = resolvedPool({
      workPool: { paused: true },
      scaling: { mode: 'auto', workers: undefined, minWorkers: 2, maxWorkers: 5 },
    });
    // act / assess
    expect(desiredWorkerCount(fixed, {})).toBe(0);
    expect(desiredWorkerCount(auto, { scalerDesiredWorkers: 4 })).toBe(0);
  });

  it("runs a fixed pool's worker count and ignores the scaler", () => {
    // prepare
    const pool = resolvedPool({ scaling: { mode: 'fixed', workers: 3 } });
    // act / assess
    expect(desiredWorkerCount(pool, { scalerDesiredWorkers: 9 })).toBe(3);
  });

  it.each([
    [undefined, 2],
    [0, 2],
    [3, 3],
    [50, 5],
  ])('clamps the scaler count %s of an auto pool to [2, 5], giving %i', (scaler, expected) => {
    // prepare
    const pool = resolvedPool({
      scaling: { mode: 'auto', workers: undefined, minWorkers: 2, maxWorkers: 5 },
    });
    // act
    const count = desiredWorkerCount(pool, scaler === undefined ? {} : { scalerDesiredWorkers: scaler });
    // assess
    expect(count).toBe(expected);
  });
});

describe('desiredService', () => {
  const resolved = { securityGroupId: 'sg-0aaa', taskDefinitionArn: 'arn:td:1', desiredCount: 2 };

  it('runs in the private subnets, sorted, without a public IP, behind the pool security group', () => {
    // prepare / act
    const service = desiredService(resolvedPool(), controllerContext, resolved);
    // assess
    expect(service.configuration.networkConfiguration.awsvpcConfiguration).toEqual({
      subnets: ['subnet-0aaa1111', 'subnet-0bbb2222', 'subnet-0ccc3333'],
      securityGroups: ['sg-0aaa'],
      assignPublicIp: 'DISABLED',
    });
    expect(service).toMatchObject({
      serviceName: 'dev-analytics',
      cluster: controllerContext.clusterName,
      taskDefinitionArn: 'arn:td:1',
      desiredCount: 2,
    });
  });

  it('enables the deployment circuit breaker with rollback', () => {
    // prepare / act
    const { configuration } = desiredService(resolvedPool(), controllerContext, resolved);
    // assess
    expect(configuration.deploymentConfiguration.deploymentCircuitBreaker).toEqual({
      enable: true,
      rollback: true,
    });
  });

  it('uses the spot percentage for its capacity providers', () => {
    // prepare / act
    const { configuration } = desiredService(
      resolvedPool({ worker: { spot: 25 } }),
      controllerContext,
      resolved,
    );
    // assess
    expect(configuration.capacityProviderStrategy).toEqual(capacityProviderStrategy(25));
  });

  describe('configuration hash', () => {
    const hashOf = (
      overrides: PoolOverrides,
      changes: Partial<typeof resolved> = {},
      context = controllerContext,
    ) => desiredService(resolvedPool(overrides), context, { ...resolved, ...changes }).configurationHash;

    it('changes with the tags and the security group', () => {
      // prepare
      const base = hashOf({});
      // act / assess
      expect(hashOf({ tags: { CostCenter: '5678' } })).not.toBe(base);
      expect(hashOf({}, { securityGroupId: 'sg-0bbb' })).not.toBe(base);
      expect(hashOf({ worker: { spot: 50 } })).not.toBe(base);
    });

    it('does not change with the desired count, the task definition or the subnet order', () => {
      // prepare
      const base = hashOf({});
      const reversedSubnets = { ...controllerContext, subnetIds: [...controllerContext.subnetIds].reverse() };
      // act / assess
      expect(hashOf({}, { desiredCount: 7 })).toBe(base);
      expect(hashOf({}, { taskDefinitionArn: 'arn:td:2' })).toBe(base);
      expect(hashOf({}, {}, reversedSubnets)).toBe(base);
    });
  });
});

describe('desiredSecurityGroup', () => {
  it('normalizes the egress rules: defaults filled in, sorted and de-duplicated', () => {
    // prepare
    const pool = resolvedPool({
      network: {
        egress: [
          { port: 5432, cidr: '10.0.0.0/16' },
          { port: 443, cidr: '0.0.0.0/0' },
          { protocol: 'udp', fromPort: 53, toPort: 53, cidr: '10.0.0.2/32' },
          { port: 443, cidr: '0.0.0.0/0' },
          { protocol: 'all', cidr: '10.1.0.0/16' },
        ],
      },
    });
    // act
    const group = desiredSecurityGroup(pool, controllerContext);
    // assess
    expect(group.egress).toEqual([
      { protocol: 'all', fromPort: -1, toPort: -1, cidr: '10.1.0.0/16' },
      { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '10.0.0.0/16' },
      { protocol: 'udp', fromPort: 53, toPort: 53, cidr: '10.0.0.2/32' },
    ]);
    expect(group).toMatchObject({ groupName: 'dev-analytics-workers', vpcId: controllerContext.vpcId });
  });

  it('gives the same rules whatever their order in the spec', () => {
    // prepare
    const rules: EgressRule[] = [
      { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', fromPort: 80, toPort: 80, cidr: '0.0.0.0/0', description: 'http' },
      { protocol: 'udp', fromPort: 53, toPort: 53, cidr: '10.0.0.2/32' },
    ];
    // act / assess
    expect(normalizeEgress([...rules].reverse())).toEqual(normalizeEgress(rules));
  });

  it('defaults to HTTPS egress anywhere', () => {
    // prepare
    const pool = resolvedPool({ network: { egress: undefined } });
    // act
    const group = desiredSecurityGroup(pool, controllerContext);
    // assess
    expect(group.egress).toEqual([{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }]);
  });
});

describe('ownership tags', () => {
  it('name the tool, the controller instance and the pool', () => {
    // act / assess
    expect(ownershipTags('dev', 'analytics')).toEqual([
      { key: 'prefect-ecs-operator:managed-by', value: 'prefect-ecs-operator' },
      { key: 'prefect-ecs-operator:instance', value: 'dev' },
      { key: 'prefect-ecs-operator:pool', value: 'analytics' },
    ]);
  });

  it('go on every resource, followed by the user tags sorted by key', () => {
    // prepare
    const pool = resolvedPool({ tags: { Team: 'data', CostCenter: '1234' } });
    const resolved = { securityGroupId: 'sg-1', taskDefinitionArn: 'arn:td:1', desiredCount: 1 };
    // act
    const tagSets = [
      desiredSecurityGroup(pool, controllerContext).tags,
      desiredTaskDefinition(pool, controllerContext).tags,
      desiredService(pool, controllerContext, resolved).tags,
    ];
    // assess
    for (const tags of tagSets) {
      expect(tags).toEqual([
        ...ownershipTags('dev', 'analytics'),
        { key: 'CostCenter', value: '1234' },
        { key: 'Team', value: 'data' },
      ]);
    }
  });
});

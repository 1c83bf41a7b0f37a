/**
 * Shared fixtures for the API tests: a minimal manifest, a controller context matching the examples, and
 * the Fargate table transcribed from DESIGN §6.1 (independently of controller/api/fargateSizes.ts, so the
 * tests compare the code against the design rather than against itself).
 */
import { expect } from 'vitest';
import type {
  ValidationContext,
  ValidationIssue,
  ValidationResult,
} from '../../../controller/api/validatePool.js';

export const secretPrefix = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect/';
export const workerRoleArn = 'arn:aws:iam::123456789012:role/prefect-worker';
export const ecsWorkerRoleArn = 'arn:aws:iam::123456789012:role/prefect-ecs-worker';

/** A controller configured like the one the examples are written for. */
export const context: ValidationContext = {
  instanceId: 'dev',
  allowedSecretArnPrefix: secretPrefix,
  allowedTaskRoleArns: [workerRoleArn, ecsWorkerRoleArn],
  defaultWorkerTaskRoleArn: ecsWorkerRoleArn,
};

/** A deep, JSON-like value that tests may poke into freely. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The smallest manifest the controller accepts. A fresh copy each call. */
export function minimalManifest(name = 'analytics'): JsonObject {
  return {
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name },
    spec: { prefect: { apiUrl: 'https://api.prefect.cloud/api/accounts/acc/workspaces/ws' } },
  };
}

/** A manifest that sets every field of the schema to a valid value. */
export function completeManifest(): JsonObject {
  return {
    $schema: '../schemas/prefect-worker-pool.v1.json',
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name: 'analytics', labels: { team: 'data', 'example.com/tier': 'gold' }, generation: 3 },
    spec: {
      prefect: {
        apiUrl: 'https://api.prefect.cloud/api/accounts/acc/workspaces/ws',
        apiKeySecretArn: `${secretPrefix}api-key-AbCdEf`,
      },
      workPool: {
        name: 'Analytics pool',
        type: 'process',
        description: 'Nightly analytics',
        workQueues: ['default', 'high priority'],
        concurrencyLimit: 10,
        paused: false,
        manage: true,
        deleteOnPoolDeletion: true,
      },
      worker: {
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/prefect@sha256:abc123',
        cpu: 1024,
        memory: 4096,
        architecture: 'X86_64',
        ephemeralStorageGiB: 50,
        limit: 4,
        env: { LOG_LEVEL: 'INFO' },
        secrets: { DB_PASSWORD: `${secretPrefix}db-AbCdEf:password::` },
        extraPipPackages: 'prefect-aws s3fs>=2024.1 pandas[performance]',
        taskRoleArn: workerRoleArn,
        spot: 50,
      },
      scaling: {
        mode: 'auto',
        minWorkers: 1,
        maxWorkers: 20,
        backlogPerWorker: 3,
        cpuTargetPercent: 60,
        scaleOutCooldownSeconds: 30,
        scaleInCooldownSeconds: 600,
      },
      network: {
        egress: [
          { port: 443, protocol: 'tcp', cidr: '0.0.0.0/0', description: 'HTTPS' },
          { fromPort: 5432, toPort: 5433, cidr: '10.0.0.0/16' },
          { protocol: 'all', cidr: '10.1.0.0/16' },
        ],
      },
      alarms: { notifyTopicArn: 'arn:aws:sns:us-east-1:123456789012:prefect-alarms' },
      tags: { CostCenter: '1234', 'team name': 'data platform' },
    },
  };
}

/** Sets `value` at `path` (creating missing maps on the way) in place and returns the object. */
export function setAt<T extends JsonObject>(target: T, path: readonly (string | number)[], value: Json): T {
  let node: Json = target;
  path.forEach((segment, index) => {
    const container = node as Record<string | number, Json>;
    if (index === path.length - 1) {
      container[segment] = value;
      return;
    }
    if (container[segment] === undefined) container[segment] = {};
    node = container[segment] as Json;
  });
  return target;
}

/** Deletes the value at `path` in place and returns the object. */
export function deleteAt<T extends JsonObject>(target: T, path: readonly (string | number)[]): T {
  const parent = path
    .slice(0, -1)
    .reduce<Json>((node, segment) => (node as Record<string, Json>)[segment] as Json, target);
  delete (parent as Record<string | number, Json>)[path[path.length - 1] as string | number];
  return target;
}

/** The issues of a result that must be invalid (fails the test with the pool when it is valid). */
export function issuesOf(result: ValidationResult): readonly ValidationIssue[] {
  if (result.valid)
    expect.fail(`expected the manifest to be rejected, but it resolved to ${JSON.stringify(result.pool)}`);
  return result.issues;
}

/** Asserts a result is valid (failing with every issue otherwise) and returns it. */
export function expectValid(result: ValidationResult): Extract<ValidationResult, { valid: true }> {
  if (!result.valid)
    expect.fail(`expected the manifest to be accepted, got ${JSON.stringify(result.issues, null, 2)}`);
  return result;
}

function steps(min: number, max: number, step: number): number[] {
  const values: number[] = [];
  for (let value = min; value <= max; value += step) values.push(value);
  return values;
}

/** DESIGN §6.1, verbatim: CPU units → the memory sizes (MiB) Fargate accepts with it. */
export const designFargateMemory: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

export const designFargatePairs: readonly (readonly [number, number])[] = Object.entries(
  designFargateMemory,
).flatMap(([cpu, memories]) => memories.map((memory) => [Number(cpu), memory] as const));

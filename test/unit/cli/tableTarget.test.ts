import { describe, expect, it } from 'vitest';
import { NoTableError } from '../../../controller/cli/poolctlErrors.js';
import {
  findLocalRuntime,
  resolveTableTarget,
  resolveValidationContext,
  worstCaseInstanceId,
} from '../../../controller/cli/tableTarget.js';
import type { LocalRuntimeInfo } from '../../../controller/local/localRuntimeFile.js';

const local: LocalRuntimeInfo = {
  endpoint: 'http://127.0.0.1:43817',
  table: 'prefect-ecs-operator-local-pools',
  cluster: 'prefect-ecs-operator-local',
  region: 'us-east-1',
  instanceId: 'local',
  pid: 4242,
  validation: {
    instanceId: 'local',
    allowedSecretArnPrefix: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect/',
    allowedTaskRoleArns: ['arn:aws:iam::123456789012:role/worker'],
    defaultWorkerTaskRoleArn: 'arn:aws:iam::123456789012:role/worker',
  },
};
const noLocal = () => undefined;

describe('resolveTableTarget', () => {
  it('takes the flags first', () => {
    const target = resolveTableTarget(
      { table: 'flagged', endpointUrl: 'http://localhost:4566', region: 'eu-west-1' },
      { POOL_TABLE_NAME: 'from-env', AWS_ENDPOINT_URL: 'http://env:1', AWS_REGION: 'us-west-2' },
      () => local,
    );

    expect(target).toEqual({
      tableName: 'flagged',
      endpoint: 'http://localhost:4566',
      region: 'eu-west-1',
      source: 'flags',
      where: 'http://localhost:4566',
    });
  });

  it('takes the environment next, leaving credentials to the SDK', () => {
    const target = resolveTableTarget(
      {},
      { POOL_TABLE_NAME: 'from-env', AWS_REGION: 'us-west-2' },
      () => local,
    );

    expect(target).toEqual({
      tableName: 'from-env',
      region: 'us-west-2',
      source: 'environment',
      where: 'AWS us-west-2',
    });
  });

  it('falls back to the running local mode, with its endpoint and Region and dummy credentials', () => {
    const target = resolveTableTarget(
      {},
      { AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL: 'http://elsewhere:1' },
      () => local,
    );

    expect(target).toEqual({
      tableName: 'prefect-ecs-operator-local-pools',
      endpoint: 'http://127.0.0.1:43817',
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      source: 'local',
      local,
      where: 'http://127.0.0.1:43817 (local mode, pid 4242)',
    });
  });

  it('keeps credentials of the environment for local mode when both keys are set', () => {
    const target = resolveTableTarget(
      {},
      { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' },
      () => local,
    );

    expect(target.credentials).toEqual({ accessKeyId: 'k', secretAccessKey: 's' });
  });

  it('fails with what to do when nothing names a table', () => {
    expect(() => resolveTableTarget({}, {}, noLocal)).toThrow(NoTableError);
    expect(() => resolveTableTarget({}, {}, noLocal)).toThrow(
      'no pool table found: pass --table (and --endpoint-url for local AWS), set POOL_TABLE_NAME, or start local mode with npm start',
    );
  });
});

describe('findLocalRuntime', () => {
  const text = JSON.stringify(local);

  it('trusts the file while its process is alive', () => {
    expect(findLocalRuntime({ path: 'runtime.json', readText: () => text, isAlive: () => true })).toEqual(
      local,
    );
  });

  it('ignores the file of a local mode that is gone', () => {
    expect(
      findLocalRuntime({ path: 'runtime.json', readText: () => text, isAlive: () => false }),
    ).toBeUndefined();
  });

  it('ignores a missing or malformed file', () => {
    const missing = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };

    expect(findLocalRuntime({ path: 'runtime.json', readText: missing })).toBeUndefined();
    expect(
      findLocalRuntime({ path: 'runtime.json', readText: () => '{"table": 1}', isAlive: () => true }),
    ).toBeUndefined();
    expect(
      findLocalRuntime({ path: 'runtime.json', readText: () => 'not json', isAlive: () => true }),
    ).toBeUndefined();
  });

  it('checks a real pid: its own process is alive', () => {
    const mine = JSON.stringify({ ...local, pid: process.pid });

    expect(findLocalRuntime({ path: 'runtime.json', readText: () => mine })?.pid).toBe(process.pid);
  });
});

describe('resolveValidationContext', () => {
  const localTarget = resolveTableTarget({}, {}, () => local);
  const flagTarget = resolveTableTarget({ table: 't' }, {}, () => local);

  it("uses the local mode's configuration when it is the target", () => {
    const known = resolveValidationContext({ ALLOWED_SECRET_ARN_PREFIX: 'arn:other' }, local, localTarget);

    expect(known).toEqual({ context: { ...local.validation }, source: 'local mode', skipped: [] });
  });

  it('uses the environment for another target, treating unset role variables as none when a configuration is there', () => {
    const known = resolveValidationContext(
      {
        CONTROLLER_INSTANCE_ID: 'prod',
        ALLOWED_SECRET_ARN_PREFIX: 'arn:aws:secretsmanager:eu-west-1:1:secret:p/',
      },
      local,
      flagTarget,
    );

    expect(known).toEqual({
      context: {
        instanceId: 'prod',
        allowedSecretArnPrefix: 'arn:aws:secretsmanager:eu-west-1:1:secret:p/',
        allowedTaskRoleArns: [],
        defaultWorkerTaskRoleArn: undefined,
      },
      source: 'environment',
      skipped: [],
    });
  });

  it('leaves unknown settings unchecked and uses the longest instance id when nothing is known', () => {
    const known = resolveValidationContext({}, undefined, flagTarget);

    expect(known.context).toEqual({
      instanceId: worstCaseInstanceId,
      allowedSecretArnPrefix: undefined,
      allowedTaskRoleArns: undefined,
      defaultWorkerTaskRoleArn: undefined,
    });
    expect(worstCaseInstanceId).toHaveLength(20);
    expect(known.source).toBe('unknown');
    expect(known.skipped).toHaveLength(2);
  });

  it('without a target, prefers the environment and else a running local mode', () => {
    expect(resolveValidationContext({}, local, undefined).source).toBe('local mode');
    expect(
      resolveValidationContext({ ALLOWED_TASK_ROLE_ARNS: 'a, b' }, local, undefined).context
        .allowedTaskRoleArns,
    ).toEqual(['a', 'b']);
  });
});

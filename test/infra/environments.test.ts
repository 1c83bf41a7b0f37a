import { describe, expect, it } from 'vitest';
import {
  environmentDefaults,
  EnvironmentSettingsError,
  resolveOperatorSettings,
} from '../../infra/config/environments.js';

function resolve(context: Record<string, unknown>) {
  return resolveOperatorSettings((key) => context[key]);
}

describe('deployment settings from context', () => {
  it('defaults to dev when no env is given', () => {
    // prepare / act
    const settings = resolve({});

    // assess
    expect(settings.environment).toBe('dev');
    expect(settings.instanceId).toBe('dev');
  });

  it('gives each environment its own sizes and settings', () => {
    const dev = resolve({ env: 'dev' });
    const prod = resolve({ env: 'prod' });

    expect(dev.network).toMatchObject({ kind: 'new', natGateways: 'single', vpcEndpoints: false });
    expect(prod.network).toMatchObject({ kind: 'new', natGateways: 'perZone', vpcEndpoints: true });
    expect(dev.protectData).toBe(false);
    expect(prod.protectData).toBe(true);
    expect(prod.workerLogRetention).toBeGreaterThan(dev.workerLogRetention);
    expect(prod.driftPassMinutes).toBeLessThan(dev.driftPassMinutes);
    expect(new Set(Object.values(environmentDefaults).map((s) => s.instanceId)).size).toBe(3);
  });

  it('lets two deployments share an account through the instance id', () => {
    const settings = resolve({ env: 'dev', instanceId: 'devalice' });

    expect(settings.instanceId).toBe('devalice');
  });

  it('takes an existing VPC by id with its worker subnets and their zones', () => {
    const settings = resolve({
      vpcId: 'vpc-0123456789abcdef0',
      workerSubnetIds: 'subnet-0123456789abcdef0, subnet-0123456789abcdef1',
      availabilityZones: 'eu-west-1a,eu-west-1b',
      clusterName: 'shared',
    });

    expect(settings.network).toEqual({
      kind: 'existing',
      vpcId: 'vpc-0123456789abcdef0',
      workerSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    });
    expect(settings.existingClusterName).toBe('shared');
  });

  it('runs without NAT only with the VPC endpoints', () => {
    expect(resolve({ natGateways: 'none', vpcEndpoints: 'true' }).network).toMatchObject({
      natGateways: 'none',
      vpcEndpoints: true,
    });
    expect(() => resolve({ natGateways: 'none', vpcEndpoints: 'false' })).toThrow(/needs vpcEndpoints=true/);
  });

  it('names three zones only with a concrete Region', () => {
    expect(
      resolve({ env: 'prod', region: 'eu-west-1', availabilityZones: 'eu-west-1a,eu-west-1b,eu-west-1c' })
        .network,
    ).toMatchObject({ maxAzs: 3, availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] });
    expect(() => resolve({ availabilityZones: 'eu-west-1a,eu-west-1b,eu-west-1c' })).toThrow(
      /concrete Region/,
    );
  });

  it('rejects an unknown environment with the valid names', () => {
    expect(() => resolve({ env: 'production' })).toThrow(/expected one of dev, staging, prod/);
  });

  it('reports every malformed setting at once', () => {
    let error: unknown;
    try {
      resolve({ instanceId: 'Dev', account: '12', extraTaskRoleArns: 'not-an-arn', alarmEmail: 'nobody' });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(EnvironmentSettingsError);
    const message = (error as Error).message;
    for (const key of ['instanceId', 'account', 'extraTaskRoleArns', 'alarmEmail'])
      expect(message).toContain(`${key}:`);
  });
});

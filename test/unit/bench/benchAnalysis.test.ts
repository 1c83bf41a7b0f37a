/**
 * The benchmark's pure helpers: AWS's pages for what moto answers at once, the pacer scaled with the
 * played quotas, the lower bound bucket by bucket, the per-resource refresh count, and its options.
 */
import { describe, expect, it } from 'vitest';
import { awsPacedCategories } from '../../../controller/aws/apiPacer.js';
import { awsQuotaBuckets, quotaLowerBoundSeconds } from '../../../test/support/awsQuotas.js';
import { awsCallsFor } from '../../../bench/analysis/awsPaging.js';
import { boundsByBucket, scaledPacedCategories } from '../../../bench/analysis/quotaScaling.js';
import { countByKind, managedResources } from '../../../bench/analysis/refreshBaseline.js';
import { parseBenchOptions, BenchOptionsError } from '../../../bench/benchOptions.js';

const alarms = (count: number, state = 'OK') =>
  Array.from({ length: count }, (_, i) => ({ AlarmName: `a${i}`, StateValue: state }));

describe('awsCallsFor', () => {
  it('splits a prefix listing of alarms into pages of the size asked for', () => {
    expect(
      awsCallsFor(
        'CloudWatch',
        'DescribeAlarms',
        { AlarmNamePrefix: 'x-', MaxRecords: 100 },
        { MetricAlarms: alarms(1400) },
      ),
    ).toBe(14);
    expect(
      awsCallsFor('CloudWatch', 'DescribeAlarms', { AlarmNamePrefix: 'x-' }, { MetricAlarms: alarms(120) }),
    ).toBe(3);
  });

  it('counts only the alarms in the state asked for, as AWS would return them', () => {
    const output = { MetricAlarms: [...alarms(250, 'OK'), ...alarms(30, 'ALARM')] };

    expect(
      awsCallsFor(
        'CloudWatch',
        'DescribeAlarms',
        { AlarmNamePrefix: 'x-', MaxRecords: 100, StateValue: 'ALARM' },
        output,
      ),
    ).toBe(1);
  });

  it('counts a lookup by names as one call', () => {
    expect(
      awsCallsFor('CloudWatch', 'DescribeAlarms', { AlarmNames: ['a', 'b'] }, { MetricAlarms: alarms(2) }),
    ).toBe(1);
  });

  it('pages service and task definition listings by 100 at most', () => {
    const arns = Array.from({ length: 1000 }, (_, i) => `arn:${i}`);

    expect(awsCallsFor('ECS', 'ListServices', { maxResults: 100 }, { serviceArns: arns })).toBe(10);
    expect(awsCallsFor('ECS', 'ListServices', {}, { serviceArns: arns })).toBe(100);
    expect(
      awsCallsFor('ECS', 'ListTaskDefinitionFamilies', { maxResults: 100 }, { families: arns.slice(0, 101) }),
    ).toBe(2);
  });

  it('pages security groups only when MaxResults is given', () => {
    const groups = Array.from({ length: 1001 }, () => ({}));

    expect(
      awsCallsFor('EC2', 'DescribeSecurityGroups', { MaxResults: 1000 }, { SecurityGroups: groups }),
    ).toBe(2);
    expect(awsCallsFor('EC2', 'DescribeSecurityGroups', {}, { SecurityGroups: groups })).toBe(1);
  });

  it('trusts moto when it paged by itself, and counts other operations once', () => {
    expect(
      awsCallsFor(
        'ECS',
        'ListServices',
        { maxResults: 10 },
        { serviceArns: Array(50).fill('a'), nextToken: 't' },
      ),
    ).toBe(1);
    expect(awsCallsFor('DynamoDB', 'Scan', {}, { Items: Array(5000).fill({}) })).toBe(1);
    expect(awsCallsFor('ECS', 'DescribeServices', undefined, undefined)).toBe(1);
  });
});

describe('scaledPacedCategories', () => {
  it('refills every category speed times faster and keeps the bursts', () => {
    const scaled = scaledPacedCategories(awsPacedCategories, 5);

    expect(scaled.map((c) => c.rate)).toEqual(awsPacedCategories.map((c) => c.rate * 5));
    expect(scaled.map((c) => c.burst)).toEqual(awsPacedCategories.map((c) => c.burst));
  });

  it('refuses a speed that is not positive', () => {
    expect(() => scaledPacedCategories(awsPacedCategories, 0)).toThrow(RangeError);
  });
});

describe('boundsByBucket', () => {
  it('names the binding bucket first, and agrees with the overall lower bound', () => {
    const counts = {
      'ECS.RegisterTaskDefinition': 1000,
      'CloudWatch.PutMetricAlarm': 1400,
      'ECS.CreateService': 1000,
    };

    const bounds = boundsByBucket(counts, awsQuotaBuckets, 5);

    expect(bounds[0]).toEqual({
      bucket: 'ecs-task-definition-modify',
      calls: 1000,
      seconds: (1000 - 20) / 5,
    });
    expect(bounds[0]?.seconds).toBe(quotaLowerBoundSeconds(counts, awsQuotaBuckets, 5));
    expect(bounds.map((b) => b.bucket)).toContain('cloudwatch-PutMetricAlarm');
  });
});

describe('managedResources', () => {
  it('lists the status item and each resource the status names', () => {
    const resources = managedResources('p1', {
      resources: {
        securityGroupId: 'sg-1',
        taskDefinitionArn: 'arn:td:1',
        serviceName: 'bench-p1',
        alarmNames: ['a1', 'a2'],
      },
    });

    expect(countByKind(resources)).toEqual({
      'status item': 1,
      'security group': 1,
      'task definition': 1,
      service: 1,
      alarm: 2,
    });
  });

  it('lists only the status item of a pool that owns nothing yet', () => {
    expect(managedResources('p1', undefined)).toEqual([{ kind: 'status item', id: 'p1' }]);
  });
});

describe('parseBenchOptions', () => {
  it('runs every scenario at full size by default', () => {
    const options = parseBenchOptions([]);

    expect([...options.scenarios]).toEqual(['bundles', 'drift', 'create', 'alarm', 'quota']);
    expect(options.driftSizes).toEqual([10, 100, 1000]);
    expect(options.quotaPools).toBe(1000);
    expect(options.quick).toBe(false);
  });

  it('makes everything small with --quick', () => {
    const options = parseBenchOptions(['--quick']);

    expect(options.driftSizes.at(-1)).toBeLessThanOrEqual(50);
    expect(options.quotaPools).toBeLessThanOrEqual(50);
    expect(options.loadSamples).toBe(1);
  });

  it('takes scenarios comma-separated or repeated, and flags over the environment', () => {
    const options = parseBenchOptions(['--scenario', 'drift,alarm', '--scenario=bundles', '--speed', '8'], {
      BENCH_SPEED: '3',
    });

    expect([...options.scenarios].sort()).toEqual(['alarm', 'bundles', 'drift']);
    expect(options.speed).toBe(8);
    expect(parseBenchOptions([], { BENCH_SPEED: '3' }).speed).toBe(3);
  });

  it('rejects unknown scenarios, options and values', () => {
    expect(() => parseBenchOptions(['--scenario', 'nope'])).toThrow(BenchOptionsError);
    expect(() => parseBenchOptions(['--fast'])).toThrow(BenchOptionsError);
    expect(() => parseBenchOptions(['--pools', '-3'])).toThrow(BenchOptionsError);
    expect(() => parseBenchOptions(['--sizes', '10,x'])).toThrow(BenchOptionsError);
  });
});

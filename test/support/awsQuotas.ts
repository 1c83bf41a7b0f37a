/**
 * AWS's API rate quotas for the operations the controller calls (DESIGN §6.1, §6.2), as data: the fault
 * proxy plays them (`proxy.playQuotas(awsQuotaBuckets, { speed })`) and the benchmark compares its time
 * to converge with `quotaLowerBoundSeconds`, the least time any client could take under them.
 *
 * Every quota is a token bucket per account and Region: it holds up to `burst` tokens, each call takes
 * one, and it refills at `ratePerSecond`; a call that finds it empty is throttled and takes nothing.
 * Operations not listed here (DynamoDB on demand, DescribeClusters, DescribeTaskDefinition, Secrets
 * Manager...) are not throttled: at the controller's volumes no quota binds them.
 */

/** One token bucket, or (scope `per-operation`) one bucket of this size for each listed operation. */
export interface QuotaBucket {
  /** Names the bucket in the proxy's log (`ProxiedCall.quota`), e.g. `ecs-service-modify`. */
  readonly name: string;
  /** The SDK's service id, as the proxy logs it: `ECS`, `EC2`, `CloudWatch`. */
  readonly service: string;
  readonly operations: readonly string[];
  /**
   * `shared`: the operations draw from one bucket (ECS's categories). `per-operation`: each operation
   * has a bucket of its own with these numbers (EC2's categories, where "each API is evaluated
   * individually"; CloudWatch's per-API quotas).
   */
  readonly scope: 'shared' | 'per-operation';
  /** Bucket capacity: calls that may go at once after a quiet spell. */
  readonly burst: number;
  /** Refill rate: the sustained calls per second. */
  readonly ratePerSecond: number;
  /** Where the numbers come from. */
  readonly source: string;
}

const ecsSource =
  'DESIGN §6.1; https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html';
const cloudWatchSource =
  'DESIGN §6.2; https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html' +
  ' (a rate in transactions per second; no burst is published, so burst = one second of rate)';
const ec2Source =
  'https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, "Request token bucket sizes and refill rates"';

export const awsQuotaBuckets: readonly QuotaBucket[] = [
  {
    name: 'ecs-service-read',
    service: 'ECS',
    operations: ['DescribeServices', 'ListServices'],
    scope: 'shared',
    burst: 100,
    ratePerSecond: 20,
    source: ecsSource,
  },
  {
    name: 'ecs-service-modify',
    service: 'ECS',
    operations: ['CreateService', 'UpdateService', 'DeleteService'],
    scope: 'shared',
    burst: 50,
    ratePerSecond: 5,
    source: ecsSource,
  },
  {
    name: 'ecs-task-definition-modify',
    service: 'ECS',
    operations: ['RegisterTaskDefinition', 'DeregisterTaskDefinition'],
    scope: 'shared',
    burst: 20,
    ratePerSecond: 1,
    source: ecsSource,
  },
  {
    name: 'ecs-tag-modify',
    service: 'ECS',
    operations: ['TagResource', 'UntagResource'],
    scope: 'shared',
    burst: 20,
    ratePerSecond: 10,
    source: ecsSource,
  },
  ...(
    [
      ['PutMetricAlarm', 3],
      ['DeleteAlarms', 3],
      ['DescribeAlarms', 9],
      ['PutMetricData', 500],
    ] as const
  ).map(([operation, rate]): QuotaBucket => ({
    name: `cloudwatch-${operation}`,
    service: 'CloudWatch',
    operations: [operation],
    scope: 'per-operation',
    burst: rate,
    ratePerSecond: rate,
    source: cloudWatchSource,
  })),
  {
    // Filtered or paginated, as the EC2 adapter always asks; an unfiltered, unpaginated
    // DescribeSecurityGroups would draw from a smaller bucket (50, 10/s).
    name: 'ec2-non-mutating',
    service: 'EC2',
    operations: ['DescribeSecurityGroups', 'DescribeVpcs', 'DescribeSubnets'],
    scope: 'per-operation',
    burst: 100,
    ratePerSecond: 20,
    source: ec2Source,
  },
  {
    // The security group *egress* calls are plain mutating actions; only the ingress ones are
    // "resource-intensive" (with the same numbers, 50 and 5/s, in a bucket of their own).
    name: 'ec2-mutating',
    service: 'EC2',
    operations: [
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupEgress',
      'DeleteSecurityGroup',
    ],
    scope: 'per-operation',
    burst: 50,
    ratePerSecond: 5,
    source: ec2Source,
  },
  {
    // Listed among EC2's "uncategorized actions", with buckets larger than the mutating category's.
    name: 'ec2-tags',
    service: 'EC2',
    operations: ['CreateTags', 'DeleteTags'],
    scope: 'per-operation',
    burst: 100,
    ratePerSecond: 10,
    source: ec2Source,
  },
];

/**
 * The least time, in seconds, that `callCounts` can take under `buckets` played at `speed`, starting
 * with full buckets: for each bucket, (calls − burst) / (rate × speed), at least 0; the largest wins,
 * since the buckets refill in parallel. Keys are operation names (`RegisterTaskDefinition`), counted in
 * every bucket of any service that lists the operation, or `Service.Operation` (`ECS.TagResource`) to
 * name one service's.
 */
export function quotaLowerBoundSeconds(
  callCounts: Readonly<Record<string, number>>,
  buckets: readonly QuotaBucket[] = awsQuotaBuckets,
  speed = 1,
): number {
  if (!(speed > 0)) throw new RangeError(`speed must be positive, got ${speed}`);
  const countOf = (service: string, operation: string): number =>
    (callCounts[operation] ?? 0) + (callCounts[`${service}.${operation}`] ?? 0);
  let seconds = 0;
  for (const bucket of buckets) {
    const perBucket =
      bucket.scope === 'shared'
        ? [bucket.operations.reduce((sum, operation) => sum + countOf(bucket.service, operation), 0)]
        : bucket.operations.map((operation) => countOf(bucket.service, operation));
    for (const calls of perBucket) {
      seconds = Math.max(seconds, (calls - bucket.burst) / (bucket.ratePerSecond * speed));
    }
  }
  return seconds;
}

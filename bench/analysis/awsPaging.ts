/**
 * moto answers some paged operations in one page whatever the page size asked for (DESIGN §7: MaxRecords
 * and maxResults are ignored). AWS would not: this counts the calls AWS would need for what moto returned
 * in one answer, so the benchmark's call counts hold for AWS, not only for moto. DynamoDB's Scan is not
 * listed: moto applies its 1 MB page limit itself.
 */

interface PagedOperation {
  /** The items of one answer. */
  readonly items: (input: Record<string, unknown>, output: Record<string, unknown>) => number;
  /** The most items AWS returns a page, given what the call asked for. */
  readonly pageSize: (input: Record<string, unknown>) => number;
  /** The name of the answer's continuation token: when moto sent one, it paged by itself. */
  readonly nextToken: string;
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

function asked(value: unknown, fallback: number, max: number): number {
  return typeof value === 'number' && value > 0 ? Math.min(value, max) : fallback;
}

const pagedOperations: Readonly<Record<string, PagedOperation>> = {
  // Up to 100 alarms a page (MaxRecords, default 50). By names, up to 100 names a call: one page.
  'CloudWatch.DescribeAlarms': {
    items: (input, output) => {
      if (Array.isArray(input.AlarmNames)) return 0;
      const state = input.StateValue;
      // moto ignores StateValue beside a prefix; AWS would return only the alarms in that state.
      const alarms = (Array.isArray(output.MetricAlarms) ? output.MetricAlarms : []) as {
        StateValue?: string;
      }[];
      const matching = typeof state === 'string' ? alarms.filter((a) => a.StateValue === state) : alarms;
      return matching.length + lengthOf(output.CompositeAlarms);
    },
    pageSize: (input) => asked(input.MaxRecords, 50, 100),
    nextToken: 'NextToken',
  },
  // Up to 100 service ARNs a page (maxResults, default 10).
  'ECS.ListServices': {
    items: (_input, output) => lengthOf(output.serviceArns),
    pageSize: (input) => asked(input.maxResults, 10, 100),
    nextToken: 'nextToken',
  },
  'ECS.ListTaskDefinitionFamilies': {
    items: (_input, output) => lengthOf(output.families),
    pageSize: (input) => asked(input.maxResults, 100, 100),
    nextToken: 'nextToken',
  },
  'ECS.ListTaskDefinitions': {
    items: (_input, output) => lengthOf(output.taskDefinitionArns),
    pageSize: (input) => asked(input.maxResults, 100, 100),
    nextToken: 'nextToken',
  },
  // Paginated only when MaxResults is given (5 to 1,000); without it, one answer holds every group.
  'EC2.DescribeSecurityGroups': {
    items: (input, output) => (input.MaxResults === undefined ? 0 : lengthOf(output.SecurityGroups)),
    pageSize: (input) => asked(input.MaxResults, 1000, 1000),
    nextToken: 'NextToken',
  },
};

/** The calls AWS would need for one call moto answered (1 unless moto returned several pages' worth at once). */
export function awsCallsFor(service: string, operation: string, input: unknown, output: unknown): number {
  const paged = pagedOperations[`${service}.${operation}`];
  if (!paged || !isRecord(input) || !isRecord(output)) return 1;
  if (typeof output[paged.nextToken] === 'string' && output[paged.nextToken] !== '') return 1;
  return Math.max(1, Math.ceil(paged.items(input, output) / paged.pageSize(input)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

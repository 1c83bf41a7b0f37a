/**
 * The state of the world a controller instance owns, read straight from moto (not through the
 * controller's adapters) and normalized so that two runs in different moto states compare equal when
 * they converged to the same thing: pool names, security group ids, ARNs and revision numbers become
 * placeholders, task definition revisions are named by what they contain (`desired` when they carry the
 * content hash the pool's current spec renders to), and timestamps are left out.
 *
 * A snapshot keeps duplicates visible instead of collapsing them (two groups for one pool, two ACTIVE
 * revisions with the same content, a second service), so `findDuplicates` and `findLeftovers` can name
 * them, and a test can compare a whole pool with `toEqual`.
 *
 * Leases: a lease item that is still unexpired when everything has finished is a leak (it would block
 * the pool's next change until it expires). An expired one is allowed: a crashed holder leaves it, the
 * next reconcile that needs the lease takes it over, and DynamoDB's TTL removes it (its `ttl` attribute
 * is checked). Either way the snapshot reports it.
 */
import {
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { DescribeSecurityGroupsCommand, type Filter, type SecurityGroup } from '@aws-sdk/client-ec2';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ResolvedPool } from '../../controller/api/poolDefaults.js';
import { ownershipTagKeys, poolResourceNames } from '../../controller/api/resourceNames.js';
import { validatePool } from '../../controller/api/validatePool.js';
import type { ReconcilerClients } from '../../controller/aws/awsClients.js';
import type { ControllerConfig } from '../../controller/config/controllerConfig.js';
import { desiredService, desiredTaskDefinition } from '../../controller/core/desiredState.js';
import { allAlarmNames, parseAlarmName } from '../../controller/core/poolAlarms.js';
import type { PrefectWorkerPoolStatus } from '../../controller/core/poolStatus.js';
import { specHashOf } from '../../controller/reconciler/reconcilePool.js';

export interface SecurityGroupView {
  readonly name: string;
  readonly description: string;
  readonly vpc: string;
  readonly tags: Readonly<Record<string, string>>;
  /** `tcp:443-443 0.0.0.0/0`, sorted. */
  readonly egress: readonly string[];
}

export interface ServiceView {
  readonly name: string;
  readonly status: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  /** The label of the revision it runs (see PoolWorld.taskDefinitionRevisions). */
  readonly taskDefinition: string;
  readonly network: {
    readonly subnets: readonly string[];
    readonly securityGroups: readonly string[];
    readonly assignPublicIp: string;
  };
  /** Whether the configuration-hash tag is the one the current spec renders to. */
  readonly configurationHash: 'desired' | 'other' | 'absent';
  readonly tags: Readonly<Record<string, string>>;
}

export interface AlarmView {
  readonly name: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: readonly string[];
  readonly statistic: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: string;
  readonly treatMissingData: string;
  readonly actions: readonly string[];
  /** Carries this instance's ownership tag (only read when asked: one call per alarm). */
  readonly owned?: boolean;
}

export interface StatusView {
  readonly phase: string;
  readonly observedGeneration: number;
  /** Whether the status speaks of the spec item as it is now. */
  readonly spec: 'current' | 'stale' | 'no spec';
  /** `Type=Status/Reason`, sorted by type. */
  readonly conditions: readonly string[];
  readonly workers: { readonly desired: number; readonly running: number; readonly pending: number };
  readonly resources: Readonly<Record<string, unknown>>;
  readonly lastError: string | null;
  readonly scaling?: {
    readonly desiredWorkers?: number;
    readonly lastScaleDirection?: string;
    /** `trigger outcome code from→to`, newest first. */
    readonly decisions: readonly string[];
  };
  readonly backlog?: { readonly count: number | null; readonly message?: string };
  readonly validationErrors?: number;
}

export type LeaseView = 'none' | 'expired' | 'held' | 'expired without ttl';

export interface PoolWorld {
  readonly spec: boolean;
  readonly securityGroups: readonly SecurityGroupView[];
  /**
   * The family's ACTIVE revisions, oldest first, each named by its content-hash tag: `desired` (what
   * the current spec renders), `other#1`, `other#2`... in order of first appearance, `untagged`.
   */
  readonly taskDefinitionRevisions: readonly string[];
  /** ACTIVE (and DRAINING) services of the pool; INACTIVE ones are tombstones and left out. */
  readonly services: readonly ServiceView[];
  readonly alarms: readonly AlarmView[];
  readonly status: StatusView | null;
  readonly lease: LeaseView;
  readonly scaleRequest: boolean;
}

export interface WorldSnapshot {
  readonly pools: Readonly<Record<string, PoolWorld>>;
}

export interface SnapshotOptions {
  /** The time leases are judged by: the clock of the controller that ran last. */
  readonly now: Date;
  /** Only these pools, with targeted reads; every pool of the instance (resources or items) when absent. */
  readonly pools?: readonly string[];
  /** Read each alarm's tags (one call per alarm); default: when `pools` is given. */
  readonly alarmTags?: boolean;
}

type Clients = Pick<ReconcilerClients, 'ecs' | 'ec2' | 'cloudwatch' | 'dynamodb'>;

interface Revision {
  readonly arn: string;
  readonly revision: number;
  readonly hash: string | undefined;
}

interface RawPool {
  groups: SecurityGroup[];
  services: Service[];
  revisions: Revision[];
  alarms: MetricAlarm[];
  alarmOwned: Map<string, boolean>;
  items: Map<string, Record<string, unknown>>;
}

function emptyRaw(): RawPool {
  return { groups: [], services: [], revisions: [], alarms: [], alarmOwned: new Map(), items: new Map() };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function tagRecord(tags: readonly { Key?: string; Value?: string; key?: string; value?: string }[] = []) {
  const record: Record<string, string> = {};
  for (const tag of tags) {
    const key = tag.Key ?? tag.key;
    if (key !== undefined) record[key] = tag.Value ?? tag.value ?? '';
  }
  return record;
}

class WorldReader {
  constructor(
    private readonly clients: Clients,
    private readonly config: ControllerConfig,
  ) {}

  private get prefix(): string {
    return `${this.config.instanceId}-`;
  }

  async securityGroups(filters: Filter[]): Promise<SecurityGroup[]> {
    const groups: SecurityGroup[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.clients.ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [{ Name: 'vpc-id', Values: [this.config.vpcId] }, ...filters],
          NextToken,
        }),
      );
      groups.push(...(page.SecurityGroups ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return groups;
  }

  async serviceNames(): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.clients.ecs.send(
        new ListServicesCommand({ cluster: this.config.clusterName, nextToken }),
      );
      for (const arn of page.serviceArns ?? []) {
        const name = arn.split('/').pop() ?? '';
        if (name.startsWith(this.prefix)) names.push(name);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  async services(names: readonly string[]): Promise<Service[]> {
    const pages = await Promise.all(
      chunk([...new Set(names)], 10).map((services) =>
        this.clients.ecs.send(
          new DescribeServicesCommand({ cluster: this.config.clusterName, services, include: ['TAGS'] }),
        ),
      ),
    );
    return pages.flatMap((page) => page.services ?? []).filter((s) => s.status !== 'INACTIVE');
  }

  async families(): Promise<string[]> {
    const families: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.clients.ecs.send(
        new ListTaskDefinitionFamiliesCommand({ familyPrefix: this.prefix, status: 'ACTIVE', nextToken }),
      );
      families.push(...(page.families ?? []).filter((family) => family.startsWith(this.prefix)));
      nextToken = page.nextToken;
    } while (nextToken);
    return families;
  }

  async revisions(family: string): Promise<Revision[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.clients.ecs.send(
        new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', nextToken }),
      );
      arns.push(
        ...(page.taskDefinitionArns ?? []).filter(
          (arn) => arn.split('/').pop()?.replace(/:\d+$/, '') === family,
        ),
      );
      nextToken = page.nextToken;
    } while (nextToken);
    const revisions = await Promise.all(arns.map((arn) => this.revision(arn)));
    return revisions.sort((a, b) => a.revision - b.revision);
  }

  async revision(arn: string): Promise<Revision> {
    const response = await this.clients.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
    );
    return {
      arn,
      revision: response.taskDefinition?.revision ?? Number(arn.split(':').pop()),
      hash: tagRecord(response.tags)[ownershipTagKeys.contentHash],
    };
  }

  async alarms(request: { prefix?: string; names?: readonly string[] }): Promise<MetricAlarm[]> {
    if (request.names) {
      const pages = await Promise.all(
        chunk(request.names, 100).map((AlarmNames) =>
          this.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames })),
        ),
      );
      return pages.flatMap((page) => page.MetricAlarms ?? []);
    }
    const alarms: MetricAlarm[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.clients.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNamePrefix: request.prefix, NextToken }),
      );
      alarms.push(...(page.MetricAlarms ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return alarms;
  }

  async alarmOwned(arn: string): Promise<boolean> {
    const response = await this.clients.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    return tagRecord(response.Tags)[ownershipTagKeys.instance] === this.config.instanceId;
  }

  async items(pools?: readonly string[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    if (pools) {
      await Promise.all(
        pools.map(async (pool) => {
          const page = await this.clients.dynamodb.send(
            new QueryCommand({
              TableName: this.config.tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': pool },
              ConsistentRead: true,
            }),
          );
          items.push(...((page.Items ?? []) as Record<string, unknown>[]));
        }),
      );
      return items;
    }
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.clients.dynamodb.send(
        new ScanCommand({ TableName: this.config.tableName, ConsistentRead: true, ExclusiveStartKey }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

/** The pool a security group belongs to: its pool tag when it carries this instance's tag, else its name. */
function groupPool(group: SecurityGroup, instanceId: string): string | undefined {
  const tags = tagRecord(group.Tags);
  if (tags[ownershipTagKeys.instance] === instanceId && tags[ownershipTagKeys.pool]) {
    return tags[ownershipTagKeys.pool];
  }
  const match = new RegExp(`^${instanceId}-(.+)-workers$`).exec(group.GroupName ?? '');
  return match?.[1];
}

export async function captureWorld(
  clients: Clients,
  config: ControllerConfig,
  options: SnapshotOptions,
): Promise<WorldSnapshot> {
  const reader = new WorldReader(clients, config);
  const { instanceId } = config;
  const prefix = `${instanceId}-`;
  const targeted = options.pools;
  const raw = new Map<string, RawPool>();
  const entry = (pool: string): RawPool => {
    let found = raw.get(pool);
    if (!found) {
      found = emptyRaw();
      raw.set(pool, found);
    }
    return found;
  };
  for (const pool of targeted ?? []) entry(pool);

  const names = (targeted ?? []).map((pool) => poolResourceNames(instanceId, pool));
  const [groups, services, families, alarms, items] = await Promise.all([
    targeted
      ? Promise.all([
          reader.securityGroups([{ Name: `tag:${ownershipTagKeys.pool}`, Values: [...targeted] }]),
          reader.securityGroups([{ Name: 'group-name', Values: names.map((n) => n.securityGroupName) }]),
        ]).then(([byTag, byName]) => [
          ...new Map([...byTag, ...byName].map((group) => [group.GroupId, group])).values(),
        ])
      : reader.securityGroups([]),
    targeted
      ? reader.services(names.map((n) => n.serviceName))
      : reader.serviceNames().then((found) => reader.services(found)),
    targeted ? Promise.resolve(names.map((n) => n.taskDefinitionFamily)) : reader.families(),
    targeted
      ? reader.alarms({ names: targeted.flatMap((pool) => allAlarmNames(instanceId, pool)) })
      : reader.alarms({ prefix }),
    reader.items(targeted),
  ]);

  const wanted = (pool: string | undefined): pool is string =>
    pool !== undefined && (!targeted || targeted.includes(pool));
  for (const group of groups) {
    const pool = groupPool(group, instanceId);
    if (wanted(pool)) entry(pool).groups.push(group);
  }
  for (const service of services) {
    const pool = service.serviceName?.startsWith(prefix)
      ? service.serviceName.slice(prefix.length)
      : undefined;
    if (wanted(pool)) entry(pool).services.push(service);
  }
  await Promise.all(
    families.map(async (family) => {
      const pool = family.slice(prefix.length);
      const revisions = await reader.revisions(family);
      if (wanted(pool) && revisions.length > 0) entry(pool).revisions.push(...revisions);
    }),
  );
  const readTags = options.alarmTags ?? targeted !== undefined;
  await Promise.all(
    alarms.map(async (alarm) => {
      const pool = parseAlarmName(instanceId, alarm.AlarmName ?? '')?.pool;
      if (!wanted(pool)) return;
      entry(pool).alarms.push(alarm);
      if (readTags && alarm.AlarmArn) {
        entry(pool).alarmOwned.set(alarm.AlarmName ?? '', await reader.alarmOwned(alarm.AlarmArn));
      }
    }),
  );
  for (const item of items) {
    const pool = item.pk;
    if (typeof pool === 'string' && typeof item.sk === 'string' && wanted(pool)) {
      entry(pool).items.set(item.sk, item);
    }
  }

  // A service may run a revision that is no longer ACTIVE: name it too.
  const inactive = new Map<string, Revision>();
  await Promise.all(
    [...raw.values()].flatMap((pool) =>
      pool.services
        .map((service) => service.taskDefinition)
        .filter((arn): arn is string => !!arn && !pool.revisions.some((r) => r.arn === arn))
        .map(async (arn) => inactive.set(arn, await reader.revision(arn))),
    ),
  );

  const pools: Record<string, PoolWorld> = {};
  for (const [pool, found] of [...raw.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    pools[pool] = normalizePool(pool, found, inactive, config, options.now);
  }
  return { pools };
}

function normalizePool(
  pool: string,
  raw: RawPool,
  inactive: ReadonlyMap<string, Revision>,
  config: ControllerConfig,
  now: Date,
): PoolWorld {
  const scrub = (value: string): string => value.split(pool).join('<pool>');
  const scrubRecord = (record: Record<string, string>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(record)
        .map(([key, value]) => [scrub(key), scrub(value)] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );

  const specItem = raw.items.get('spec');
  const validation = specItem ? validatePool(specItem, { ...config, expectedName: pool }) : undefined;
  const resolved: ResolvedPool | undefined = validation?.valid ? validation.pool : undefined;
  const desiredHash = resolved ? desiredTaskDefinition(resolved, config).contentHash : undefined;

  // Content hashes named by what they are, so runs in different moto states compare equal.
  const hashLabels = new Map<string, string>();
  const labelHash = (hash: string | undefined): string => {
    if (hash === undefined) return 'untagged';
    if (hash === desiredHash) return 'desired';
    let label = hashLabels.get(hash);
    if (!label) {
      label = `other#${hashLabels.size + 1}`;
      hashLabels.set(hash, label);
    }
    return label;
  };
  const revisions = raw.revisions.map((revision) => labelHash(revision.hash));
  const arnLabel = (arn: string | undefined): string | undefined => {
    if (arn === undefined) return undefined;
    const active = raw.revisions.find((revision) => revision.arn === arn);
    if (active) return labelHash(active.hash);
    const gone = inactive.get(arn);
    return gone ? `${labelHash(gone.hash)} (inactive)` : 'unknown revision';
  };

  const ownGroup = raw.groups.find(
    (group) => group.GroupName === poolResourceNames(config.instanceId, pool).securityGroupName,
  );
  const groupLabel = (id: string | undefined): string =>
    id === undefined ? 'none' : id === ownGroup?.GroupId ? '<sg>' : 'foreign sg';

  const securityGroups = raw.groups.map((group): SecurityGroupView => {
    const egress: string[] = [];
    for (const permission of group.IpPermissionsEgress ?? []) {
      const ports =
        permission.IpProtocol === '-1'
          ? 'all'
          : `${permission.IpProtocol}:${permission.FromPort}-${permission.ToPort}`;
      for (const range of permission.IpRanges ?? []) {
        egress.push(`${ports} ${range.CidrIp}${range.Description ? ` (${range.Description})` : ''}`);
      }
      for (const range of permission.Ipv6Ranges ?? []) egress.push(`${ports} ${range.CidrIpv6}`);
      for (const list of permission.PrefixListIds ?? []) egress.push(`${ports} ${list.PrefixListId}`);
      for (const pair of permission.UserIdGroupPairs ?? [])
        egress.push(`${ports} ${groupLabel(pair.GroupId)}`);
    }
    return {
      name: scrub(group.GroupName ?? ''),
      description: scrub(group.Description ?? ''),
      vpc: group.VpcId === config.vpcId ? '<vpc>' : 'other vpc',
      tags: scrubRecord(tagRecord(group.Tags)),
      egress: egress.sort(),
    };
  });

  const services = raw.services.map((service): ServiceView => {
    const tags = tagRecord(service.tags);
    const hashTag = tags[ownershipTagKeys.contentHash];
    delete tags[ownershipTagKeys.contentHash];
    const vpc = service.networkConfiguration?.awsvpcConfiguration;
    const desiredConfiguration =
      resolved && ownGroup?.GroupId
        ? desiredService(resolved, config, {
            securityGroupId: ownGroup.GroupId,
            taskDefinitionArn: '',
            desiredCount: 0,
          }).configurationHash
        : undefined;
    return {
      name: scrub(service.serviceName ?? ''),
      status: service.status ?? 'UNKNOWN',
      desiredCount: service.desiredCount ?? 0,
      runningCount: service.runningCount ?? 0,
      taskDefinition: arnLabel(service.taskDefinition) ?? 'none',
      network: {
        subnets: (vpc?.subnets ?? [])
          .map((subnet) => {
            const index = config.subnetIds.indexOf(subnet);
            return index >= 0 ? `<subnet:${index}>` : 'foreign subnet';
          })
          .sort(),
        securityGroups: (vpc?.securityGroups ?? []).map(groupLabel),
        assignPublicIp: vpc?.assignPublicIp ?? 'unset',
      },
      configurationHash:
        hashTag === undefined ? 'absent' : hashTag === desiredConfiguration ? 'desired' : 'other',
      tags: scrubRecord(tags),
    };
  });

  const alarms = raw.alarms
    .map((alarm): AlarmView => ({
      name: scrub(alarm.AlarmName ?? ''),
      namespace: alarm.Namespace ?? '',
      metric: alarm.MetricName ?? '',
      dimensions: (alarm.Dimensions ?? []).map((d) => scrub(`${d.Name}=${d.Value}`)).sort(),
      statistic: alarm.Statistic ?? '',
      periodSeconds: alarm.Period ?? 0,
      evaluationPeriods: alarm.EvaluationPeriods ?? 0,
      datapointsToAlarm: alarm.DatapointsToAlarm ?? 0,
      threshold: alarm.Threshold ?? 0,
      comparison: alarm.ComparisonOperator ?? '',
      treatMissingData: alarm.TreatMissingData ?? '',
      actions: [...(alarm.AlarmActions ?? []), ...(alarm.OKActions ?? [])].map(scrub),
      ...(raw.alarmOwned.has(alarm.AlarmName ?? '')
        ? { owned: raw.alarmOwned.get(alarm.AlarmName ?? '') }
        : {}),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));

  const statusItem = raw.items.get('status');
  const status = statusItem?.status as PrefectWorkerPoolStatus | undefined;
  const ownService = raw.services.find(
    (service) => service.serviceName === poolResourceNames(config.instanceId, pool).serviceName,
  );
  let statusView: StatusView | null = null;
  if (status) {
    const resources = status.resources ?? {};
    const normalizedResources: Record<string, unknown> = {};
    if (resources.serviceArn !== undefined) {
      normalizedResources.serviceArn =
        resources.serviceArn === ownService?.serviceArn ? '<service>' : 'not the live service';
    }
    if (resources.serviceName !== undefined) normalizedResources.serviceName = scrub(resources.serviceName);
    if (resources.taskDefinitionArn !== undefined)
      normalizedResources.taskDefinitionArn = arnLabel(resources.taskDefinitionArn);
    if (resources.taskDefinitionHash !== undefined)
      normalizedResources.taskDefinitionHash = labelHash(resources.taskDefinitionHash);
    if (resources.securityGroupId !== undefined)
      normalizedResources.securityGroupId = groupLabel(resources.securityGroupId);
    if (resources.failedTaskDefinitionArn !== undefined)
      normalizedResources.failedTaskDefinitionArn = arnLabel(resources.failedTaskDefinitionArn);
    if (resources.alarmNames !== undefined)
      normalizedResources.alarmNames = [...resources.alarmNames].map(scrub).sort();
    const scaling = status.scaling;
    statusView = {
      phase: status.phase,
      observedGeneration: status.observedGeneration,
      spec: !specItem ? 'no spec' : status.observedSpecHash === specHashOf(specItem) ? 'current' : 'stale',
      conditions: [...status.conditions]
        .sort((a, b) => (a.type < b.type ? -1 : 1))
        .map((c) => `${c.type}=${c.status}/${c.reason}`),
      workers: { ...status.workers },
      resources: normalizedResources,
      lastError: status.lastError ? (status.lastError.code ?? 'unknown') : null,
      ...(scaling
        ? {
            scaling: {
              ...(scaling.desiredWorkers !== undefined ? { desiredWorkers: scaling.desiredWorkers } : {}),
              ...(scaling.lastScaleDirection ? { lastScaleDirection: scaling.lastScaleDirection } : {}),
              decisions: (scaling.recentDecisions ?? []).map(
                (d) => `${d.trigger} ${d.outcome} ${d.code} ${d.from}→${d.to}`,
              ),
            },
          }
        : {}),
      ...(status.backlog
        ? {
            backlog: {
              count: status.backlog.count ?? null,
              ...(status.backlog.message ? { message: scrub(status.backlog.message) } : {}),
            },
          }
        : {}),
      ...(status.validationErrors ? { validationErrors: status.validationErrors.length } : {}),
    };
  }

  const lease = raw.items.get('lease');
  let leaseView: LeaseView = 'none';
  if (lease) {
    const expiresAt = Number(lease.expiresAt);
    leaseView =
      expiresAt > now.getTime() ? 'held' : typeof lease.ttl === 'number' ? 'expired' : 'expired without ttl';
  }

  return {
    spec: specItem !== undefined,
    securityGroups,
    taskDefinitionRevisions: revisions,
    services,
    alarms,
    status: statusView,
    lease: leaseView,
    scaleRequest: raw.items.has('scale'),
  };
}

/**
 * The pool as a later run sees it: an expired lease (a crashed holder's, which the next reconcile that
 * needs it takes over and DynamoDB's TTL removes) counts as no lease.
 */
export function ignoringExpiredLease(state: PoolWorld): PoolWorld {
  return state.lease === 'expired' ? { ...state, lease: 'none' } : state;
}

/** Twins: more than one group or live service for a pool, two ACTIVE revisions with the same content. */
export function findDuplicates(world: WorldSnapshot): string[] {
  const found: string[] = [];
  for (const [pool, state] of Object.entries(world.pools)) {
    if (state.securityGroups.length > 1)
      found.push(`${pool}: ${state.securityGroups.length} security groups`);
    if (state.services.length > 1) found.push(`${pool}: ${state.services.length} live services`);
    const seen = new Set<string>();
    for (const label of state.taskDefinitionRevisions) {
      if (seen.has(label)) found.push(`${pool}: two ACTIVE task definition revisions with content ${label}`);
      seen.add(label);
    }
  }
  return found;
}

/**
 * What is left behind: anything owned for a pool whose spec item is gone (resources, a status item),
 * and any lease still held.
 */
export function findLeftovers(world: WorldSnapshot): string[] {
  const found: string[] = [];
  for (const [pool, state] of Object.entries(world.pools)) {
    if (state.lease === 'held' || state.lease === 'expired without ttl')
      found.push(`${pool}: lease ${state.lease}`);
    if (state.spec) continue;
    if (state.securityGroups.length > 0) found.push(`${pool}: security group without a spec`);
    if (state.services.length > 0) found.push(`${pool}: service without a spec`);
    if (state.taskDefinitionRevisions.length > 0)
      found.push(`${pool}: ${state.taskDefinitionRevisions.length} ACTIVE revisions without a spec`);
    if (state.alarms.length > 0) found.push(`${pool}: ${state.alarms.length} alarms without a spec`);
    if (state.status) found.push(`${pool}: status item (${state.status.phase}) without a spec`);
  }
  return found;
}

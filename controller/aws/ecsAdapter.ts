/**
 * ECS adapter: batched reads (DescribeServices takes 10 services a call) and the few writes the
 * reconciler makes, translated to and from the core's plain types.
 */
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type Tag as EcsTag,
} from '@aws-sdk/client-ecs';
import { ownershipTagKeys } from '../api/resourceNames.js';
import type { DesiredService, DesiredTaskDefinition, ServiceConfiguration } from '../core/desiredState.js';
import type { LiveService, LiveTaskDefinition, Tag } from '../core/observedState.js';
import type { ServiceChanges } from '../core/planActions.js';
import { stableHash } from '../core/stableHash.js';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { AwsAdapterError, isErrorNamed, mayHaveTakenEffect, OutcomeUnknownError } from './awsErrors.js';

/** ECS's DescribeServices limit. */
export const describeServicesBatchSize = 10;

function toEcsTags(tags: readonly Tag[]): EcsTag[] {
  return tags.map(({ key, value }) => ({ key, value }));
}

function tagRecord(tags: readonly EcsTag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.key !== undefined) record[tag.key] = tag.value ?? '';
  return record;
}

export function toLiveService(service: Service): LiveService {
  return {
    serviceArn: service.serviceArn ?? '',
    serviceName: service.serviceName ?? '',
    status: service.status ?? 'UNKNOWN',
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    pendingCount: Math.max(0, service.pendingCount ?? 0),
    taskDefinitionArn: service.taskDefinition ?? '',
    tags: tagRecord(service.tags),
    deployments: (service.deployments ?? []).map((d) => ({
      status: d.status ?? 'UNKNOWN',
      ...(d.rolloutState ? { rolloutState: d.rolloutState } : {}),
      ...(d.taskDefinition ? { taskDefinitionArn: d.taskDefinition } : {}),
    })),
  };
}

/** The part of Create/UpdateService input that the service configuration sets (mutable copies for the SDK). */
function serviceConfigurationInput(configuration: ServiceConfiguration) {
  const vpc = configuration.networkConfiguration.awsvpcConfiguration;
  return {
    capacityProviderStrategy: [...configuration.capacityProviderStrategy],
    networkConfiguration: {
      awsvpcConfiguration: { ...vpc, subnets: [...vpc.subnets], securityGroups: [...vpc.securityGroups] },
    },
    deploymentConfiguration: configuration.deploymentConfiguration,
    platformVersion: configuration.platformVersion,
    propagateTags: configuration.propagateTags,
    enableECSManagedTags: configuration.enableECSManagedTags,
  };
}

/**
 * Inside the SDK's retry loop (finalizeRequest, low priority), turns an error after which the call may
 * have taken effect into one the SDK does not retry. Throttling is still retried: a throttled request
 * was refused before it ran.
 */
function noRetryOnceSent<Input extends object, Output extends object>(
  operation: string,
): FinalizeRequestMiddleware<Input, Output> {
  return (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      throw mayHaveTakenEffect(error) ? new OutcomeUnknownError(operation, error) : error;
    }
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export class EcsAdapter {
  constructor(
    private readonly ecs: ECSClient,
    private readonly cluster: string,
  ) {}

  /** Services by name, ten per call; names that do not exist are simply absent from the map. */
  async describeServices(serviceNames: readonly string[]): Promise<Map<string, LiveService>> {
    const found = new Map<string, LiveService>();
    const batches = chunk([...new Set(serviceNames)], describeServicesBatchSize);
    const responses = await Promise.all(
      batches.map((services) =>
        this.ecs.send(new DescribeServicesCommand({ cluster: this.cluster, services, include: ['TAGS'] })),
      ),
    );
    for (const response of responses) {
      for (const service of response.services ?? []) {
        const live = toLiveService(service);
        // An INACTIVE service is a tombstone: for the controller it does not exist.
        if (live.status !== 'INACTIVE') found.set(live.serviceName, live);
      }
    }
    return found;
  }

  async createService(desired: DesiredService): Promise<LiveService> {
    const { configuration } = desired;
    const response = await this.ecs.send(
      new CreateServiceCommand({
        cluster: desired.cluster,
        serviceName: desired.serviceName,
        taskDefinition: desired.taskDefinitionArn,
        desiredCount: desired.desiredCount,
        ...serviceConfigurationInput(configuration),
        // A stable token makes a retried create idempotent instead of failing on the existing service.
        clientToken: stableHash([
          desired.serviceName,
          desired.configurationHash,
          desired.taskDefinitionArn,
          desired.desiredCount,
        ]),
        tags: toEcsTags([
          ...desired.tags,
          { key: ownershipTagKeys.contentHash, value: desired.configurationHash },
        ]),
      }),
    );
    if (!response.service)
      throw new AwsAdapterError('CreateService returned no service', { code: 'EmptyResponse' });
    return toLiveService(response.service);
  }

  async updateService(desired: DesiredService, changes: ServiceChanges): Promise<LiveService> {
    const configuration = changes.configuration;
    const response = await this.ecs.send(
      new UpdateServiceCommand({
        cluster: desired.cluster,
        service: desired.serviceName,
        ...(changes.taskDefinitionArn ? { taskDefinition: changes.taskDefinitionArn } : {}),
        ...(changes.desiredCount !== undefined ? { desiredCount: changes.desiredCount } : {}),
        // Network and capacity provider changes only apply to new tasks.
        ...(configuration ? { ...serviceConfigurationInput(configuration), forceNewDeployment: true } : {}),
      }),
    );
    if (!response.service)
      throw new AwsAdapterError('UpdateService returned no service', { code: 'EmptyResponse' });
    let live = toLiveService(response.service);
    if (configuration) {
      // The hash tag goes on last: a crash in between leaves the old hash, so the next pass retries.
      const tags = [...desired.tags, { key: ownershipTagKeys.contentHash, value: desired.configurationHash }];
      await this.ecs.send(new TagResourceCommand({ resourceArn: live.serviceArn, tags: toEcsTags(tags) }));
      live = { ...live, tags: { ...live.tags, ...Object.fromEntries(tags.map((t) => [t.key, t.value])) } };
    }
    return live;
  }

  /** Scales to zero and deletes; returns false when there was nothing to delete. */
  async deleteService(serviceName: string): Promise<boolean> {
    try {
      await this.ecs.send(
        new DeleteServiceCommand({ cluster: this.cluster, service: serviceName, force: true }),
      );
      return true;
    } catch (error) {
      if (isErrorNamed(error, 'ServiceNotFoundException', 'ServiceNotActiveException')) return false;
      throw error;
    }
  }

  /** The family's latest ACTIVE revision with its content-hash tag, or undefined when there is none. */
  async describeLatestTaskDefinition(family: string): Promise<LiveTaskDefinition | undefined> {
    try {
      const response = await this.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] }),
      );
      const arn = response.taskDefinition?.taskDefinitionArn;
      if (!arn || response.taskDefinition?.status === 'INACTIVE') return undefined;
      const tags = tagRecord(response.tags);
      const hash = tags[ownershipTagKeys.contentHash];
      return { taskDefinitionArn: arn, tags, ...(hash ? { contentHash: hash } : {}) };
    } catch (error) {
      if (isErrorNamed(error, 'ClientException', 'ResourceNotFoundException')) return undefined;
      throw error;
    }
  }

  async registerTaskDefinition(desired: DesiredTaskDefinition): Promise<string> {
    const { content } = desired;
    const command = new RegisterTaskDefinitionCommand({
      ...content,
      requiresCompatibilities: [...content.requiresCompatibilities],
      containerDefinitions: content.containerDefinitions.map((container) => ({
        ...container,
        command: [...container.command],
        environment: [...container.environment],
        secrets: [...container.secrets],
        logConfiguration: {
          ...container.logConfiguration,
          options: { ...container.logConfiguration.options },
        },
        healthCheck: { ...container.healthCheck, command: [...container.healthCheck.command] },
      })),
      tags: toEcsTags([...desired.tags, { key: ownershipTagKeys.contentHash, value: desired.contentHash }]),
    });
    // RegisterTaskDefinition has no idempotency token: an SDK retry after a lost answer registers a twin.
    command.middlewareStack.add(noRetryOnceSent('RegisterTaskDefinition'), {
      step: 'finalizeRequest',
      priority: 'low',
      name: 'noRetryOnceSent',
    });
    const response = await this.ecs.send(command);
    const arn = response.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new AwsAdapterError('RegisterTaskDefinition returned no ARN', { code: 'EmptyResponse' });
    return arn;
  }

  async listActiveTaskDefinitionArns(family: string): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ecs.send(
        new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', nextToken }),
      );
      // familyPrefix is a prefix: "dev-a" would also list "dev-ab"; keep the exact family only.
      arns.push(
        ...(page.taskDefinitionArns ?? []).filter(
          (arn) => arn.split('/').pop()?.replace(/:\d+$/, '') === family,
        ),
      );
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  }

  /** Names of every service in the cluster that starts with the prefix (ListServices, 100 a page). */
  async listServiceNames(prefix: string): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ecs.send(
        new ListServicesCommand({ cluster: this.cluster, maxResults: 100, nextToken }),
      );
      for (const arn of page.serviceArns ?? []) {
        const name = arn.split('/').pop() ?? '';
        if (name.startsWith(prefix)) names.push(name);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return names;
  }

  /** Task definition families with an ACTIVE revision that start with the prefix. */
  async listTaskDefinitionFamilies(prefix: string): Promise<string[]> {
    const families: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.ecs.send(
        new ListTaskDefinitionFamiliesCommand({
          familyPrefix: prefix,
          status: 'ACTIVE',
          maxResults: 100,
          nextToken,
        }),
      );
      families.push(...(page.families ?? []).filter((family) => family.startsWith(prefix)));
      nextToken = page.nextToken;
    } while (nextToken);
    return families;
  }

  async deregisterTaskDefinition(arn: string): Promise<void> {
    await this.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
  }
}

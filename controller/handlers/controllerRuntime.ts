/**
 * What every handler builds once per Lambda container: configuration (checked at cold start, with one
 * clear line per problem), SDK clients, adapters, logger and metrics.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { ApiPacer } from '../aws/apiPacer.js';
import { createReconcilerClients } from '../aws/awsClients.js';
import { CloudWatchAdapter } from '../aws/cloudWatchAdapter.js';
import { Ec2Adapter } from '../aws/ec2Adapter.js';
import { EcsAdapter } from '../aws/ecsAdapter.js';
import { PoolTableStore } from '../aws/poolTableStore.js';
import { SecretsAdapter } from '../aws/secretsAdapter.js';
import { PrefectAccess } from '../prefect/prefectAccess.js';
import { loadControllerConfig, type ControllerConfig } from '../config/controllerConfig.js';
import { createControllerLogger } from '../observability/controllerLogger.js';
import { createControllerMetrics, EmfReconcileMetrics } from '../observability/reconcileMetrics.js';
import type { ReconcilerDependencies } from '../reconciler/reconcilerDependencies.js';

export interface ControllerRuntime extends ReconcilerDependencies {
  readonly metrics: EmfReconcileMetrics;
}

export const systemClock = { now: () => new Date() };

export function createControllerRuntime(
  config: ControllerConfig = loadControllerConfig(process.env),
  logger: Logger = createControllerLogger(),
): ControllerRuntime {
  const pacer = new ApiPacer();
  const clients = createReconcilerClients({ region: config.region, pacer });
  return {
    config,
    table: new PoolTableStore(clients.dynamodb, config.tableName),
    ecs: new EcsAdapter(clients.ecs, config.clusterName),
    ec2: new Ec2Adapter(clients.ec2),
    cloudwatch: new CloudWatchAdapter(clients.cloudwatch),
    prefect: new PrefectAccess(config.prefectApiAccess, new SecretsAdapter(clients.secrets)),
    clock: systemClock,
    logger,
    metrics: new EmfReconcileMetrics(createControllerMetrics(config.instanceId)),
    pacer,
  };
}

/**
 * The controller's runtime as createControllerRuntime builds it for a Lambda container (one set of SDK
 * clients and one ApiPacer per container, the same adapters), with the pieces the benchmark needs in
 * reach: the clients (to record calls on them), an endpoint (moto or the fault proxy), a pacer that may
 * be scaled, a clock that may be offset.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { ApiPacer } from '../../controller/aws/apiPacer.js';
import { createReconcilerClients, type ReconcilerClients } from '../../controller/aws/awsClients.js';
import { CloudWatchAdapter } from '../../controller/aws/cloudWatchAdapter.js';
import { Ec2Adapter } from '../../controller/aws/ec2Adapter.js';
import { EcsAdapter } from '../../controller/aws/ecsAdapter.js';
import { PoolTableStore } from '../../controller/aws/poolTableStore.js';
import { SecretsAdapter } from '../../controller/aws/secretsAdapter.js';
import type { ControllerConfig } from '../../controller/config/controllerConfig.js';
import type { Clock } from '../../controller/core/clock.js';
import { PrefectAccess } from '../../controller/prefect/prefectAccess.js';
import type {
  ReconcileMetricsSink,
  ReconcilerDependencies,
} from '../../controller/reconciler/reconcilerDependencies.js';
import type { ServiceEndpoints } from './benchAws.js';
import { TimedCallRecorder } from './timedCallRecorder.js';

export interface BenchRuntimeOptions {
  readonly config: ControllerConfig;
  /** moto, or the fault proxy in front of it, service by service. */
  readonly endpoints: ServiceEndpoints;
  /** Default: a pacer at AWS's real rates, as in a Lambda container. `null`: no pacing at all. */
  readonly pacer?: ApiPacer | null;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: ReconcileMetricsSink;
  /** The SDK's attempts per call; default 5, as deployed. */
  readonly maxAttempts?: number;
}

export interface BenchRuntime {
  readonly deps: ReconcilerDependencies;
  readonly clients: ReconcilerClients;
  readonly recorder: TimedCallRecorder;
  readonly pacer: ApiPacer | undefined;
  destroy(): void;
}

export const systemClock: Clock = { now: () => new Date() };

/** A quiet logger for runtimes inside the benchmark's own process: warnings and errors only. */
export function quietLogger(): Logger {
  return new Logger({ serviceName: 'prefect-ecs-operator', logLevel: 'WARN' });
}

export function createBenchRuntime(options: BenchRuntimeOptions): BenchRuntime {
  const { config } = options;
  const pacer = options.pacer === null ? undefined : (options.pacer ?? new ApiPacer());
  const clientsAt = (endpoint: string): ReconcilerClients =>
    createReconcilerClients({
      region: config.region,
      endpoint,
      ...(pacer ? { pacer } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    });
  // One set of clients per address; each service's client comes from the set at its address.
  const sets = new Map<string, ReconcilerClients>();
  const at = (endpoint: string): ReconcilerClients => {
    let set = sets.get(endpoint);
    if (!set) sets.set(endpoint, (set = clientsAt(endpoint)));
    return set;
  };
  const { endpoints } = options;
  const clients: ReconcilerClients = {
    ecs: at(endpoints.ecs).ecs,
    ec2: at(endpoints.ec2).ec2,
    secrets: at(endpoints.secrets).secrets,
    dynamodb: at(endpoints.dynamodb).dynamodb,
    cloudwatch: at(endpoints.cloudwatch).cloudwatch,
  };
  const recorder = new TimedCallRecorder();
  recorder.attach(clients.ecs, clients.ec2, clients.cloudwatch, clients.dynamodb, clients.secrets);
  const deps: ReconcilerDependencies = {
    config,
    table: new PoolTableStore(clients.dynamodb, config.tableName),
    ecs: new EcsAdapter(clients.ecs, config.clusterName),
    ec2: new Ec2Adapter(clients.ec2),
    cloudwatch: new CloudWatchAdapter(clients.cloudwatch),
    prefect: new PrefectAccess(config.prefectApiAccess, new SecretsAdapter(clients.secrets)),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? quietLogger(),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(pacer ? { pacer } : {}),
  };
  return {
    deps,
    clients,
    recorder,
    pacer,
    destroy() {
      for (const set of sets.values()) for (const client of Object.values(set)) client.destroy();
    },
  };
}

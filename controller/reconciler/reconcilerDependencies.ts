import type { Logger } from '@aws-lambda-powertools/logger';
import type { ControllerConfig } from '../config/controllerConfig.js';
import type { Clock } from '../core/clock.js';
import type { ApiPacer } from '../aws/apiPacer.js';
import type { CloudWatchAdapter } from '../aws/cloudWatchAdapter.js';
import type { Ec2Adapter } from '../aws/ec2Adapter.js';
import type { EcsAdapter } from '../aws/ecsAdapter.js';
import type { PoolTableStore } from '../aws/poolTableStore.js';
import type { PrefectAccess } from '../prefect/prefectAccess.js';
import type { ReconcileResult } from './reconcileResult.js';

/** Where reconcile results are counted (CloudWatch EMF in Lambda; nothing in some tests). */
export interface ReconcileMetricsSink {
  record(result: ReconcileResult): void;
}

/** Everything the reconciler talks to, passed in so tests can point it at moto and pin the clock. */
export interface ReconcilerDependencies {
  readonly config: ControllerConfig;
  readonly table: PoolTableStore;
  readonly ecs: EcsAdapter;
  readonly ec2: Ec2Adapter;
  readonly cloudwatch: CloudWatchAdapter;
  readonly prefect: PrefectAccess;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: ReconcileMetricsSink;
  /** Paces calls to AWS's quotas; handlers bound its waits by the invocation's time. */
  readonly pacer?: ApiPacer;
}

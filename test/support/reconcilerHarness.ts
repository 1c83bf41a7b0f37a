/**
 * The reconciler wired to a test moto: real adapters and SDK clients, a call recorder on every client,
 * a clock the test moves, and helpers to put spec items and read status the way a user would.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createReconcilerClients, type ReconcilerClients } from '../../controller/aws/awsClients.js';
import { CloudWatchAdapter } from '../../controller/aws/cloudWatchAdapter.js';
import { Ec2Adapter } from '../../controller/aws/ec2Adapter.js';
import { EcsAdapter } from '../../controller/aws/ecsAdapter.js';
import { PoolTableStore } from '../../controller/aws/poolTableStore.js';
import { SecretsAdapter } from '../../controller/aws/secretsAdapter.js';
import { PrefectAccess } from '../../controller/prefect/prefectAccess.js';
import type { ControllerConfig } from '../../controller/config/controllerConfig.js';
import type { Clock } from '../../controller/core/clock.js';
import type { PrefectWorkerPoolStatus } from '../../controller/core/poolStatus.js';
import type { ReconcilerDependencies } from '../../controller/reconciler/reconcilerDependencies.js';
import type { ReconcileResult } from '../../controller/reconciler/reconcileResult.js';
import { AwsCallRecorder } from './awsCallRecorder.js';
import type { TestAws } from './testEnvironment.js';

export class ManualClock implements Clock {
  private current: number;
  constructor(start = Date.parse('2026-11-28T09:00:00Z')) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface ReconcilerHarness {
  readonly deps: ReconcilerDependencies;
  readonly clients: ReconcilerClients;
  readonly recorder: AwsCallRecorder;
  readonly clock: ManualClock;
  readonly results: ReconcileResult[];
  putSpec(item: Record<string, unknown>, key?: string): Promise<void>;
  deleteSpec(name: string): Promise<void>;
  readStatus(name: string): Promise<PrefectWorkerPoolStatus | undefined>;
  /** Mutating calls to ECS, EC2 and CloudWatch since the recorder was last cleared (status writes not counted). */
  awsMutations(): string[];
}

export function createReconcilerHarness(
  aws: TestAws,
  overrides: Partial<ControllerConfig> = {},
): ReconcilerHarness {
  const config: ControllerConfig = { ...aws.config, ...overrides };
  const clients = createReconcilerClients({ endpoint: aws.endpoint, region: config.region, maxAttempts: 2 });
  const recorder = new AwsCallRecorder();
  recorder.attach(clients.ecs, clients.ec2, clients.dynamodb, clients.cloudwatch, clients.secrets);
  const clock = new ManualClock();
  const results: ReconcileResult[] = [];
  const deps: ReconcilerDependencies = {
    config,
    table: new PoolTableStore(clients.dynamodb, config.tableName),
    ecs: new EcsAdapter(clients.ecs, config.clusterName),
    ec2: new Ec2Adapter(clients.ec2),
    cloudwatch: new CloudWatchAdapter(clients.cloudwatch),
    // Short timeouts and no waiting between retries: tests stay fast when the stub fails on purpose.
    prefect: new PrefectAccess(config.prefectApiAccess, new SecretsAdapter(clients.secrets), {
      timeoutMs: 1_000,
      maxAttempts: 2,
      sleep: async () => {},
    }),
    clock,
    logger: new Logger({ serviceName: 'prefect-ecs-operator-test', logLevel: 'WARN' }),
    metrics: { record: (result) => results.push(result) },
  };
  return {
    deps,
    clients,
    recorder,
    clock,
    results,
    async putSpec(item, key) {
      const name = key ?? (item.metadata as { name: string }).name;
      await clients.dynamodb.send(
        new PutCommand({ TableName: config.tableName, Item: { pk: name, sk: 'spec', ...item } }),
      );
    },
    async deleteSpec(name) {
      await clients.dynamodb.send(
        new DeleteCommand({ TableName: config.tableName, Key: { pk: name, sk: 'spec' } }),
      );
    },
    async readStatus(name) {
      const response = await clients.dynamodb.send(
        new GetCommand({
          TableName: config.tableName,
          Key: { pk: name, sk: 'status' },
          ConsistentRead: true,
        }),
      );
      return response.Item?.status as PrefectWorkerPoolStatus | undefined;
    },
    awsMutations() {
      return recorder
        .mutatingCalls()
        .filter((call) => call.service === 'ECS' || call.service === 'EC2' || call.service === 'CloudWatch')
        .map((call) => call.operation);
    },
  };
}

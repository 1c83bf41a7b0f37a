/**
 * SDK clients for the reconciler, built once per process (module scope in handlers) and injectable
 * in tests. The endpoint comes from the SDK's own AWS_ENDPOINT_URL support, so the same code talks to
 * AWS or to moto without a branch here.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ApiPacer } from './apiPacer.js';
import { tableUnmarshallOptions } from './poolTableStore.js';

export interface ReconcilerClients {
  readonly ecs: ECSClient;
  readonly ec2: EC2Client;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly cloudwatch: CloudWatchClient;
  readonly secrets: SecretsManagerClient;
}

export interface ClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  /** SDK-level retries (exponential backoff with jitter); the ApiPacer adds pacing on top. */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  /** Paces calls to AWS's published rates; shared by every client it is given to. */
  readonly pacer?: ApiPacer;
}

export function createReconcilerClients(options: ClientOptions = {}): ReconcilerClients {
  const common = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 5,
    // Without a request timeout a hung connection would hold a reconcile until the Lambda times out.
    requestHandler: {
      connectionTimeout: 3_000,
      requestTimeout: options.requestTimeoutMs ?? 15_000,
      // Without this the handler only logs a warning when the timeout passes.
      throwOnRequestTimeout: true,
    },
  };
  const clients = {
    ecs: new ECSClient(common),
    ec2: new EC2Client(common),
    cloudwatch: new CloudWatchClient(common),
    secrets: new SecretsManagerClient(common),
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient(common), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      unmarshallOptions: tableUnmarshallOptions,
    }),
  };
  if (options.pacer) {
    options.pacer.attach(clients.ecs, 'ECS');
    options.pacer.attach(clients.ec2, 'EC2');
    options.pacer.attach(clients.cloudwatch, 'CloudWatch');
  }
  return clients;
}

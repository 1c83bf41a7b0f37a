/**
 * moto with the local base infrastructure (as `npm start` and the integration tests use it), and the
 * controller configuration that points at it. Prefect is reached through the project's Prefect stub, as a
 * deployment reaches each pool's Prefect API (PREFECT_API_ACCESS=spec).
 *
 * moto serves one request at a time per process (Python's GIL), which at a thousand pools is what bounds
 * the benchmark's pace. So the services run in two moto processes, one per core: ECS with EC2 (moto's ECS
 * checks subnets and security groups in its EC2 backend, so they must share one) and Secrets Manager, and
 * DynamoDB with CloudWatch. Both get the base infrastructure; the names in it are deterministic, so the
 * one configuration holds for both.
 */
import type { ControllerConfig } from '../../controller/config/controllerConfig.js';
import {
  localControllerConfig,
  provisionLocalInfrastructure,
  type LocalInfrastructure,
} from '../../controller/local/localInfrastructure.js';
import { startMotoServer, type MotoServer } from '../../controller/local/motoServer.js';

export const benchInstanceId = 'bench';
export const benchRegion = 'us-east-1';

/** Where each service the controller calls is served. */
export interface ServiceEndpoints {
  readonly ecs: string;
  readonly ec2: string;
  readonly secrets: string;
  readonly dynamodb: string;
  readonly cloudwatch: string;
}

export interface BenchAws {
  readonly motos: readonly MotoServer[];
  readonly infra: LocalInfrastructure;
  readonly config: ControllerConfig;
  readonly endpoints: ServiceEndpoints;
  stop(): Promise<void>;
}

/** moto accepts any credentials; the SDK's default chain must find some without probing for more. */
export function setLocalAwsEnvironment(): void {
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.AWS_REGION ??= benchRegion;
}

export interface BenchAwsOptions {
  readonly prefectUrl?: string;
  /** Two moto processes (default) or one for everything. */
  readonly split?: boolean;
}

export async function startBenchAws(options: BenchAwsOptions = {}): Promise<BenchAws> {
  setLocalAwsEnvironment();
  const split = options.split ?? true;
  const motos = await Promise.all(split ? [startMotoServer(), startMotoServer()] : [startMotoServer()]);
  const stop = async (): Promise<void> => {
    await Promise.all(motos.map((moto) => moto.stop()));
  };
  try {
    const [infra] = await Promise.all(
      motos.map((moto) =>
        provisionLocalInfrastructure({
          endpoint: moto.endpoint,
          region: benchRegion,
          instanceId: benchInstanceId,
        }),
      ),
    );
    const config = localControllerConfig(infra as LocalInfrastructure, benchInstanceId, {
      prefectApiAccess: options.prefectUrl
        ? { kind: 'override', url: options.prefectUrl }
        : { kind: 'disabled' },
    });
    const [first, second = first] = motos.map((moto) => moto.endpoint) as [string, string?];
    return {
      motos,
      infra: infra as LocalInfrastructure,
      config,
      endpoints: { ecs: first, ec2: first, secrets: first, dynamodb: second, cloudwatch: second },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The same services behind other addresses (e.g. a fault proxy per moto). */
export function mapEndpoints(
  endpoints: ServiceEndpoints,
  map: (endpoint: string) => string,
): ServiceEndpoints {
  return {
    ecs: map(endpoints.ecs),
    ec2: map(endpoints.ec2),
    secrets: map(endpoints.secrets),
    dynamodb: map(endpoints.dynamodb),
    cloudwatch: map(endpoints.cloudwatch),
  };
}

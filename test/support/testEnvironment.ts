/**
 * One moto server with the local base infrastructure in it, for an integration test file
 * (`beforeAll(startTestAws)`, `afterAll(() => aws.stop())`). Each vitest worker is its own process,
 * so each file gets its own server and nothing is shared between files running in parallel.
 */
import type { ControllerConfig } from '../../controller/config/controllerConfig.js';
import {
  localControllerConfig,
  provisionLocalInfrastructure,
  type LocalInfrastructure,
} from '../../controller/local/localInfrastructure.js';
import { startMotoServer, type MotoServer } from '../../controller/local/motoServer.js';

export interface TestAws {
  readonly moto: MotoServer;
  readonly infra: LocalInfrastructure;
  readonly config: ControllerConfig;
  /** moto's address: pass it as `endpoint` to createReconcilerClients and other clients. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface TestAwsOptions {
  /** Extra moto environment, e.g. `{ MOTO_ECS_SERVICE_RUNNING: '1' }`. */
  readonly motoEnv?: Record<string, string>;
}

export const testInstanceId = 'test';

export async function startTestAws(options: TestAwsOptions = {}): Promise<TestAws> {
  // The SDK's default chain must find credentials without probing instance metadata, and a region;
  // real values set by the developer are left alone (moto accepts any).
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.AWS_REGION ??= 'us-east-1';

  const moto = await startMotoServer({ env: options.motoEnv ?? {} });
  try {
    const infra = await provisionLocalInfrastructure({
      endpoint: moto.endpoint,
      region: process.env.AWS_REGION,
      instanceId: testInstanceId,
    });
    return {
      moto,
      infra,
      config: localControllerConfig(infra, testInstanceId),
      endpoint: moto.endpoint,
      stop: () => moto.stop(),
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

/** After `moto.reset()`: the same base infrastructure again, and the config that points at it. */
export async function reprovision(aws: TestAws): Promise<Pick<TestAws, 'infra' | 'config'>> {
  const infra = await provisionLocalInfrastructure({
    endpoint: aws.endpoint,
    region: aws.infra.region,
    instanceId: testInstanceId,
  });
  return { infra, config: localControllerConfig(infra, testInstanceId) };
}

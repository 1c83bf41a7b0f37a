/**
 * Secrets (issue #5): with a known Prefect credential in Secrets Manager and in the Prefect stub, a whole
 * scenario — pools of both types created, Prefect refusing (401 echoing the Authorization header), failing
 * (a 500 whose body holds the credential), answering garbage, down; scaling from an alarm; a schedule tick
 * with backlog; deletion with the work pool — leaves the credential nowhere but where it belongs: not in
 * the logs (captured at DEBUG), the status items, any error caught, the task definitions (the key reaches
 * workers only through `secrets` valueFrom), or the requests the stub saw outside the Authorization header.
 * Once with a Prefect Cloud API key (Bearer), once with a self-hosted server's auth string (Basic).
 */
import { inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlarmHandler, type AlarmStateChangeEvent } from '../../controller/handlers/alarmHandler.js';
import { createScheduleHandler } from '../../controller/handlers/scheduleHandler.js';
import { createStreamHandler } from '../../controller/handlers/streamHandler.js';
import { PrefectClient, type PrefectAuth } from '../../controller/prefect/prefectClient.js';
import type { ReconcilerDependencies } from '../../controller/reconciler/reconcilerDependencies.js';
import { setAlarmStateAndEvent } from '../support/alarmEvents.js';
import { captureLogs, type LogCapture } from '../support/logCapture.js';
import { autoPoolManifest } from '../support/poolManifests.js';
import { startPrefectStub, type PrefectStub } from '../support/prefectStub.js';
import { createReconcilerHarness, type ReconcilerHarness } from '../support/reconcilerHarness.js';
import { attachSpecWriteGuard, type SpecWriteGuard } from '../support/specWriteGuard.js';
import { specRecord } from '../support/streamRecords.js';
import { reprovision, startTestAws, testInstanceId, type TestAws } from '../support/testEnvironment.js';
import { createUserTable, type UserTable } from '../support/userTable.js';

/** The value localInfrastructure.ts puts in the example secret (prefect/api-key). */
const apiKey = 'pnu_local_dummy_api_key';
/** A self-hosted server's PREFECT_SERVER_API_AUTH_STRING, in a secret of its own. */
const authString = 'admin:s3cr3t-Passw0rd!';
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

let aws: TestAws;
let prefect: PrefectStub;
const guards: SpecWriteGuard[] = [];
const users: UserTable[] = [];
let authStringSecretArn: string;

beforeAll(async () => {
  [aws, prefect] = await Promise.all([startTestAws(), startPrefectStub()]);
});

/** A fresh moto (base infrastructure, the example secret) and the auth string's secret beside it. */
async function freshWorld(): Promise<void> {
  await aws.moto.reset();
  aws = { ...aws, ...(await reprovision(aws)) };
  const harness = createReconcilerHarness(aws);
  const created = await harness.clients.secrets.send(
    new CreateSecretCommand({ Name: 'prefect/auth-string', SecretString: authString }),
  );
  authStringSecretArn = created.ARN as string;
}

afterAll(async () => {
  for (const guard of guards) expect(guard.violations()).toEqual([]);
  for (const user of users) user.destroy();
  await Promise.all([aws?.stop(), prefect?.close()]);
});

interface Variant {
  readonly name: string;
  /** The forms the credential must never appear in. */
  readonly forbidden: readonly string[];
  readonly auth: () => PrefectAuth;
  readonly stubAuth: () => Parameters<PrefectStub['requireAuth']>[0];
  /** The Authorization header the stub must have seen on every API request. */
  readonly header: string;
  /** The manifest's prefect section. */
  readonly connection: () => Record<string, string>;
  /** The ECS secret the workers get the credential from. */
  readonly workerSecret: () => { name: string; valueFrom: string };
}

const variants: Variant[] = [
  {
    name: 'a Prefect Cloud API key (Bearer)',
    // What the client sends, in the form it sends it; for Basic auth the base64 form too.
    forbidden: [apiKey],
    auth: () => ({ kind: 'bearer', apiKey }),
    stubAuth: () => ({ bearer: apiKey }),
    header: `Bearer ${apiKey}`,
    connection: () => ({
      apiUrl: 'https://api.prefect.cloud/api/accounts/a/workspaces/w',
      apiKeySecretArn: aws.infra.exampleSecretArn,
    }),
    workerSecret: () => ({ name: 'PREFECT_API_KEY', valueFrom: aws.infra.exampleSecretArn }),
  },
  {
    name: 'a self-hosted auth string (Basic)',
    forbidden: [authString, base64(authString)],
    auth: () => ({ kind: 'basic', authString }),
    stubAuth: () => ({ basic: authString }),
    header: `Basic ${base64(authString)}`,
    connection: () => ({ apiUrl: 'http://prefect.internal:4200/api', authStringSecretArn }),
    workerSecret: () => ({ name: 'PREFECT_API_AUTH_STRING', valueFrom: authStringSecretArn }),
  },
];

/** Everything about an error that could reach a log or a person: message, stack, cause chain, own fields. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) parts.push(current.message, current.stack ?? '');
    parts.push(inspect(current, { depth: Infinity, showHidden: true }));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

describe.each(variants)('the Prefect credential, as $name', (variant) => {
  let harness: ReconcilerHarness;
  let deps: ReconcilerDependencies;
  let user: UserTable;
  let logs: LogCapture;
  const caught: unknown[] = [];
  const returned: unknown[] = [];
  const pools: string[] = [];
  const prefix = variant.header.startsWith('Basic') ? 'basic' : 'bearer';

  beforeAll(async () => {
    await freshWorld();
    prefect.reset();
    prefect.requireAuth(variant.stubAuth());
    harness = createReconcilerHarness(aws, { prefectApiAccess: { kind: 'override', url: prefect.url } });
    // Everything, at DEBUG, through the console the capture watches.
    deps = {
      ...harness.deps,
      logger: new Logger({ serviceName: 'prefect-ecs-operator', logLevel: 'DEBUG' }),
    };
    guards.push(attachSpecWriteGuard(harness.clients.dynamodb));
    user = createUserTable(aws);
    users.push(user);
  });

  function manifest(name: string, type: 'process' | 'ecs', options: { deleteWorkPool?: boolean } = {}) {
    const base = autoPoolManifest(name, { type, minWorkers: 1 }) as {
      spec: { prefect: unknown; workPool: Record<string, unknown> };
    };
    base.spec.prefect = variant.connection();
    if (options.deleteWorkPool) base.spec.workPool.deleteOnPoolDeletion = true;
    return base as unknown as Record<string, unknown>;
  }

  /** A stream batch for these pools, as Lambda would deliver it; its answer is kept for the search. */
  async function stream(names: readonly string[], eventName: 'INSERT' | 'REMOVE' = 'INSERT') {
    const response = await createStreamHandler(() => deps)({
      Records: names.map((n) => specRecord(n, eventName)),
    });
    returned.push(response);
    expect(response.batchItemFailures).toEqual([]);
  }

  function fireAlarm(pool: string, datapoint: number): Promise<AlarmStateChangeEvent> {
    return setAlarmStateAndEvent(harness.clients.cloudwatch, {
      alarmName: `${testInstanceId}-${pool}-backlog-scale-out`,
      datapoint,
      time: harness.clock.now(),
      region: aws.config.region,
    });
  }

  it('goes through a whole scenario of successes and failures', async () => {
    logs = captureLogs();
    try {
      // Pools of both types, created through the stream.
      const processPool = `${prefix}-process`;
      const ecsPool = `${prefix}-ecs`;
      pools.push(processPool, ecsPool);
      await user.putSpec(manifest(processPool, 'process', { deleteWorkPool: true }));
      await user.putSpec(manifest(ecsPool, 'ecs'));
      await stream([processPool, ecsPool]);
      expect(prefect.workPools.has(processPool)).toBe(true);

      // Prefect refuses, echoing the Authorization header it got.
      const refused = `${prefix}-refused`;
      pools.push(refused);
      prefect.failNext(1, 401, {
        detail: `Invalid credentials in header "Authorization: ${variant.header}"`,
      });
      await user.putSpec(manifest(refused, 'process'));
      await stream([refused]);
      expect(JSON.stringify(await user.readStatus(refused))).toContain('Unauthorized');

      // Prefect fails with the credential in the body, in every form it was sent.
      const failing = `${prefix}-failing`;
      pools.push(failing);
      const leakyBody = `internal error; request had ${variant.header}; credential=${variant.forbidden.join(' / ')}`;
      // Retried once (the harness's client makes two attempts), then given up.
      prefect.failNext(2, 500, leakyBody);
      await user.putSpec(manifest(failing, 'ecs'));
      await stream([failing]);
      expect(JSON.stringify(await user.readStatus(failing))).toContain('ServerError');

      // Prefect answers garbage that holds the credential.
      const garbled = `${prefix}-garbled`;
      pools.push(garbled);
      prefect.failNext(1, 200, `not json at all: ${variant.forbidden.join(' ')}`);
      await user.putSpec(manifest(garbled, 'process'));
      await stream([garbled]);

      // Prefect is down.
      const unreachable = `${prefix}-unreachable`;
      pools.push(unreachable);
      prefect.setDown(true);
      await user.putSpec(manifest(unreachable, 'process'));
      await stream([unreachable]);
      prefect.setDown(false);

      // The same failures, thrown by the client itself.
      const client = new PrefectClient({
        apiUrl: prefect.url,
        auth: variant.auth(),
        maxAttempts: 1,
        timeoutMs: 1_000,
      });
      const attempts: [string, () => void][] = [
        ['401 echo', () => prefect.failNext(1, 401, { detail: `bad ${variant.header}` })],
        ['500 echo', () => prefect.failNext(1, 500, leakyBody)],
        ['garbage', () => prefect.failNext(1, 200, `{"oops": "${variant.forbidden[0]}"`)],
        // JSON.parse quotes the start of what it could not parse in its own error message.
        [
          'garbage led by the credential',
          () => prefect.failNext(1, 200, `${variant.forbidden[0]} is no JSON`),
        ],
        ['down', () => prefect.setDown(true)],
      ];
      for (const [, arrange] of attempts) {
        arrange();
        try {
          await client.readWorkPool(processPool);
          throw new Error('expected the client to fail');
        } catch (error) {
          caught.push(error);
        } finally {
          prefect.setDown(false);
        }
      }
      expect(caught).toHaveLength(attempts.length);

      // Backlog: scaling from an alarm, then a schedule tick (backlog published, pools re-synced).
      prefect.setBacklog(processPool, 23);
      prefect.setBacklog(ecsPool, 7);
      const handleAlarm = createAlarmHandler(() => deps);
      returned.push(await handleAlarm(await fireAlarm(processPool, 23)));
      // An event the handler ignores (logged at DEBUG).
      const cleared = await fireAlarm(processPool, 0);
      returned.push(await handleAlarm({ ...cleared, detail: { ...cleared.detail, state: { value: 'OK' } } }));
      harness.clock.advance(11 * 60_000);
      returned.push(await createScheduleHandler(() => deps)({}));
      harness.clock.advance(11 * 60_000);
      returned.push(await createScheduleHandler(() => deps)({}));

      // Deletion, with the work pool deleted in Prefect too.
      await user.deleteSpec(processPool);
      await stream([processPool], 'REMOVE');
      for (let pass = 0; pass < 3 && (await user.readStatus(processPool)); pass++) {
        harness.clock.advance(20_000);
        returned.push(await createScheduleHandler(() => deps)({}));
      }
      expect(await user.readStatus(processPool)).toBeUndefined();
      expect(prefect.workPools.has(processPool)).toBe(false);
      expect(
        prefect.requests.some((r) => r.method === 'DELETE' && r.path === `/work_pools/${processPool}`),
      ).toBe(true);
    } catch (error) {
      caught.push(error);
      throw error;
    } finally {
      logs.restore();
    }
  }, 60_000);

  it('captured the logs of it all, at every level', () => {
    const text = logs.text();
    expect(text).toMatch(/"level":\s*"DEBUG"/);
    expect(text).toMatch(/"message":\s*"reconciled"/);
    expect(text).toMatch(/"message":\s*"scaling decision"/);
    expect(text).toMatch(/"message":\s*"alarm event ignored"/);
  });

  it('appears in no log line', () => {
    for (const form of variant.forbidden) expect(logs.text()).not.toContain(form);
  });

  it('appears in no status item, nor anything else in the table', async () => {
    const items = JSON.stringify(await user.scanAll());
    expect(items).toContain('"sk":"status"');
    for (const form of variant.forbidden) expect(items).not.toContain(form);
  });

  it('appears in no error caught, nor in any handler answer or reconcile result, not even in part', () => {
    const text = [...caught.map(errorText), JSON.stringify(returned), JSON.stringify(harness.results)].join(
      '\n',
    );
    expect(text).toContain('Unauthorized');
    expect(text).toContain('ServerError');
    for (const form of variant.forbidden) expect(text).not.toContain(form);
    const secret = variant.forbidden[0] as string;
    const fragments = Array.from({ length: secret.length - 9 }, (_, i) => secret.slice(i, i + 10));
    expect(fragments.filter((fragment) => text.includes(fragment))).toEqual([]);
  });

  it('reaches workers only as a Secrets Manager reference, never in a task definition', async () => {
    const { ecs } = harness.clients;
    const listed = await ecs.send(new ListTaskDefinitionsCommand({ status: 'ACTIVE' }));
    const ours = (listed.taskDefinitionArns ?? []).filter((arn) =>
      pools.some((p) => arn.includes(`/${testInstanceId}-${p}:`)),
    );
    expect(ours.length).toBeGreaterThanOrEqual(pools.length - 1);
    for (const arn of ours) {
      const described = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
      );
      const text = JSON.stringify(described);
      for (const form of variant.forbidden) expect(text).not.toContain(form);
      const container = described.taskDefinition?.containerDefinitions?.[0];
      const plainNames = (container?.environment ?? []).map((e) => e.name);
      expect(plainNames).not.toContain('PREFECT_API_KEY');
      expect(plainNames).not.toContain('PREFECT_API_AUTH_STRING');
      expect(container?.secrets).toContainEqual(variant.workerSecret());
    }
  });

  it('appears nowhere else in AWS: services, security groups, alarms', async () => {
    const { ecs, ec2, cloudwatch } = harness.clients;
    const services = await ecs.send(new ListServicesCommand({ cluster: aws.config.clusterName }));
    const described = await ecs.send(
      new DescribeServicesCommand({
        cluster: aws.config.clusterName,
        services: (services.serviceArns ?? []).slice(0, 10),
        include: ['TAGS'],
      }),
    );
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({}));
    const alarms = await cloudwatch.send(new DescribeAlarmsCommand({}));
    const text = JSON.stringify([described, groups, alarms]);
    for (const form of variant.forbidden) expect(text).not.toContain(form);
  });

  it('travels to Prefect in the Authorization header and nowhere else', () => {
    const apiRequests = prefect.requests.filter((r) => r.path !== '/health');
    expect(apiRequests.length).toBeGreaterThan(5);
    for (const request of apiRequests) {
      const { authorization, ...otherHeaders } = request.headers;
      expect(authorization).toBe(variant.header);
      const elsewhere = JSON.stringify([request.method, request.path, request.body, otherHeaders]);
      for (const form of variant.forbidden) expect(elsewhere).not.toContain(form);
    }
  });
});

/**
 * Local mode end to end: `controller/local/main.ts` as a child process with no AWS in its environment,
 * items put into its table and alarm states set by boto3 (not the project's code), the state of the world
 * read back from moto. The stream poller's delivery rules are checked on their own against a moto table.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamPoller } from '../../controller/local/streamPoller.js';
import { startPrefectStub, type PrefectStub } from '../support/prefectStub.js';
import { startTestAws, type TestAws } from '../support/testEnvironment.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const readyLine = /^ready: endpoint=(http:\/\/127\.0\.0\.1:\d+) table=(\S+) cluster=(\S+)$/;
const localInstanceId = 'local';

/** The caller's environment without anything that would point the runner at an AWS. */
function environmentWithoutAws(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(AWS_|POWERTOOLS_|LOCAL_|PREFECT_)/.test(name)) continue;
    if (
      /^(CONTROLLER_INSTANCE_ID|POOL_TABLE_NAME|ECS_CLUSTER_NAME|VPC_ID|WORKER_|TASK_EXECUTION_|ALLOWED_|DEFAULT_WORKER_)/.test(
        name,
      )
    )
      continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** Collects a child's stdout lines and waits for the ones a test expects. */
class LineWatcher {
  readonly lines: string[] = [];
  private waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(stream: NodeJS.ReadableStream) {
    createInterface({ input: stream }).on('line', (line) => {
      this.lines.push(line);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.pattern.test(line)) return true;
        waiter.resolve(line);
        return false;
      });
    });
  }

  waitFor(pattern: RegExp, timeoutMs: number, explain: () => string): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms\n${explain()}`)),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }
}

/** Runs a Python script with boto3 against the runner's moto: a plain client, as a user would, not the project's code. */
function runBoto3(script: string, args: readonly string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const python = spawn('python3', ['-c', script, ...args], {
      env: environmentWithoutAws({}),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    python.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    python.once('error', reject);
    python.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`boto3 ${what} failed (${code}): ${stderr}`)),
    );
  });
}

/** Puts DynamoDB-JSON items with boto3. */
function putWithBoto3(endpoint: string, table: string, items: readonly object[]): Promise<void> {
  const script = [
    'import boto3, json, sys',
    "client = boto3.client('dynamodb', endpoint_url=sys.argv[1], region_name='us-east-1',",
    "                      aws_access_key_id='testing', aws_secret_access_key='testing')",
    'for item in json.loads(sys.argv[3]):',
    '    client.put_item(TableName=sys.argv[2], Item=item)',
  ].join('\n');
  return runBoto3(script, [endpoint, table, JSON.stringify(items)], 'put-item');
}

/** Sets an alarm's state with boto3, as `aws cloudwatch set-alarm-state` would (moto evaluates no alarm). */
function setAlarmStateWithBoto3(
  endpoint: string,
  alarmName: string,
  stateValue: 'ALARM' | 'OK',
  reasonData: object,
): Promise<void> {
  const script = [
    'import boto3, sys',
    "client = boto3.client('cloudwatch', endpoint_url=sys.argv[1], region_name='us-east-1',",
    "                      aws_access_key_id='testing', aws_secret_access_key='testing')",
    "client.set_alarm_state(AlarmName=sys.argv[2], StateValue=sys.argv[3], StateReason='test',",
    '                       StateReasonData=sys.argv[4])',
  ].join('\n');
  return runBoto3(script, [endpoint, alarmName, stateValue, JSON.stringify(reasonData)], 'set-alarm-state');
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function specItem(name: string, spec: object): object {
  return {
    pk: { S: name },
    sk: { S: 'spec' },
    apiVersion: { S: 'prefect-ecs-operator/v1' },
    kind: { S: 'PrefectWorkerPool' },
    metadata: { M: { name: { S: name } } },
    spec: { M: spec },
  };
}

const prefectConnection = {
  prefect: {
    M: {
      apiUrl: { S: 'https://api.prefect.cloud/api/accounts/a/workspaces/w' },
      apiKeySecretArn: { S: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prefect/api-key' },
    },
  },
};

type PoolStatus = Record<string, unknown> & {
  phase?: string;
  conditions?: { type: string; status: string; reason: string }[];
  backlog?: { count?: number | null; message?: string };
  scaling?: {
    desiredWorkers?: number;
    lastScaleTime?: string;
    lastScaleDirection?: string;
    lastScaleReason?: string;
    recentDecisions?: Record<string, unknown>[];
  };
};

/** `npm start` as a child process, with clients on its moto and the reads the tests make. */
class LocalRunner {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: LineWatcher;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly logFile: string;
  stderr = '';
  endpoint = '';
  table = '';
  cluster = '';
  private clients: { ecs: ECSClient; ec2: EC2Client; dynamodb: DynamoDBClient } | undefined;

  constructor(env: Record<string, string>) {
    const directory = mkdtempSync(join(tmpdir(), 'local-mode-'));
    this.logFile = join(directory, 'controller.log');
    this.child = spawn(process.execPath, ['--import', 'tsx', 'controller/local/main.ts'], {
      cwd: projectRoot,
      env: environmentWithoutAws({
        LOCAL_LOG: this.logFile,
        // Where a local mode says how to reach it: never the developer's own `npm start`'s file.
        LOCAL_RUNTIME_FILE: join(directory, 'runtime.json'),
        ...env,
      }),
    });
    this.stdout = new LineWatcher(this.child.stdout);
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exit = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Waits for the ready line and connects to the moto it names. */
  async ready(): Promise<this> {
    const line = await this.stdout.waitFor(readyLine, 60_000, this.explain);
    [, this.endpoint = '', this.table = '', this.cluster = ''] = readyLine.exec(line) ?? [];
    const config = {
      endpoint: this.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    this.clients = {
      ecs: new ECSClient(config),
      ec2: new EC2Client(config),
      dynamodb: new DynamoDBClient(config),
    };
    return this;
  }

  readonly explain = (): string =>
    `stdout:\n${this.stdout.lines.join('\n')}\nstderr:\n${this.stderr}\nlog tail:\n${this.readLog().slice(-3000)}`;

  readLog(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGINT, as Ctrl-C; undefined when it has not exited within 15 s. */
  async interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    this.child.kill('SIGINT');
    return Promise.race([
      this.exit,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000)),
    ]);
  }

  destroy(): void {
    for (const client of Object.values(this.clients ?? {})) client.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private get aws() {
    if (!this.clients) throw new Error('the runner is not ready');
    return this.clients;
  }

  async readStatus(pool: string): Promise<PoolStatus | undefined> {
    const answer = await this.aws.dynamodb.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: { S: pool }, sk: { S: 'status' } },
        ConsistentRead: true,
      }),
    );
    return answer.Item ? (unmarshall(answer.Item).status as PoolStatus) : undefined;
  }

  async findService(name: string) {
    const answer = await this.aws.ecs.send(
      new DescribeServicesCommand({ cluster: this.cluster, services: [name] }),
    );
    return answer.services?.find((service) => service.status === 'ACTIVE');
  }

  async findSecurityGroup(name: string) {
    const answer = await this.aws.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }] }),
    );
    return answer.SecurityGroups?.[0];
  }

  async findTaskDefinition(family: string) {
    try {
      return (await this.aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family })))
        .taskDefinition;
    } catch {
      return undefined;
    }
  }
}

function condition(status: PoolStatus | undefined, type: string) {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * The runner pointed at a Prefect stub starts with the file rather than after the first runner's tests:
 * each spends seconds starting its moto, and they need not take turns.
 */
const pool = 'etl';
let withPrefect: Promise<{ prefect: PrefectStub; runner: LocalRunner }> | undefined;

beforeAll(() => {
  withPrefect = (async () => {
    const prefect = await startPrefectStub();
    // Prefect's backlog stays within one worker's share (5), so nothing but the alarm can ask for more
    // workers: neither the schedule's re-evaluation (which uses the backlog it reads from Prefect) nor
    // its scale-from-zero rule (the pool never is at zero). The alarm's datapoint says 23 per worker.
    prefect.setBacklog(pool, 4);
    const runner = new LocalRunner({ PREFECT_API_ACCESS: prefect.url, LOCAL_SCHEDULE_SECONDS: '2' });
    try {
      return { prefect, runner: await runner.ready() };
    } catch (error) {
      runner.destroy();
      await prefect.close();
      throw error;
    }
  })();
  // Awaited by its describe block; until then a failure must not count as unhandled.
  withPrefect.catch(() => {});
});

afterAll(async () => {
  const started = await withPrefect?.catch(() => undefined);
  started?.runner.destroy();
  await started?.prefect.close();
});

describe('npm start on a machine without AWS', () => {
  let runner: LocalRunner;
  const explain = () => runner.explain();

  beforeAll(async () => {
    // A drift pass every second, so the scaling pass has written the example pool's backlog in time.
    runner = await new LocalRunner({ LOCAL_SCHEDULE_SECONDS: '1' }).ready();
  }, 70_000);

  afterAll(() => runner?.destroy());

  it('prints one ready line naming its moto, table and cluster, then the example pool reaching Ready', async () => {
    // Prepare / act: started in beforeAll.

    const phase = await runner.stdout.waitFor(/^pool analytics: /, 15_000, explain);

    // Assess
    expect(runner.stdout.lines.filter((line) => line.startsWith('ready:'))).toHaveLength(1);
    expect(runner.table).toBe('prefect-ecs-operator-local-pools');
    expect(runner.cluster).toBe('prefect-ecs-operator-local');
    // minWorkers 0 and no backlog: nothing needs to run, which moto can show truthfully.
    expect(phase).toBe('pool analytics: Ready (workers 0/0) ScaledToZero');
    expect(await runner.findService(`${localInstanceId}-analytics`)).toBeDefined();
  });

  it('says in status that the backlog is unknown when PREFECT_API_ACCESS names no Prefect', async () => {
    // Prepare / act: the example pool, and the drift passes since.

    const status = await eventually(
      async () => {
        const read = await runner.readStatus('analytics');
        return read?.backlog ? read : undefined;
      },
      5_000,
      "the example pool's backlog",
    );

    // Assess
    expect(status.backlog).toMatchObject({
      count: null,
      message: 'Prefect access is disabled: backlog unknown',
    });
    expect(condition(status, 'PrefectSynced')).toMatchObject({
      status: 'Unknown',
      reason: 'PrefectAccessDisabled',
    });
  });

  it('creates the security group, task definition and service of a spec item put with boto3, and writes its status', async () => {
    // Prepare
    const spec = {
      ...prefectConnection,
      worker: { M: { cpu: { N: '256' }, memory: { N: '512' } } },
      scaling: { M: { mode: { S: 'fixed' }, workers: { N: '2' } } },
    };
    const startedAt = Date.now();

    // Act
    await putWithBoto3(runner.endpoint, runner.table, [specItem('reports', spec)]);

    // Assess
    const [securityGroup, taskDefinition, service, status] = await Promise.all([
      eventually(
        () => runner.findSecurityGroup(`${localInstanceId}-reports-workers`),
        10_000,
        'security group',
      ),
      eventually(() => runner.findTaskDefinition(`${localInstanceId}-reports`), 10_000, 'task definition'),
      eventually(() => runner.findService(`${localInstanceId}-reports`), 10_000, 'service'),
      eventually(() => runner.readStatus('reports'), 10_000, 'status item'),
    ]);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(securityGroup.GroupId).toMatch(/^sg-/);
    expect(taskDefinition.cpu).toBe('256');
    expect(service.desiredCount).toBe(2);
    // moto starts no tasks: two workers wanted, none running, so the pool waits in Provisioning.
    expect(status).toMatchObject({ phase: 'Provisioning', workers: { desired: 2, running: 0 } });
    await runner.stdout.waitFor(
      /^pool reports: Provisioning \(workers 0\/2\) WorkersStarting$/,
      5_000,
      explain,
    );
  });

  it('marks an invalid spec item Invalid with the paths of its problems and creates nothing for it', async () => {
    // Prepare
    const spec = {
      prefect: { M: { apiUrl: { S: 'not a url' } } },
      worker: { M: { cpu: { N: '3' } } },
    };

    // Act
    await putWithBoto3(runner.endpoint, runner.table, [specItem('broken', spec)]);

    // Assess
    const status = await eventually(() => runner.readStatus('broken'), 10_000, 'status item');
    expect(status.phase).toBe('Invalid');
    const paths = (status.validationErrors as { path: string }[]).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['spec.prefect.apiUrl', 'spec.worker.cpu']));
    await runner.stdout.waitFor(/^pool broken: Invalid \(workers 0\/0\) SpecInvalid: /, 5_000, explain);
    expect(await runner.findService(`${localInstanceId}-broken`)).toBeUndefined();
    expect(await runner.findSecurityGroup(`${localInstanceId}-broken-workers`)).toBeUndefined();
    expect(await runner.findTaskDefinition(`${localInstanceId}-broken`)).toBeUndefined();
  });

  it('keeps stdout to the ready line and phase lines, and on SIGINT stops moto and exits 0', async () => {
    // Act
    const exited = await runner.interrupt();

    // Assess
    expect(exited, explain()).toEqual({ code: 0, signal: null });
    expect(runner.stdout.lines.filter((line) => !/^(ready: |pool )/.test(line))).toEqual([]);
    expect(runner.stdout.lines.filter((line) => readyLine.test(line))).toHaveLength(1);
    // The controller's logs went to the log file, not to the terminal.
    expect(runner.readLog()).toContain('"message": "reconciled"');
    await expect(
      fetch(`${runner.endpoint}/moto-api/config`, { signal: AbortSignal.timeout(2_000) }),
    ).rejects.toThrow();
  });
});

describe('npm start with PREFECT_API_ACCESS, and an alarm set to ALARM by hand', () => {
  let prefect: PrefectStub;
  let runner: LocalRunner;
  const explain = () => runner.explain();
  const autoSpec = {
    ...prefectConnection,
    worker: { M: { cpu: { N: '256' }, memory: { N: '512' } } },
    scaling: {
      M: {
        minWorkers: { N: '1' },
        maxWorkers: { N: '10' },
        backlogPerWorker: { N: '5' },
        scaleOutCooldownSeconds: { N: '60' },
        scaleInCooldownSeconds: { N: '300' },
      },
    },
  };

  beforeAll(async () => {
    if (!withPrefect) throw new Error('the runner with Prefect was not started');
    ({ prefect, runner } = await withPrefect);
  }, 70_000);

  it('scales the pool from the state change, as the EventBridge event would, and prints the scale', async () => {
    // Prepare: an auto pool at its minimum of one worker, reconciled, so its alarms exist.
    await putWithBoto3(runner.endpoint, runner.table, [specItem(pool, autoSpec)]);
    await eventually(() => runner.readStatus(pool), 10_000, 'status item');
    expect((await runner.findService(`${localInstanceId}-${pool}`))?.desiredCount).toBe(1);

    // Act: what CloudWatch would do once the backlog per worker crossed the threshold.
    await setAlarmStateWithBoto3(runner.endpoint, `${localInstanceId}-${pool}-backlog-scale-out`, 'ALARM', {
      version: '1.0',
      recentDatapoints: [23.0],
      threshold: 5.0,
    });
    const setAt = Date.now();

    // Assess: the datapoint (23 waiting runs for 1 worker) at 5 per worker asks for 5 workers.
    await eventually(
      async () => {
        const service = await runner.findService(`${localInstanceId}-${pool}`);
        return service?.desiredCount === 5 ? service : undefined;
      },
      5_000,
      'desired count 5',
      25,
    );
    expect(Date.now() - setAt).toBeLessThan(15_000);
    const status = await runner.readStatus(pool);
    expect(status?.scaling).toMatchObject({
      desiredWorkers: 5,
      lastScaleDirection: 'out',
      lastScaleReason: 'backlog 23 at 5 per worker: 1 → 5 workers',
    });
    // The alarm's own role, not the schedule's "(still in ALARM)" re-evaluation or scale-from-zero.
    expect(status?.scaling?.recentDecisions?.[0]).toMatchObject({
      trigger: 'backlog-scale-out',
      outcome: 'scale',
      code: 'BacklogAboveTarget',
      from: 1,
      to: 5,
    });
    await runner.stdout.waitFor(
      /^pool etl: scaled 1 → 5 \(backlog-scale-out: backlog 23 at 5 per worker\)$/,
      5_000,
      explain,
    );
  });

  it('reaches Prefect at that URL for every pool: work pools made there, backlog read from there', async () => {
    // Prepare / act: the example pool and the pool above, and the drift passes since.

    const status = await eventually(
      async () => {
        const read = await runner.readStatus(pool);
        return read?.backlog?.count === 4 ? read : undefined;
      },
      5_000,
      'the backlog Prefect reports',
    );

    // Assess
    expect(status.backlog?.message).toBeUndefined();
    expect(condition(status, 'PrefectSynced')).toMatchObject({ status: 'True', reason: 'WorkPoolSynced' });
    const example = await runner.readStatus('analytics');
    expect(condition(example, 'PrefectSynced')).toMatchObject({ status: 'True', reason: 'WorkPoolSynced' });
    expect([...prefect.workPools.keys()].sort()).toEqual(['analytics', pool]);
    // Only the alarm scaled it: the drift passes since kept the scaler's 5.
    expect((await runner.findService(`${localInstanceId}-${pool}`))?.desiredCount).toBe(5);
  });

  it('keeps stdout to the ready, phase and scale lines, and exits 0 on SIGINT', async () => {
    // Act
    const exited = await runner.interrupt();

    // Assess
    expect(exited, explain()).toEqual({ code: 0, signal: null });
    expect(runner.stdout.lines.filter((line) => !/^(ready: |pool )/.test(line))).toEqual([]);
    expect(runner.readLog()).toContain('"message": "alarm state change"');
  });
});

describe('StreamPoller', () => {
  let aws: TestAws;
  let dynamodb: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  const silent = { info: () => {}, warn: () => {}, error: () => {} };

  beforeAll(async () => {
    aws = await startTestAws();
    const config = { endpoint: aws.endpoint, region: aws.infra.region };
    dynamodb = new DynamoDBClient(config);
    streams = new DynamoDBStreamsClient(config);
  });

  afterAll(async () => {
    dynamodb?.destroy();
    streams?.destroy();
    await aws?.stop();
  });

  const put = (pk: string, sk: string) =>
    dynamodb.send(
      new PutItemCommand({ TableName: aws.infra.tableName, Item: { pk: { S: pk }, sk: { S: sk } } }),
    );
  const poolsOf = (records: readonly DynamoDBRecord[]) =>
    records.map((record) => record.dynamodb?.Keys?.pk?.S);
  const failing = (records: readonly DynamoDBRecord[], pool: string): DynamoDBBatchResponse => ({
    batchItemFailures: records
      .filter((record) => record.dynamodb?.Keys?.pk?.S === pool)
      .map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })),
  });

  it('delivers spec records only, again from the first failed one, and skips them after the last retry', async () => {
    // Prepare: status items must not reach the handler; pool "b" fails every time.
    await put('a', 'spec');
    await put('a', 'status');
    await put('b', 'spec');
    await put('c', 'spec');
    const deliveries: (string | undefined)[][] = [];
    const discarded: (string | undefined)[][] = [];
    const poller = new StreamPoller({
      streams,
      streamArn: aws.infra.tableStreamArn,
      handler: async (event) => {
        deliveries.push(poolsOf(event.Records));
        return failing(event.Records, 'b');
      },
      logger: silent,
      pollIntervalMs: 20,
      maximumRetryAttempts: 2,
      retryDelayMs: () => 20,
      onDiscarded: (records) => discarded.push(poolsOf(records)),
    });

    // Act
    poller.start();
    await eventually(async () => (discarded.length > 0 ? true : undefined), 5_000, 'discarded records');
    await put('d', 'spec');
    await eventually(
      async () => (deliveries.some((d) => d.includes('d')) ? true : undefined),
      5_000,
      'pool d',
    );
    await poller.stop();

    // Assess
    expect(deliveries).toEqual([['a', 'b', 'c'], ['b', 'c'], ['b', 'c'], ['d']]);
    expect(discarded).toEqual([['b', 'c']]);
  });
});

/**
 * Local mode end to end: `controller/local/main.ts` as a child process with no AWS in its environment,
 * items put into its table by boto3 (not the project's code), the state of the world read back from
 * moto. The stream poller's delivery rules are checked on their own against a moto table.
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
import { startTestAws, type TestAws } from '../support/testEnvironment.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const readyLine = /^ready: endpoint=(http:\/\/127\.0\.0\.1:\d+) table=(\S+) cluster=(\S+)$/;
const localInstanceId = 'local';

/** The caller's environment without anything that would point the runner at an AWS. */
function environmentWithoutAws(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(AWS_|POWERTOOLS_|LOCAL_)/.test(name)) continue;
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

/** Puts DynamoDB-JSON items with boto3: a plain client, as a user would, not the project's code. */
function putWithBoto3(endpoint: string, table: string, items: readonly object[]): Promise<void> {
  const script = [
    'import boto3, json, sys',
    "client = boto3.client('dynamodb', endpoint_url=sys.argv[1], region_name='us-east-1',",
    "                      aws_access_key_id='testing', aws_secret_access_key='testing')",
    'for item in json.loads(sys.argv[3]):',
    '    client.put_item(TableName=sys.argv[2], Item=item)',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const python = spawn('python3', ['-c', script, endpoint, table, JSON.stringify(items)], {
      env: environmentWithoutAws({}),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    python.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    python.once('error', reject);
    python.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`boto3 put-item failed (${code}): ${stderr}`)),
    );
  });
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
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

describe('npm start on a machine without AWS', () => {
  let child: ChildProcessWithoutNullStreams;
  let stdout: LineWatcher;
  let stderr = '';
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let endpoint: string;
  let table: string;
  let cluster: string;
  let clients: { ecs: ECSClient; ec2: EC2Client; dynamodb: DynamoDBClient };
  const logFile = join(mkdtempSync(join(tmpdir(), 'local-mode-')), 'controller.log');
  const explain = () =>
    `stdout:\n${stdout.lines.join('\n')}\nstderr:\n${stderr}\nlog tail:\n${readLog().slice(-3000)}`;
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'controller/local/main.ts'], {
      cwd: projectRoot,
      env: environmentWithoutAws({ LOCAL_LOG: logFile }),
    });
    stdout = new LineWatcher(child.stdout);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

    const ready = await stdout.waitFor(readyLine, 60_000, explain);
    [, endpoint = '', table = '', cluster = ''] = readyLine.exec(ready) ?? [];
    const config = {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    clients = {
      ecs: new ECSClient(config),
      ec2: new EC2Client(config),
      dynamodb: new DynamoDBClient(config),
    };
  }, 70_000);

  afterAll(() => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const readStatus = async (pool: string): Promise<Record<string, unknown> | undefined> => {
    const answer = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: pool }, sk: { S: 'status' } },
        ConsistentRead: true,
      }),
    );
    return answer.Item ? (unmarshall(answer.Item).status as Record<string, unknown>) : undefined;
  };
  const findService = async (name: string) => {
    const answer = await clients.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
    return answer.services?.find((service) => service.status === 'ACTIVE');
  };
  const findSecurityGroup = async (name: string) => {
    const answer = await clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }] }),
    );
    return answer.SecurityGroups?.[0];
  };
  const findTaskDefinition = async (family: string) => {
    try {
      return (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family })))
        .taskDefinition;
    } catch {
      return undefined;
    }
  };

  it('prints one ready line naming its moto, table and cluster, then the example pool reaching Ready', async () => {
    // Prepare / act: started in beforeAll.

    const phase = await stdout.waitFor(/^pool analytics: /, 15_000, explain);

    // Assess
    expect(stdout.lines.filter((line) => line.startsWith('ready:'))).toHaveLength(1);
    expect(table).toBe('prefect-ecs-operator-local-pools');
    expect(cluster).toBe('prefect-ecs-operator-local');
    // minWorkers 0 and no backlog: nothing needs to run, which moto can show truthfully.
    expect(phase).toBe('pool analytics: Ready (workers 0/0) ScaledToZero');
    expect(await findService(`${localInstanceId}-analytics`)).toBeDefined();
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
    await putWithBoto3(endpoint, table, [specItem('reports', spec)]);

    // Assess
    const [securityGroup, taskDefinition, service, status] = await Promise.all([
      eventually(() => findSecurityGroup(`${localInstanceId}-reports-workers`), 10_000, 'security group'),
      eventually(() => findTaskDefinition(`${localInstanceId}-reports`), 10_000, 'task definition'),
      eventually(() => findService(`${localInstanceId}-reports`), 10_000, 'service'),
      eventually(() => readStatus('reports'), 10_000, 'status item'),
    ]);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(securityGroup.GroupId).toMatch(/^sg-/);
    expect(taskDefinition.cpu).toBe('256');
    expect(service.desiredCount).toBe(2);
    // moto starts no tasks: two workers wanted, none running, so the pool waits in Provisioning.
    expect(status).toMatchObject({ phase: 'Provisioning', workers: { desired: 2, running: 0 } });
    await stdout.waitFor(/^pool reports: Provisioning \(workers 0\/2\) WorkersStarting$/, 5_000, explain);
  });

  it('marks an invalid spec item Invalid with the paths of its problems and creates nothing for it', async () => {
    // Prepare
    const spec = {
      prefect: { M: { apiUrl: { S: 'not a url' } } },
      worker: { M: { cpu: { N: '3' } } },
    };

    // Act
    await putWithBoto3(endpoint, table, [specItem('broken', spec)]);

    // Assess
    const status = await eventually(() => readStatus('broken'), 10_000, 'status item');
    expect(status.phase).toBe('Invalid');
    const paths = (status.validationErrors as { path: string }[]).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['spec.prefect.apiUrl', 'spec.worker.cpu']));
    await stdout.waitFor(/^pool broken: Invalid \(workers 0\/0\) SpecInvalid: /, 5_000, explain);
    expect(await findService(`${localInstanceId}-broken`)).toBeUndefined();
    expect(await findSecurityGroup(`${localInstanceId}-broken-workers`)).toBeUndefined();
    expect(await findTaskDefinition(`${localInstanceId}-broken`)).toBeUndefined();
  });

  it('keeps stdout to the ready line and phase lines, and on SIGINT stops moto and exits 0', async () => {
    // Act
    child.kill('SIGINT');
    const exited = await Promise.race([
      exit,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 15_000)),
    ]);

    // Assess
    expect(exited, explain()).toEqual({ code: 0, signal: null });
    expect(stdout.lines.filter((line) => !/^(ready: |pool )/.test(line))).toEqual([]);
    expect(stdout.lines.filter((line) => readyLine.test(line))).toHaveLength(1);
    // The controller's logs went to the log file, not to the terminal.
    expect(readLog()).toContain('"message": "reconciled"');
    await expect(
      fetch(`${endpoint}/moto-api/config`, { signal: AbortSignal.timeout(2_000) }),
    ).rejects.toThrow();
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

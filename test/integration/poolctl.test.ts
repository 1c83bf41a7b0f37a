/**
 * poolctl end to end: local mode (`controller/local/main.ts`) as a child process, and `bin/poolctl.mjs`
 * run as a user would, with no flags and no AWS in its environment: it finds the table through the local
 * mode's runtime file. One local mode serves the whole file. The conditional write is checked directly
 * against the same moto with a concurrent change made behind poolctl's back.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specItemFor } from '../../controller/cli/applyCommand.js';
import { ApplyConflictError } from '../../controller/cli/poolctlErrors.js';
import { PoolctlTable } from '../../controller/cli/poolctlTable.js';
import { findLocalRuntime, resolveTableTarget } from '../../controller/cli/tableTarget.js';
import type { LocalRuntimeInfo } from '../../controller/local/localRuntimeFile.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const readyLine = /^ready: endpoint=(\S+) table=(\S+) cluster=(\S+)$/;
const workDir = mkdtempSync(join(tmpdir(), 'poolctl-it-'));
const runtimeFile = join(workDir, 'runtime.json');

/** The caller's environment without anything that points at an AWS or a controller configuration. */
function cleanEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      /^(AWS_|POWERTOOLS_|LOCAL_|POOL_TABLE_NAME|CONTROLLER_INSTANCE_ID|ALLOWED_|DEFAULT_WORKER_)/.test(name)
    )
      continue;
    env[name] = value;
  }
  // Only where the runtime file is: the test's own local mode, never a developer's `npm start`.
  return { ...env, LOCAL_RUNTIME_FILE: runtimeFile, NO_COLOR: '1', ...extra };
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `node bin/poolctl.mjs ...` as a child, like `npx poolctl`. */
function poolctl(...args: string[]): Promise<Run> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/poolctl.mjs', ...args], {
      cwd: projectRoot,
      env: cleanEnvironment({}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - startedAt }));
  });
}

function explain(run: Run): string {
  return `exit ${run.code} after ${run.ms} ms\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

describe('poolctl against local mode', () => {
  let child: ChildProcessWithoutNullStreams;
  const lines: string[] = [];
  let stderr = '';
  let runtime: LocalRuntimeInfo;
  let documents: DynamoDBDocumentClient;

  const waitForLine = (pattern: RegExp, timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const look = () => {
        const found = lines.find((line) => pattern.test(line));
        if (found !== undefined) resolve(found);
        else if (Date.now() > deadline || child.exitCode !== null) {
          reject(new Error(`no line matching ${pattern}\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
        } else setTimeout(look, 50);
      };
      look();
    });

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'controller/local/main.ts'], {
      cwd: projectRoot,
      // A drift pass (which also takes manual scale requests) every 2 s instead of 15 s.
      env: cleanEnvironment({ LOCAL_LOG: join(workDir, 'controller.log'), LOCAL_SCHEDULE_SECONDS: '2' }),
    });
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForLine(readyLine, 60_000);
    // The runner puts the example pool itself right after its ready line: let that settle first.
    await waitForLine(/^pool analytics: /, 15_000);
    const found = findLocalRuntime({ path: runtimeFile });
    if (!found) throw new Error(`no live local mode in ${runtimeFile}`);
    runtime = found;
    documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: runtime.endpoint,
        region: runtime.region,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      }),
    );
  }, 80_000);

  afterAll(async () => {
    documents?.destroy();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  const readItem = async (pk: string, sk: string) =>
    (
      await documents.send(
        new GetCommand({ TableName: runtime.table, Key: { pk, sk }, ConsistentRead: true }),
      )
    ).Item;

  it('writes a runtime file naming its moto, table and the controller configuration', () => {
    const [, endpoint, table] = readyLine.exec(lines[0] ?? '') ?? [];

    expect(runtime).toMatchObject({
      endpoint,
      table,
      region: 'us-east-1',
      instanceId: 'local',
      pid: child.pid,
    });
    expect(runtime.validation.allowedSecretArnPrefix).toMatch(
      /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:prefect\/$/,
    );
  });

  it('applies examples/ with --wait and no flags: every pool ends Ready or settled for local mode, exit 0', async () => {
    // act
    const run = await poolctl('apply', '-f', 'examples/', '--wait');

    // assess
    expect(run.code, explain(run)).toBe(0);
    const out = run.stdout.split('\n');
    expect(out).toContain('pool ml-training: created (generation 1)');
    // Local mode put the same manifest already (as a user's put-item would): nothing to write.
    expect(out).toContain('pool analytics: unchanged');
    expect(out).toContain('pool analytics: Ready (workers 0/0) ScaledToZero');
    expect(out).toContain(
      'pool ml-training: Provisioning (workers 0/1) WorkersStarting — settled: as far as a pool with workers gets on local mode, where moto starts no tasks (docs/local-mode.md)',
    );
    expect(run.stderr).toBe('');
    expect(await readItem('ml-training', 'spec')).toMatchObject({
      metadata: { name: 'ml-training', generation: 1 },
    });
    expect(run.ms).toBeLessThan(20_000);
  });

  it('rejects an invalid file with exit 2, the file, line and field path, and writes nothing', async () => {
    // prepare
    const file = join(workDir, 'broken.yaml');
    writeFileSync(
      file,
      [
        '# yaml-language-server: $schema=../schemas/prefect-worker-pool.v1.json',
        'apiVersion: prefect-ecs-operator/v1',
        'kind: PrefectWorkerPool',
        'metadata:',
        '  name: broken',
        'spec:',
        '  prefect:',
        '    apiUrl: https://api.prefect.cloud/api/accounts/a/workspaces/w',
        '    apiKeySecretArn: arn:aws:secretsmanager:us-east-1:123456789012:secret:elsewhere/key',
        '  worker:',
        '    cpu: 2048',
        '    memory: 1024',
      ].join('\n'),
    );

    // act
    const run = await poolctl('apply', '-f', file);

    // assess
    expect(run.code, explain(run)).toBe(2);
    expect(run.stderr).toContain(
      `${file}:12: pool broken: spec.worker.memory: 1024 MiB is not a valid Fargate size`,
    );
    // The local mode's configuration is known, so the secret prefix is checked too.
    expect(run.stderr).toContain(
      `${file}:9: pool broken: spec.prefect.apiKeySecretArn: secret is outside the allowed prefix`,
    );
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      'error: 1 of 1 manifest is invalid; nothing was applied',
    );
    expect(await readItem('broken', 'spec')).toBeUndefined();
  });

  it('shows the change of a manifest, writes the next generation, and then finds nothing to change', async () => {
    // prepare
    const original = readFileSync(join(projectRoot, 'examples/process-pool.yaml'), 'utf8');
    const file = join(workDir, 'analytics.yaml');
    writeFileSync(file, original.replace('maxWorkers: 10', 'maxWorkers: 5'));

    // act
    const dryRun = await poolctl('apply', '-f', file, '--dry-run');
    const applied = await poolctl('apply', '-f', file, '--wait');
    const again = await poolctl('apply', '-f', file);

    // assess
    expect(dryRun.code, explain(dryRun)).toBe(0);
    expect(dryRun.stdout).toContain('pool analytics: would be configured');
    expect(dryRun.stdout).toContain('  ~ spec.scaling.maxWorkers: 10 → 5');
    expect(applied.code, explain(applied)).toBe(0);
    expect(applied.stdout).toMatch(
      /^pool analytics: configured \(generation \d+\)\n {2}~ spec\.scaling\.maxWorkers: 10 → 5\n/,
    );
    expect(applied.stdout).toContain('pool analytics: Ready (workers 0/0) ScaledToZero');
    expect(again.stdout).toBe('pool analytics: unchanged\n');
    expect(await readItem('analytics', 'spec')).toMatchObject({ spec: { scaling: { maxWorkers: 5 } } });
  });

  it('lists pools as a table and as JSON, and describes one', async () => {
    const [table, json, described] = await Promise.all([
      poolctl('get'),
      poolctl('get', '-o', 'json'),
      poolctl('describe', 'analytics'),
    ]);

    expect(table.code, explain(table)).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+PHASE\s+WORKERS\s+BACKLOG\s+AGE$/);
    expect(table.stdout).toMatch(/\nanalytics\s+Ready\s+0\/0\s+-\s+\d+s\n/);
    expect(table.stdout).toMatch(/\nml-training\s+Provisioning\s+0\/1\s+-\s+\d+s\n/);
    const list = JSON.parse(json.stdout) as {
      kind: string;
      items: { metadata: { name: string }; status?: { phase: string } }[];
    };
    expect(list.kind).toBe('PrefectWorkerPoolList');
    expect(list.items.map((item) => [item.metadata.name, item.status?.phase])).toEqual(
      expect.arrayContaining([
        ['analytics', 'Ready'],
        ['ml-training', 'Provisioning'],
      ]),
    );
    expect(described.code, explain(described)).toBe(0);
    expect(described.stdout).toContain('Phase:           Ready (workers 0/0) ScaledToZero');
    expect(described.stdout).toMatch(/Valid\s+True\s+SpecValid/);
    expect(described.stdout).toContain('Service:         arn:aws:ecs:us-east-1:');
  });

  it('checks a scale request locally, and with --wait reports the decision the controller recorded', async () => {
    // act
    const outOfBounds = await poolctl('scale', 'analytics', '--workers', '50');
    const fixed = await poolctl('scale', 'ml-training', '--workers', '2');
    const missing = await poolctl('scale', 'nope', '--workers', '1');
    const requested = await poolctl('scale', 'analytics', '--workers', '2', '--wait', '--timeout', '30s');

    // assess
    expect(outOfBounds.code, explain(outOfBounds)).toBe(2);
    expect(outOfBounds.stderr).toBe(
      "error: --workers 50 is outside pool analytics's bounds [0, 5] (spec.scaling.minWorkers, spec.scaling.maxWorkers)\n",
    );
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toMatch(/^error: pool ml-training is in fixed mode/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('error: pool nope not found\n');
    expect(requested.code, explain(requested)).toBe(0);
    expect(requested.stdout.split('\n')[0]).toBe('pool analytics: scale to 2 requested (now 0)');
    expect(requested.stdout).toMatch(
      /\npool analytics: scale 0→2 \(ManualScale: manual request by .+@.+\)\n$/,
    );
    // The controller consumed the request and recorded it as manual.
    expect(await readItem('analytics', 'scale')).toBeUndefined();
    const status = (await readItem('analytics', 'status'))?.status as {
      scaling: { recentDecisions: { trigger: string; to: number }[] };
    };
    expect(status.scaling.recentDecisions[0]).toMatchObject({ trigger: 'manual', to: 2 });
  });

  it('never overwrites a spec item that changed between its read and its write', async () => {
    // prepare: poolctl's table access, found the way poolctl finds it.
    const table = new PoolctlTable(resolveTableTarget({}, {}, () => runtime));
    const read = await table.readSpec('ml-training');
    if (!read.exists) throw new Error('ml-training should exist');
    // Someone else applies in between (a plain put-item, keeping the generation).
    const theirs = { ...read.item, spec: { ...(read.item.spec as object), tags: { Owner: 'someone-else' } } };
    await documents.send(new PutCommand({ TableName: runtime.table, Item: theirs }));
    const ours = specItemFor(read.item, 'ml-training', 2);

    try {
      // act / assess
      await expect(table.writeSpec(ours, read)).rejects.toThrow(ApplyConflictError);
      await expect(table.writeSpec(ours, read)).rejects.toThrow(
        'pool ml-training changed since it was read (someone else applied it); re-run apply to see the new diff',
      );
      expect(await readItem('ml-training', 'spec')).toEqual(theirs);
      // A pool created by someone else after poolctl found none is not overwritten either.
      await expect(table.writeSpec(ours, { exists: false })).rejects.toThrow(ApplyConflictError);
      // From fresh reads the write goes through.
      await table.writeSpec(ours, await table.readSpec('ml-training'));
      expect(await readItem('ml-training', 'spec')).toMatchObject({ metadata: { generation: 2 } });
    } finally {
      table.destroy();
    }
  });

  it('deletes a pool with --wait until its status item is gone', async () => {
    // act
    const run = await poolctl('delete', 'ml-training', '--wait');
    const after = await poolctl('get', 'ml-training');

    // assess
    expect(run.code, explain(run)).toBe(0);
    expect(run.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'pool ml-training: deleted (the controller now removes its resources)',
        'pool ml-training: deleted',
      ]),
    );
    expect(await readItem('ml-training', 'status')).toBeUndefined();
    expect(after.code).toBe(2);
    expect(after.stderr).toBe('error: pool ml-training not found\n');
  });

  it('removes its runtime file when it stops, after which poolctl finds no table', async () => {
    // act
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    const run = await poolctl('get');

    // assess
    expect(existsSync(runtimeFile)).toBe(false);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^error: no pool table found: /);
  });
});

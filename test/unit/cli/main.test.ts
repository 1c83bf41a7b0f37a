import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PoolctlIo } from '../../../controller/cli/commandContext.js';
import { runPoolctl } from '../../../controller/cli/main.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** Runs poolctl in-process with captured output, no environment and no local mode. */
async function poolctl(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: PoolctlIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    readStdin: async () => '',
    findLocalRuntime: () => undefined,
    now: () => new Date('2025-01-01T00:00:00Z'),
  };
  const code = await runPoolctl(argv, io);
  return { code, stdout, stderr };
}

describe('poolctl --help', () => {
  it('documents the exit codes and where the table is found', async () => {
    const { code, stdout } = await poolctl('--help');

    expect(code).toBe(0);
    expect(stdout).toContain('Exit codes:');
    expect(stdout).toMatch(/3\s+conflict/);
    expect(stdout).toContain('.local/runtime.json');
  });

  it.each(['apply', 'get', 'describe', 'delete', 'validate', 'scale'])(
    'shows an example for %s',
    async (command) => {
      const { code, stdout } = await poolctl(command, '--help');

      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`Examples?:\\n  \\$ poolctl ${command}`));
    },
  );
});

describe('poolctl usage errors', () => {
  it.each([
    [['bogus'], "error: unknown command 'bogus'"],
    [
      ['get', '--output', 'xml'],
      "error: option '-o, --output <format>' argument 'xml' is invalid. expected json, yaml or wide.",
    ],
    [['scale', 'analytics'], "error: required option '--workers <count>' not specified"],
    [['apply'], "error: required option '-f, --filename <path>' not specified"],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const { code, stderr } = await poolctl(...argv);

    expect(code).toBe(2);
    expect(stderr).toBe(`${message}\n`);
  });

  it('rejects --wait with --dry-run', async () => {
    const { code, stderr } = await poolctl('apply', '-f', examples, '--dry-run', '--wait', '--table', 't');

    expect(code).toBe(2);
    expect(stderr).toBe('error: --wait cannot be combined with --dry-run\n');
  });
});

describe('poolctl without a table', () => {
  it('says how to name one and exits 4', async () => {
    const { code, stdout, stderr } = await poolctl('get');

    expect(code).toBe(4);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'error: no pool table found: pass --table (and --endpoint-url for local AWS), set POOL_TABLE_NAME, or start local mode with npm start\n',
    );
  });
});

describe('poolctl validate', () => {
  it('accepts the examples without any table', async () => {
    const { code, stdout } = await poolctl('validate', '-f', examples);

    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^pool ml-training: valid \(.*ecs-pool\.yaml:4\)\npool analytics: valid \(.*process-pool\.yaml:4\)\n$/,
    );
  });

  it('reports every problem with file, line, manifest and field path, and exits 2', async () => {
    // prepare
    const file = join(mkdtempSync(join(tmpdir(), 'poolctl-')), 'bad.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: prefect-ecs-operator/v1',
        'kind: PrefectWorkerPool',
        'metadata:',
        '  name: broken',
        'spec:',
        '  prefect:',
        '    apiUrl: https://p.example/api',
        '  worker:',
        '    cpu: 2048',
        '    memory: 1024',
        '  scaling:',
        '    mode: fixed',
      ].join('\n'),
    );

    // act
    const { code, stderr } = await poolctl('validate', '-f', file);

    // assess
    expect(code).toBe(2);
    expect(stderr.split('\n')).toEqual([
      `${file}:10: pool broken: spec.worker.memory: 1024 MiB is not a valid Fargate size for cpu 2048; expected 4096 to 16384 in steps of 1024`,
      `${file}:11: pool broken: spec.scaling.workers: is required when mode is "fixed"`,
      expect.stringMatching(/^note: not checked here/),
      'error: 1 of 1 manifest is invalid',
      '',
    ]);
  });
});

describe('poolctl --version', () => {
  it('prints the package version', async () => {
    const { code, stdout } = await poolctl('--version');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  manifestLabel,
  parseFieldPath,
  parseManifests,
  readManifests,
} from '../../../controller/cli/manifestFiles.js';
import { ManifestFileError } from '../../../controller/cli/poolctlErrors.js';

const noStdin = { readStdin: () => Promise.reject(new Error('stdin not expected')) };

function manifestYaml(name: string, extra = ''): string {
  return [
    'apiVersion: prefect-ecs-operator/v1',
    'kind: PrefectWorkerPool',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  prefect:',
    '    apiUrl: https://api.prefect.cloud/api/accounts/a/workspaces/w',
    extra,
  ].join('\n');
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'poolctl-manifests-'));
}

describe('parseManifests', () => {
  it('reads every document of a multi-document YAML file with its index and first line', () => {
    // prepare
    const text = `# yaml-language-server: $schema=../schemas/prefect-worker-pool.v1.json\n${manifestYaml('one')}\n---\n${manifestYaml('two')}\n`;

    // act
    const manifests = parseManifests(text, 'pools.yaml');

    // assess
    expect(manifests.map((m) => (m.value as { metadata: { name: string } }).metadata.name)).toEqual([
      'one',
      'two',
    ]);
    expect(manifests.map((m) => m.origin)).toEqual([
      { file: 'pools.yaml', document: 1, documentsInFile: 2, line: 2 },
      { file: 'pools.yaml', document: 2, documentsInFile: 2, line: 11 },
    ]);
  });

  it('skips empty documents such as the one after a trailing ---', () => {
    const manifests = parseManifests(`---\n${manifestYaml('one')}\n---\n# nothing here\n`, 'a.yaml');

    expect(manifests).toHaveLength(1);
    expect(manifests[0]?.origin.documentsInFile).toBe(1);
  });

  it('reads a JSON file holding one manifest', () => {
    const json = JSON.stringify(
      { apiVersion: 'prefect-ecs-operator/v1', kind: 'PrefectWorkerPool', metadata: { name: 'j' }, spec: {} },
      null,
      2,
    );

    const manifests = parseManifests(json, 'pool.json');

    expect(manifests).toHaveLength(1);
    expect(manifests[0]?.value).toMatchObject({ metadata: { name: 'j' } });
  });

  it('reads a JSON list as one manifest per entry', () => {
    const json = JSON.stringify([{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }], null, 2);

    const manifests = parseManifests(json, 'pools.json');

    expect(manifests.map((m) => m.origin.item)).toEqual([1, 2]);
    expect(manifests.map((m) => manifestLabel(m))).toEqual(['pool a (item 1)', 'pool b (item 2)']);
  });

  it('reports a syntax error as file:line:column', () => {
    const text = 'apiVersion: prefect-ecs-operator/v1\nmetadata:\n  name: [unclosed\n';

    expect(() => parseManifests(text, 'broken.yaml')).toThrow(ManifestFileError);
    expect(() => parseManifests(text, 'broken.yaml')).toThrow(/^broken\.yaml:\d+:\d+: cannot parse: /);
  });

  it('reports a duplicate key, which YAML forbids, at its line', () => {
    const text = 'metadata:\n  name: a\n  name: b\n';

    expect(() => parseManifests(text, 'dup.yaml')).toThrow(/^dup\.yaml:3:\d+: cannot parse: .*unique/i);
  });

  it('finds the line of a field from its validation path', () => {
    // prepare
    const text = [
      'apiVersion: prefect-ecs-operator/v1', // 1
      'kind: PrefectWorkerPool', // 2
      'metadata:', // 3
      '  name: egress', // 4
      'spec:', // 5
      '  network:', // 6
      '    egress:', // 7
      '      - port: 443', // 8
      '        cidr: 0.0.0.0/0', // 9
      '      - port: 80', // 10
      '  tags:', // 11
      '    "Cost Center": x', // 12
    ].join('\n');

    // act
    const [manifest] = parseManifests(text, 'a.yaml');

    // assess
    expect(manifest?.lineOf('metadata.name')).toBe(4);
    expect(manifest?.lineOf('spec.network.egress[0].cidr')).toBe(9);
    expect(manifest?.lineOf('spec.network.egress[1]')).toBe(10);
    expect(manifest?.lineOf('spec.tags["Cost Center"]')).toBe(12);
    // A missing field: the nearest parent that is there.
    expect(manifest?.lineOf('spec.network.egress[1].cidr')).toBe(10);
    expect(manifest?.lineOf('spec.worker.cpu')).toBe(5);
    expect(manifest?.lineOf('(item)')).toBe(1);
  });

  it('names a manifest by its pool, and by its document when the file has several', () => {
    const [single] = parseManifests(manifestYaml('solo'), 'a.yaml');
    const several = parseManifests(`${manifestYaml('x')}\n---\nkind: nothing\n`, 'b.yaml');

    expect(single && manifestLabel(single)).toBe('pool solo');
    expect(several.map((m) => manifestLabel(m))).toEqual(['pool x (document 1)', 'document 2']);
  });
});

describe('parseFieldPath', () => {
  it.each([
    ['spec.worker.memory', ['spec', 'worker', 'memory']],
    ['spec.network.egress[0].cidr', ['spec', 'network', 'egress', 0, 'cidr']],
    ['spec.tags["Cost Center"]', ['spec', 'tags', 'Cost Center']],
    ['spec.tags["2024"]', ['spec', 'tags', '2024']],
    ['spec.tags["a\\"b"]', ['spec', 'tags', 'a"b']],
    ['(item)', []],
  ])('splits %s', (path, segments) => {
    expect(parseFieldPath(path)).toEqual(segments);
  });
});

describe('readManifests', () => {
  it('reads the *.yaml, *.yml and *.json files of a directory in name order, ignoring others and subdirectories', async () => {
    // prepare
    const dir = tempDir();
    writeFileSync(join(dir, 'b.yml'), manifestYaml('b'));
    writeFileSync(join(dir, 'a.yaml'), manifestYaml('a'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ metadata: { name: 'c' } }));
    writeFileSync(join(dir, 'README.md'), '# not a manifest');
    mkdirSync(join(dir, 'nested.yaml'));

    // act
    const manifests = await readManifests([dir], noStdin);

    // assess
    expect(manifests.map((m) => m.origin.file)).toEqual([
      join(dir, 'a.yaml'),
      join(dir, 'b.yml'),
      join(dir, 'c.json'),
    ]);
  });

  it('reads stdin for -', async () => {
    const manifests = await readManifests(['-'], { readStdin: async () => manifestYaml('piped') });

    expect(manifests[0]?.origin.file).toBe('<stdin>');
    expect(manifests[0]?.value).toMatchObject({ metadata: { name: 'piped' } });
  });

  it('reads several sources in the order given', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'z.yaml'), manifestYaml('z'));
    writeFileSync(join(dir, 'y.yaml'), manifestYaml('y'));

    const manifests = await readManifests([join(dir, 'z.yaml'), join(dir, 'y.yaml')], noStdin);

    expect(manifests.map((m) => (m.value as { metadata: { name: string } }).metadata.name)).toEqual([
      'z',
      'y',
    ]);
  });

  it('fails with the path for a file that does not exist', async () => {
    await expect(readManifests(['/nonexistent/pool.yaml'], noStdin)).rejects.toThrow(
      new ManifestFileError('/nonexistent/pool.yaml: no such file or directory'),
    );
  });

  it('fails for a directory without manifests', async () => {
    const dir = tempDir();

    await expect(readManifests([dir], noStdin)).rejects.toThrow(/no manifests in this directory/);
  });

  it('fails for a file holding no manifest at all', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'empty.yaml'), '# only a comment\n');

    await expect(readManifests([join(dir, 'empty.yaml')], noStdin)).rejects.toThrow(
      `${join(dir, 'empty.yaml')}: no manifests in this file`,
    );
  });
});

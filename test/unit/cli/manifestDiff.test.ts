import { describe, expect, it } from 'vitest';
import {
  comparableManifest,
  diffManifests,
  formatValue,
  renderDiff,
  sameManifest,
} from '../../../controller/cli/manifestDiff.js';

function manifest(
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name: 'analytics', ...metadata },
    spec: { prefect: { apiUrl: 'https://p.example/api' }, ...spec },
  };
}

describe('sameManifest', () => {
  it('ignores the table keys, $schema, metadata.generation and key order', () => {
    // prepare
    const stored = {
      pk: 'analytics',
      sk: 'spec',
      ...manifest({ worker: { memory: 1024, cpu: 512 } }, { generation: 4 }),
    };
    const next = { $schema: '../schemas/x.json', ...manifest({ worker: { cpu: 512, memory: 1024 } }) };

    // act / assess
    expect(sameManifest(stored, next)).toBe(true);
    expect(comparableManifest(stored)).toEqual(comparableManifest(next));
  });

  it('sees a changed value', () => {
    expect(sameManifest(manifest({ worker: { cpu: 512 } }), manifest({ worker: { cpu: 1024 } }))).toBe(false);
  });
});

describe('diffManifests', () => {
  it('lists changed, added and removed fields by path', () => {
    // prepare
    const before = manifest(
      { worker: { image: 'a', limit: 4 }, scaling: { minWorkers: 0 } },
      { generation: 2 },
    );
    const after = manifest(
      { worker: { image: 'b' }, scaling: { minWorkers: 0, maxWorkers: 10 } },
      { generation: 3 },
    );

    // act
    const entries = diffManifests(before, after);

    // assess
    expect(entries).toEqual([
      { change: '~', path: 'spec.worker.image', before: 'a', after: 'b' },
      { change: '-', path: 'spec.worker.limit', before: 4 },
      { change: '+', path: 'spec.scaling.maxWorkers', after: 10 },
    ]);
  });

  it('shows a list of plain values as one change', () => {
    const entries = diffManifests(
      manifest({ workPool: { workQueues: ['default'] } }),
      manifest({ workPool: { workQueues: ['default', 'high'] } }),
    );

    expect(entries).toEqual([
      { change: '~', path: 'spec.workPool.workQueues', before: ['default'], after: ['default', 'high'] },
    ]);
  });

  it('compares a list of maps entry by entry', () => {
    const entries = diffManifests(
      manifest({ network: { egress: [{ port: 443, cidr: '0.0.0.0/0' }] } }),
      manifest({
        network: {
          egress: [
            { port: 443, cidr: '10.0.0.0/8' },
            { port: 80, cidr: '0.0.0.0/0' },
          ],
        },
      }),
    );

    expect(entries).toEqual([
      { change: '~', path: 'spec.network.egress[0].cidr', before: '0.0.0.0/0', after: '10.0.0.0/8' },
      { change: '+', path: 'spec.network.egress[1]', after: { port: 80, cidr: '0.0.0.0/0' } },
    ]);
  });

  it('quotes map keys that are not identifiers', () => {
    const entries = diffManifests(
      manifest({ tags: { 'Cost Center': '1' } }),
      manifest({ tags: { 'Cost Center': '2' } }),
    );

    expect(entries.map((e) => e.path)).toEqual(['spec.tags["Cost Center"]']);
  });

  it('finds nothing between a stored item and the same manifest', () => {
    expect(diffManifests({ pk: 'analytics', sk: 'spec', ...manifest({}) }, manifest({}))).toEqual([]);
  });
});

describe('renderDiff', () => {
  const entries = [
    { change: '~' as const, path: 'spec.worker.image', before: 'a', after: 'b' },
    { change: '+' as const, path: 'spec.scaling.maxWorkers', after: 10 },
    { change: '-' as const, path: 'spec.worker.limit', before: 4 },
  ];

  it('renders one indented line per change', () => {
    expect(renderDiff(entries)).toEqual([
      '  ~ spec.worker.image: "a" → "b"',
      '  + spec.scaling.maxWorkers: 10',
      '  - spec.worker.limit: 4',
    ]);
  });

  it('colors each kind of change on a terminal', () => {
    const [changed, added, removed] = renderDiff(entries, { color: true });

    expect(changed).toBe('  \u001b[33m~ spec.worker.image: "a" → "b"\u001b[0m');
    expect(added).toContain('\u001b[32m+');
    expect(removed).toContain('\u001b[31m-');
  });

  it('cuts long values', () => {
    const text = formatValue('x'.repeat(500));

    expect(text).toHaveLength(120);
    expect(text.endsWith('…')).toBe(true);
  });
});

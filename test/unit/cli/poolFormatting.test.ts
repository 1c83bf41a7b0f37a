import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  formatAge,
  phaseSummary,
  poolObject,
  poolSince,
  renderDescribe,
  renderObjects,
  renderPoolTable,
} from '../../../controller/cli/poolFormatting.js';
import type { StoredPool } from '../../../controller/aws/poolTableStore.js';
import { condition, invalidStatus, readyStatus, startingStatus, t0 } from './statusFixtures.js';

const now = new Date('2025-01-01T12:05:00.000Z');

function specItem(
  name: string,
  spec: Record<string, unknown> = {},
  generation?: number,
): Record<string, unknown> {
  return {
    pk: name,
    sk: 'spec',
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name, labels: { team: 'data' }, ...(generation !== undefined ? { generation } : {}) },
    spec: { prefect: { apiUrl: 'https://p.example/api' }, ...spec },
  };
}

const analytics: StoredPool = {
  name: 'analytics',
  spec: specItem('analytics', { scaling: { minWorkers: 0, maxWorkers: 10 } }, 3),
  status: {
    revision: 4,
    status: readyStatus({ observedGeneration: 3, backlog: { count: 7, observedAt: t0 } }),
  },
};
const training: StoredPool = {
  name: 'ml-training',
  spec: specItem('ml-training', {
    workPool: { type: 'ecs' },
    worker: { image: 'prefecthq/prefect-aws:latest', cpu: 256, memory: 512 },
    scaling: { mode: 'fixed', workers: 1 },
  }),
  status: { revision: 1, status: startingStatus() },
};
const fresh: StoredPool = { name: 'fresh', spec: specItem('fresh') };

describe('formatAge', () => {
  it.each([
    ['2025-01-01T12:04:59.000Z', '1s'],
    ['2025-01-01T12:03:01.000Z', '119s'],
    ['2025-01-01T12:03:00.000Z', '2m'],
    ['2025-01-01T10:05:00.000Z', '2h'],
    ['2024-12-29T12:05:00.000Z', '3d'],
    [undefined, '-'],
    ['not a time', '-'],
  ])('shows %s as %s', (since, age) => {
    expect(formatAge(since, now)).toBe(age);
  });
});

describe('phaseSummary', () => {
  it('uses the words local mode prints', () => {
    expect(phaseSummary(startingStatus())).toBe('Provisioning (workers 0/1) WorkersStarting');
    expect(phaseSummary(invalidStatus(), { detail: true })).toBe(
      'Invalid (workers 0/0) SpecInvalid: spec.worker.cpu: expected one of 256, 512',
    );
  });
});

describe('poolSince', () => {
  it('is the oldest transition time among the conditions', () => {
    const status = readyStatus({
      conditions: [
        { ...condition('Valid', 'True', 'SpecValid'), lastTransitionTime: '2025-01-01T11:00:00.000Z' },
        { ...condition('Ready', 'True', 'WorkersRunning'), lastTransitionTime: '2025-01-01T10:00:00.000Z' },
      ],
    });

    expect(poolSince(status)).toBe('2025-01-01T10:00:00.000Z');
  });
});

describe('renderPoolTable', () => {
  it('lists NAME PHASE WORKERS BACKLOG AGE, sorted by name, a pool not yet reconciled as Pending', () => {
    expect(renderPoolTable([training, fresh, analytics], now, false)).toEqual([
      'NAME          PHASE          WORKERS   BACKLOG   AGE',
      'analytics     Ready          0/0       7         5m',
      'fresh         Pending        -         -         -',
      'ml-training   Provisioning   0/1       -         5m',
    ]);
  });

  it('adds TYPE MODE IMAGE REASON when wide', () => {
    const [header, first, , third] = renderPoolTable([training, fresh, analytics], now, true);

    expect(header?.split(/\s+/)).toEqual([
      'NAME',
      'PHASE',
      'WORKERS',
      'BACKLOG',
      'AGE',
      'TYPE',
      'MODE',
      'IMAGE',
      'REASON',
    ]);
    expect(first?.split(/\s+/)).toEqual([
      'analytics',
      'Ready',
      '0/0',
      '7',
      '5m',
      'process',
      'auto',
      '0-10',
      'prefecthq/prefect:3-python3.12',
      'ScaledToZero',
    ]);
    expect(third?.split(/\s+/).slice(5)).toEqual([
      'ecs',
      'fixed',
      '1',
      'prefecthq/prefect-aws:latest',
      'WorkersStarting',
    ]);
  });
});

describe('poolObject and renderObjects', () => {
  it('shows the manifest without the table keys, with its status', () => {
    const object = poolObject(analytics);

    expect(object).not.toHaveProperty('pk');
    expect(object).toMatchObject({
      kind: 'PrefectWorkerPool',
      metadata: { name: 'analytics' },
      status: { phase: 'Ready' },
    });
  });

  it('shows a pool whose spec item is gone by its name and status', () => {
    const object = poolObject({
      name: 'gone',
      status: { revision: 2, status: readyStatus({ phase: 'Deleting' }) },
    });

    expect(object).toMatchObject({ metadata: { name: 'gone' }, status: { phase: 'Deleting' } });
    expect(object).not.toHaveProperty('spec');
  });

  it('renders a list as a PrefectWorkerPoolList in JSON and in YAML', () => {
    const objects = [poolObject(analytics), poolObject(fresh)];

    const json = JSON.parse(renderObjects(objects, 'json')) as { kind: string; items: unknown[] };
    const yaml = parse(renderObjects(objects, 'yaml')) as { kind: string; items: unknown[] };

    expect(json.kind).toBe('PrefectWorkerPoolList');
    expect(json.items).toHaveLength(2);
    expect(yaml).toEqual(json);
  });
});

describe('renderDescribe', () => {
  it('summarizes the spec, then phase, conditions with reasons and ages, resources, decisions and the last error', () => {
    // prepare
    const pool: StoredPool = {
      ...analytics,
      status: {
        revision: 4,
        status: readyStatus({
          observedGeneration: 3,
          scaling: {
            recentDecisions: [
              {
                time: '2025-01-01T12:04:00.000Z',
                trigger: 'manual',
                outcome: 'scale',
                code: 'ManualScale',
                reason: 'requested by ana@host',
                from: 0,
                to: 2,
              },
            ],
          },
          lastError: { code: 'Throttling', message: 'Rate exceeded', time: '2025-01-01T12:04:30.000Z' },
        }),
      },
    };

    // act
    const text = renderDescribe(pool, now).join('\n');

    // assess
    expect(text).toContain('Name:            analytics');
    expect(text).toContain('Labels:          team=data');
    expect(text).toContain('Generation:      3 (observed: 3)');
    expect(text).toContain('Scaling:         auto, 0–10 workers');
    expect(text).toContain('Phase:           Ready (workers 0/0) ScaledToZero');
    expect(text).toMatch(/TYPE\s+STATUS\s+REASON\s+SINCE\s+MESSAGE/);
    expect(text).toMatch(/Provisioned\s+True\s+ResourcesInSync\s+5m/);
    expect(text).toContain('Security group:  sg-1');
    expect(text).toMatch(/60s\s+manual\s+scale\s+0→2\s+ManualScale\s+requested by ana@host/);
    expect(text).toContain('Last error:      Throttling: Rate exceeded (30s ago)');
  });

  it('lists the validation errors of an Invalid pool', () => {
    const text = renderDescribe(
      { name: 'broken', spec: specItem('broken'), status: { revision: 1, status: invalidStatus() } },
      now,
    ).join('\n');

    expect(text).toContain('Validation errors:\n  spec.worker.cpu: expected one of 256, 512');
  });

  it('says when the controller has not reported yet', () => {
    expect(renderDescribe(fresh, now).at(-1)).toBe(
      'Phase:           Pending (the controller has not reported on this pool yet)',
    );
  });
});

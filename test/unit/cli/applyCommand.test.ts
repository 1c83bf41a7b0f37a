import { describe, expect, it } from 'vitest';
import { nextGeneration, specHashOfItem, specItemFor } from '../../../controller/cli/applyCommand.js';
import { specWriteCondition } from '../../../controller/cli/poolctlTable.js';
import { specHashOf } from '../../../controller/reconciler/reconcilePool.js';

const manifest = {
  $schema: '../schemas/prefect-worker-pool.v1.json',
  apiVersion: 'prefect-ecs-operator/v1',
  kind: 'PrefectWorkerPool',
  metadata: { name: 'analytics', generation: 99 },
  spec: { prefect: { apiUrl: 'https://p.example/api' } },
};

describe('specItemFor', () => {
  it("keys the item by the pool, drops $schema and sets poolctl's generation over the manifest's", () => {
    expect(specItemFor(manifest, 'analytics', 4)).toEqual({
      pk: 'analytics',
      sk: 'spec',
      apiVersion: 'prefect-ecs-operator/v1',
      kind: 'PrefectWorkerPool',
      metadata: { name: 'analytics', generation: 4 },
      spec: { prefect: { apiUrl: 'https://p.example/api' } },
    });
  });
});

describe('specHashOfItem', () => {
  it('is the hash the controller records as observedSpecHash', () => {
    const item = specItemFor(manifest, 'analytics', 2);

    expect(specHashOfItem(item)).toBe(specHashOf(item));
  });
});

describe('nextGeneration', () => {
  it('counts on from the stored generation, or from the status when that is ahead', () => {
    expect(nextGeneration(undefined, undefined)).toBe(1);
    expect(nextGeneration(3, 3)).toBe(4);
    // A pool put without poolctl: the controller counted 5 generations from the spec hash.
    expect(nextGeneration(undefined, 5)).toBe(6);
  });
});

describe('specWriteCondition', () => {
  it('requires no item for a new pool', () => {
    expect(specWriteCondition({ exists: false })).toEqual({
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
  });

  it('requires the generation read and every attribute read, unchanged', () => {
    const stored = specItemFor(manifest, 'analytics', 3);

    const condition = specWriteCondition({ exists: true, item: stored });

    expect(condition.ConditionExpression).toBe(
      '#m.#g = :generation AND #a0 = :a0 AND #a1 = :a1 AND #a2 = :a2 AND #a3 = :a3',
    );
    expect(condition.ExpressionAttributeNames).toMatchObject({ '#a0': 'apiVersion', '#a3': 'spec' });
    expect(condition.ExpressionAttributeValues).toMatchObject({ ':generation': 3, ':a2': stored.metadata });
  });

  it('requires the generation to be still absent for an item put without poolctl', () => {
    const { metadata: _m, ...rest } = manifest;

    const condition = specWriteCondition({
      exists: true,
      item: { pk: 'a', sk: 'spec', ...rest, metadata: { name: 'a' } },
    });

    expect(condition.ConditionExpression.startsWith('attribute_not_exists(#m.#g) AND ')).toBe(true);
  });
});

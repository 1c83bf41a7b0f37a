/**
 * The drift pass's order: pools that need attention first, the settled rest from a random offset, so an
 * invocation that runs short of time does not skip the same tail every time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredPool } from '../../../controller/aws/poolTableStore.js';
import type { Phase } from '../../../controller/core/poolStatus.js';
import { orderForPass } from '../../../controller/reconciler/driftPass.js';
import { specHashOf } from '../../../controller/reconciler/reconcilePool.js';
import { poolManifest } from './poolFixtures.js';

type Kind = 'settled' | 'settledInvalid' | 'specChanged' | 'unsettled' | 'noStatus' | 'deleted';

function storedPool(name: string, kind: Kind): StoredPool {
  const spec = { pk: name, sk: 'spec', ...poolManifest({ name }) } as Record<string, unknown>;
  const phase: Phase =
    kind === 'settledInvalid' ? 'Invalid' : kind === 'unsettled' ? 'Provisioning' : 'Ready';
  const status = {
    revision: 3,
    status: {
      phase,
      observedGeneration: 1,
      observedSpecHash: kind === 'specChanged' ? 'an-older-hash' : specHashOf(spec),
      conditions: [],
      workers: { desired: 1, running: 1, pending: 0 },
      resources: {},
      lastReconcileTime: '2026-03-01T12:00:00.000Z',
    },
  };
  if (kind === 'noStatus') return { name, spec };
  if (kind === 'deleted') return { name, status };
  return { name, spec, status };
}

const names = (pools: readonly StoredPool[]) => pools.map((pool) => pool.name);

describe('orderForPass', () => {
  it('puts pools with a changed spec, an unsettled phase, no status or no spec first, in table order', () => {
    // prepare
    const pools = [
      storedPool('a', 'settled'),
      storedPool('b', 'specChanged'),
      storedPool('c', 'settledInvalid'),
      storedPool('d', 'unsettled'),
      storedPool('e', 'noStatus'),
      storedPool('f', 'settled'),
      storedPool('g', 'deleted'),
    ];
    // act
    const ordered = orderForPass(pools, () => 0);
    // assess
    expect(names(ordered)).toEqual(['b', 'd', 'e', 'g', 'a', 'c', 'f']);
  });

  it('rotates the settled pools by the random offset', () => {
    // prepare
    const pools = ['a', 'b', 'c', 'd'].map((name) => storedPool(name, 'settled'));
    // act
    const starts = [0, 0.25, 0.5, 0.99].map((r) => names(orderForPass(pools, () => r)));
    // assess
    expect(starts).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b', 'c', 'd', 'a'],
      ['c', 'd', 'a', 'b'],
      ['d', 'a', 'b', 'c'],
    ]);
  });

  it('keeps the urgent pools ahead of every rotation', () => {
    // prepare
    const pools = [storedPool('a', 'settled'), storedPool('b', 'settled'), storedPool('new', 'noStatus')];
    // act
    const ordered = orderForPass(pools, () => 0.6);
    // assess
    expect(names(ordered)).toEqual(['new', 'b', 'a']);
  });

  it('handles an empty table and a table with only urgent pools', () => {
    // act / assess
    expect(orderForPass([], () => 0.5)).toEqual([]);
    expect(names(orderForPass([storedPool('x', 'noStatus')], () => 0.5))).toEqual(['x']);
  });

  it('loses and duplicates no pool, and keeps both groups in cyclic table order', () => {
    const kinds = fc.constantFrom<Kind>(
      'settled',
      'settledInvalid',
      'specChanged',
      'unsettled',
      'noStatus',
      'deleted',
    );
    fc.assert(
      fc.property(
        fc.array(kinds, { maxLength: 30 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (poolKinds, random) => {
          // prepare
          const pools = poolKinds.map((kind, index) => storedPool(`pool-${index}`, kind));
          const isUrgent = (index: number) => !['settled', 'settledInvalid'].includes(poolKinds[index] ?? '');
          const urgent = names(pools.filter((_, index) => isUrgent(index)));
          const settled = names(pools.filter((_, index) => !isUrgent(index)));
          // act
          const ordered = names(orderForPass(pools, () => random));
          // assess
          expect([...ordered].sort()).toEqual([...names(pools)].sort());
          expect(ordered.slice(0, urgent.length)).toEqual(urgent);
          const tail = ordered.slice(urgent.length);
          const start = settled.indexOf(tail[0] ?? '');
          const rotated = [...settled.slice(start), ...settled.slice(0, start)];
          expect(tail).toEqual(rotated);
          if (settled.length > 0) expect(start).toBe(Math.floor(random * settled.length));
        },
      ),
      { numRuns: 200 },
    );
  });
});

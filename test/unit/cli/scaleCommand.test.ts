import { describe, expect, it } from 'vitest';
import { requester, scaleRequestItem } from '../../../controller/cli/scaleCommand.js';

describe('scaleRequestItem', () => {
  it('is the item of the table contract: the pool, sort key "scale", the count, when and who', () => {
    const item = scaleRequestItem('analytics', 3, new Date('2025-01-01T12:00:00.000Z'), 'ana@laptop');

    expect(item).toEqual({
      pk: 'analytics',
      sk: 'scale',
      workers: 3,
      requestedAt: '2025-01-01T12:00:00.000Z',
      requestedBy: 'ana@laptop',
    });
  });
});

describe('requester', () => {
  it('is user@host', () => {
    expect(requester({})).toMatch(/^[^@]+@[^@]+$/);
  });
});

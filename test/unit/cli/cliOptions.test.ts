import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseOutputFormat, parseWorkerCount } from '../../../controller/cli/cliOptions.js';

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['1.5', 1_500],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '2x', '5m later', '-1s'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
  });
});

describe('parseWorkerCount', () => {
  it('reads a whole number and rejects anything else', () => {
    expect(parseWorkerCount('3')).toBe(3);
    expect(parseWorkerCount('0')).toBe(0);
    for (const text of ['-1', '1.5', 'three', ''])
      expect(() => parseWorkerCount(text)).toThrow(InvalidArgumentError);
  });
});

describe('parseOutputFormat', () => {
  it('accepts json, yaml and wide', () => {
    expect(['json', 'YAML', 'wide'].map(parseOutputFormat)).toEqual(['json', 'yaml', 'wide']);
    expect(() => parseOutputFormat('table')).toThrow(InvalidArgumentError);
  });
});

/** The README is part of the contract: every variable the controller reads is documented there. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { controllerEnvironment } from '../../../controller/config/controllerConfig.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each(Object.keys(controllerEnvironment))('documents %s in its configuration table', (name) => {
    expect(readme).toMatch(new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm'));
  });

  it('shows the two commands of the quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});

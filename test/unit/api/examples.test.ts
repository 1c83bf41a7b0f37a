import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validatePool } from '../../../controller/api/validatePool.js';
import { context, expectValid } from './manifestFixtures.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));

interface ExampleManifest {
  readonly file: string;
  readonly index: number;
  readonly manifest: Record<string, unknown>;
}

/** Every manifest in examples/, one per YAML document (a file may hold several, separated by ---). */
function loadExamples(): ExampleManifest[] {
  const files = readdirSync(examplesDir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(examplesDir + file, 'utf8')).flatMap((document, index) => {
      if (document.errors.length > 0) {
        throw new Error(`${file} document ${index}: ${document.errors.map((e) => e.message).join('; ')}`);
      }
      const manifest: unknown = document.toJS();
      // An empty document (a trailing ---) holds no manifest.
      return manifest === null || manifest === undefined
        ? []
        : [{ file, index, manifest: manifest as Record<string, unknown> }];
    }),
  );
}

const examples = loadExamples();

describe('examples/', () => {
  it('holds at least one process-type and one ecs-type pool', () => {
    const types = examples.map(
      ({ manifest }) =>
        (manifest.spec as { workPool?: { type?: string } } | undefined)?.workPool?.type ?? 'process',
    );

    expect(types).toContain('process');
    expect(types).toContain('ecs');
  });

  it.each(examples.map((example) => ({ ...example, label: `${example.file}#${example.index}` })))(
    '$label is a valid manifest for the documented controller setup',
    ({ manifest }) => {
      // prepare: the item a plain put-item of this manifest would write
      const name = (manifest.metadata as { name?: unknown } | undefined)?.name;
      const item = { pk: name, sk: 'spec', ...manifest };

      // act
      const result = validatePool(item, { ...context, expectedName: String(name) });

      // assess
      expectValid(result);
    },
  );
});

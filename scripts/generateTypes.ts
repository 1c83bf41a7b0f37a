/**
 * Regenerates controller/api/generated/*.ts from schemas/*.json. The schemas are the single source of
 * truth for the API: never edit the generated files, run `npm run generate` (a unit test fails when they
 * are stale).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

const root = fileURLToPath(new URL('..', import.meta.url));

export const generatedTargets = [
  { schema: 'schemas/prefect-worker-pool.v1.json', output: 'controller/api/generated/prefectWorkerPool.ts' },
  {
    schema: 'schemas/prefect-worker-pool-status.v1.json',
    output: 'controller/api/generated/prefectWorkerPoolStatus.ts',
  },
] as const;

export async function renderTypes(schemaPath: string): Promise<string> {
  const schema = JSON.parse(await readFile(root + schemaPath, 'utf8')) as JSONSchema;
  return compile(schema, schema.title ?? 'Schema', {
    bannerComment: `/* Generated from ${schemaPath} by scripts/generateTypes.ts. Do not edit: run \`npm run generate\`. */`,
    additionalProperties: false,
    strictIndexSignatures: true,
    format: true,
    maxItems: -1,
    style: { singleQuote: true, printWidth: 110 },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await mkdir(root + 'controller/api/generated', { recursive: true });
  for (const target of generatedTargets) {
    await writeFile(root + target.output, await renderTypes(target.schema));
    console.log(`wrote ${target.output}`);
  }
}

/**
 * Validates manifests read from files with the controller's own validator (controller/api/validatePool.ts)
 * and says where each problem is: `examples/bad.yaml:14: pool broken: spec.worker.memory: <message>`.
 */
import type { PrefectWorkerPool } from '../api/generated/prefectWorkerPool.js';
import { validatePool, type ValidationContext } from '../api/validatePool.js';
import { manifestLabel, type ManifestDocument } from './manifestFiles.js';

export interface ValidManifest {
  readonly document: ManifestDocument;
  readonly name: string;
  readonly manifest: PrefectWorkerPool;
}

export interface CheckedManifests {
  readonly valid: readonly ValidManifest[];
  /** One line per problem, in file order; empty when every manifest is valid. */
  readonly problems: readonly string[];
  /** How many manifests had at least one problem. */
  readonly invalidCount: number;
}

function where(document: ManifestDocument, line: number): string {
  return `${document.origin.file}:${line}: ${manifestLabel(document)}`;
}

export function checkManifests(
  documents: readonly ManifestDocument[],
  context: ValidationContext,
): CheckedManifests {
  const valid: ValidManifest[] = [];
  const problems: string[] = [];
  let invalidCount = 0;
  const firstByName = new Map<string, ManifestDocument>();
  for (const document of documents) {
    const result = validatePool(document.value, context);
    const found: string[] = [];
    if (!result.valid) {
      for (const issue of result.issues) {
        found.push(`${where(document, document.lineOf(issue.path))}: ${issue.path}: ${issue.message}`);
      }
    } else {
      const name = result.manifest.metadata.name;
      const earlier = firstByName.get(name);
      if (earlier) {
        found.push(
          `${where(document, document.lineOf('metadata.name'))}: metadata.name: pool ${name} is also defined at ${earlier.origin.file}:${earlier.origin.line}; apply each pool once`,
        );
      } else {
        firstByName.set(name, document);
        valid.push({ document, name, manifest: result.manifest });
      }
    }
    if (found.length > 0) invalidCount++;
    problems.push(...found);
  }
  return { valid, problems, invalidCount };
}

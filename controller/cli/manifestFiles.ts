/**
 * Reads manifests for `apply -f` and `validate -f`: a file, every *.yaml/*.yml/*.json file of a directory
 * (not recursively, in name order), or `-` for stdin. A YAML file may hold several documents (`---`); a
 * document (or a JSON file) may also be a list of manifests. Each manifest remembers where it came from,
 * so a problem is reported as `file:line` at the field itself.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { ManifestFileError } from './poolctlErrors.js';

export const stdinSource = '-';
const manifestExtensions = /\.(ya?ml|json)$/i;

export interface ManifestOrigin {
  /** The file as the user named it (or as found in a named directory); `<stdin>` for `-`. */
  readonly file: string;
  /** 1-based index of the YAML document in the file. */
  readonly document: number;
  /** 1-based position in the document when the document is a list of manifests. */
  readonly item?: number;
  /** How many manifests the file holds, so messages name the document only when it helps. */
  readonly documentsInFile: number;
  /** 1-based line where the manifest starts. */
  readonly line: number;
}

export interface ManifestDocument {
  readonly origin: ManifestOrigin;
  /** The parsed manifest, unvalidated. */
  readonly value: unknown;
  /** The line of a field, given a validation path such as `spec.network.egress[0].cidr`; the nearest parent present otherwise. */
  lineOf(path: string): number;
}

export interface ManifestReadOptions {
  /** Reads all of stdin (for `-`). */
  readonly readStdin: () => Promise<string>;
}

/**
 * Splits a validation path (controller/api/validatePool.ts formatPath) back into segments:
 * `spec.tags["Cost Center"]` → `['spec', 'tags', 'Cost Center']`, `egress[0]` → `['egress', 0]`.
 */
export function parseFieldPath(path: string): (string | number)[] {
  if (path === '(item)') return [];
  const segments: (string | number)[] = [];
  const pattern = /([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\./gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(path)) !== null) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(JSON.parse(match[3]) as string);
    if (pattern.lastIndex === path.length) break;
  }
  return segments;
}

/** The deepest node along `segments` that exists, as a line; a map entry counts at its key. */
function lineAlong(root: Node, segments: readonly (string | number)[], lineCounter: LineCounter): number {
  let node: unknown = root;
  let offset = root.range?.[0] ?? 0;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      const key = pair.key as Node;
      offset = key.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset).line;
}

/** Every manifest in one file's text. Throws ManifestFileError (with `file:line:column`) on a YAML or JSON syntax error. */
export function parseManifests(text: string, file: string): ManifestDocument[] {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  const found: { value: unknown; root: Node; document: number; item?: number }[] = [];
  documents.forEach((document, index) => {
    const error = document.errors[0];
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const reason = error.message.split('\n')[0] ?? error.message;
      throw new ManifestFileError(
        `${file}:${line}:${col}: cannot parse: ${reason.replace(/ at line \d+, column \d+.*$/, '')}`,
      );
    }
    const root = document.contents as Node | null;
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    // An empty document (after a trailing `---`, or only comments) holds no manifest.
    if (root === null || value === null || value === undefined) return;
    if (isSeq(root) && Array.isArray(value)) {
      // A list of manifests (a JSON array, or a YAML sequence).
      root.items.forEach((item, position) => {
        found.push({ value: value[position], root: item as Node, document: index + 1, item: position + 1 });
      });
    } else {
      found.push({ value, root, document: index + 1 });
    }
  });
  return found.map(({ value, root, document, item }) => ({
    origin: {
      file,
      document,
      ...(item !== undefined ? { item } : {}),
      documentsInFile: found.length,
      line: lineCounter.linePos(root.range?.[0] ?? 0).line,
    },
    value,
    lineOf: (path) => lineAlong(root, parseFieldPath(path), lineCounter),
  }));
}

async function filesOf(source: string): Promise<string[]> {
  let info;
  try {
    info = await stat(source);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new ManifestFileError(`${source}: no such file or directory`);
    throw new ManifestFileError(`${source}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isDirectory()) return [source];
  const entries = await readdir(source, { withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && manifestExtensions.test(entry.name))
    .map((entry) => join(source, entry.name))
    .sort();
  if (files.length === 0) {
    throw new ManifestFileError(
      `${source}: no manifests in this directory (looked for *.yaml, *.yml, *.json)`,
    );
  }
  return files;
}

/** The manifests of every source, in order. A source that holds none is an error: it is probably a mistake. */
export async function readManifests(
  sources: readonly string[],
  options: ManifestReadOptions,
): Promise<ManifestDocument[]> {
  const manifests: ManifestDocument[] = [];
  for (const source of sources) {
    if (source === stdinSource) {
      const found = parseManifests(await options.readStdin(), '<stdin>');
      if (found.length === 0) throw new ManifestFileError('<stdin>: no manifests');
      manifests.push(...found);
      continue;
    }
    for (const file of await filesOf(source)) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new ManifestFileError(`${file}: cannot read: ${(error as Error).message}`, { cause: error });
      }
      const found = parseManifests(text, file);
      if (found.length === 0) throw new ManifestFileError(`${file}: no manifests in this file`);
      manifests.push(...found);
    }
  }
  return manifests;
}

/** How a manifest is named in messages: `pool "analytics"`, with the document when the file has several. */
export function manifestLabel(manifest: ManifestDocument): string {
  const name = (manifest.value as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  const { document, item, documentsInFile } = manifest.origin;
  const documentNote =
    documentsInFile > 1 ? (item !== undefined ? `item ${item}` : `document ${document}`) : undefined;
  if (typeof name === 'string' && name !== '') {
    return documentNote ? `pool ${name} (${documentNote})` : `pool ${name}`;
  }
  return documentNote ?? 'the manifest';
}

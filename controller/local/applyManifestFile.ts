/**
 * Puts a manifest file into the pool table as its spec item, the way a user's put-item would: the
 * manifest's top-level fields become attributes beside the keys (README "The table contract"). The
 * controller never writes spec items; only the local runner does this, for the example, as a user.
 */
import { readFile } from 'node:fs/promises';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import { poolTableKeys } from '../api/tableContract.js';

export class ManifestFileError extends Error {
  override readonly name = 'ManifestFileError';
}

/** The spec item for a manifest: `pk` = metadata.name, `sk` = `spec`, plus the manifest's fields. */
export function specItemFromManifest(manifest: unknown, source = 'the manifest'): Record<string, unknown> {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new ManifestFileError(`${source} is not a YAML mapping`);
  }
  const fields = manifest as Record<string, unknown>;
  const metadata = fields.metadata as { name?: unknown } | undefined;
  if (typeof metadata?.name !== 'string' || metadata.name === '') {
    throw new ManifestFileError(`${source} has no metadata.name to use as the pool's key`);
  }
  return {
    ...fields,
    [poolTableKeys.partitionKey]: metadata.name,
    [poolTableKeys.sortKey]: poolTableKeys.specSortKey,
  };
}

/** Reads a one-document YAML manifest and puts it as a spec item; returns the pool's name. */
export async function applyManifestFile(
  documents: DynamoDBDocumentClient,
  tableName: string,
  path: string,
): Promise<string> {
  const item = specItemFromManifest(parse(await readFile(path, 'utf8')), path);
  await documents.send(new PutCommand({ TableName: tableName, Item: item }));
  return item[poolTableKeys.partitionKey] as string;
}

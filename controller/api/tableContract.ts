/**
 * The pool table, a user-facing contract (README "The table contract"):
 * - partition key `pk` (S): the pool name; sort key `sk` (S): `spec` or `status`;
 * - a spec item holds the manifest's top-level fields (`apiVersion`, `kind`, `metadata`, `spec`) as
 *   attributes, so a plain put-item requests a pool; the controller never writes spec items;
 * - a status item is written only by the controller, with conditional writes on `revision`;
 * - the stream carries new and old images; the controller's event filter passes spec items only.
 */
export const poolTableKeys = {
  partitionKey: 'pk',
  sortKey: 'sk',
  specSortKey: 'spec',
  statusSortKey: 'status',
} as const;

/** The stream view the controller needs: old images tell which pool a REMOVE was about. */
export const poolTableStreamView = 'NEW_AND_OLD_IMAGES';

/** Attribute holding the status item's monotonic revision (for conditional writes). */
export const statusRevisionAttribute = 'revision';

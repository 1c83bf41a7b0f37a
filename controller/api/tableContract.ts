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

/**
 * Sort key of a pool's lease item: held by the one reconciler that is changing the pool's AWS resources,
 * so concurrent triggers (stream, schedule, alarm) never create twins. Expires by itself.
 */
export const leaseSortKey = 'lease';

/** Attribute holding the status item's monotonic revision (for conditional writes). */
export const statusRevisionAttribute = 'revision';

/**
 * Sort key of a pool's manual scale request (`poolctl scale NAME --workers N`). poolctl never writes
 * status: it puts this item, and the controller consumes it (a scaling decision with trigger `manual`
 * in status), then deletes it. Like status items, it never passes the stream's spec-only filter.
 */
export const scaleRequestSortKey = 'scale';

/** The manual scale request item, as poolctl puts it (one per pool: a newer request replaces an older one). */
export interface ScaleRequestItem {
  /** The pool's name. */
  readonly pk: string;
  readonly sk: typeof scaleRequestSortKey;
  /** The worker count asked for, within [minWorkers, maxWorkers] of an auto-mode pool. */
  readonly workers: number;
  /** ISO 8601 time of the request, by the requester's clock. */
  readonly requestedAt: string;
  /** `user@host` of whoever asked, for the decision's reason. */
  readonly requestedBy: string;
}

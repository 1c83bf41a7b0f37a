/**
 * `--wait`: whether a pool has got where it is going, judged from its status item. Pure, so every case
 * is unit-tested; waitForPools.ts polls and displays.
 *
 * The status must first describe the spec that was applied (its observedSpecHash is the hash of the
 * stored item, or its observedGeneration has reached the generation written); a status of an older spec
 * says nothing about this apply.
 */
import type { ScalingDecisionRecord } from '../api/generated/prefectWorkerPoolStatus.js';
import type { PrefectWorkerPoolStatus } from '../core/poolStatus.js';
import { phaseSummary } from './poolFormatting.js';

export interface ApplyWaitTarget {
  readonly name: string;
  /** The hash the controller records for the spec item as stored (stableHash of it without pk/sk). */
  readonly specHash: string;
  /** metadata.generation as written, when poolctl wrote one. */
  readonly generation?: number;
  /**
   * The target is local mode on moto, where services run no tasks: a pool that has every resource and
   * waits only for workers to start is as far as it gets (docs/local-mode.md).
   */
  readonly onMoto: boolean;
}

export type Verdict =
  | { readonly done: false; readonly summary: string }
  | { readonly done: true; readonly ok: true; readonly summary: string; readonly note?: string }
  | {
      readonly done: true;
      readonly ok: false;
      readonly summary: string;
      readonly details: readonly string[];
    };

export const settledOnMotoNote =
  'settled: as far as a pool with workers gets on local mode, where moto starts no tasks (docs/local-mode.md)';

/** Whether the status describes the applied spec. */
export function observesApply(status: PrefectWorkerPoolStatus, target: ApplyWaitTarget): boolean {
  if (status.observedSpecHash !== undefined && status.observedSpecHash === target.specHash) return true;
  return target.generation !== undefined && status.observedGeneration >= target.generation;
}

/** Every resource is created and in sync; only the workers' start is missing. */
function waitsOnlyForWorkers(status: PrefectWorkerPoolStatus): boolean {
  const provisioned = status.conditions.find((c) => c.type === 'Provisioned');
  const ready = status.conditions.find((c) => c.type === 'Ready');
  const { serviceArn, taskDefinitionArn, securityGroupId } = status.resources ?? {};
  return (
    status.phase === 'Provisioning' &&
    provisioned?.status === 'True' &&
    ready?.reason === 'WorkersStarting' &&
    serviceArn !== undefined &&
    taskDefinitionArn !== undefined &&
    securityGroupId !== undefined
  );
}

export function assessApply(status: PrefectWorkerPoolStatus | undefined, target: ApplyWaitTarget): Verdict {
  if (!status) return { done: false, summary: 'Pending (waiting for the controller)' };
  const summary = phaseSummary(status);
  if (!observesApply(status, target)) {
    return { done: false, summary: `${summary} (the controller has not acted on this apply yet)` };
  }
  switch (status.phase) {
    case 'Ready':
      return { done: true, ok: true, summary };
    case 'Invalid':
      return {
        done: true,
        ok: false,
        summary,
        details: (status.validationErrors ?? []).map((issue) => `${issue.path}: ${issue.message}`),
      };
    case 'Degraded':
      return { done: true, ok: false, summary, details: [phaseSummary(status, { detail: true })] };
    case 'Deleting':
      return { done: true, ok: false, summary, details: ['the spec item was deleted while waiting'] };
    default:
      if (target.onMoto && waitsOnlyForWorkers(status)) {
        return { done: true, ok: true, summary, note: settledOnMotoNote };
      }
      return { done: false, summary };
  }
}

/** `delete --wait`: done when the status item is gone (every resource of the pool is). */
export function assessDeletion(status: PrefectWorkerPoolStatus | undefined): Verdict {
  if (!status) return { done: true, ok: true, summary: 'deleted' };
  return { done: false, summary: phaseSummary(status) };
}

export interface ScaleWaitTarget {
  readonly workers: number;
  readonly requestedAt: string;
  /** The newest decision before the request: the answer must be a newer one. */
  readonly baseline?: ScalingDecisionRecord;
}

/** How far the controller's clock may be behind poolctl's for its decision to still count as the answer. */
export const clockSkewAllowanceMs = 5_000;

function sameDecision(a: ScalingDecisionRecord, b: ScalingDecisionRecord | undefined): boolean {
  return b !== undefined && a.time === b.time && a.code === b.code && a.from === b.from && a.to === b.to;
}

/** `scale --wait`: done when the controller recorded a manual decision newer than the request. */
export function assessScale(status: PrefectWorkerPoolStatus | undefined, target: ScaleWaitTarget): Verdict {
  if (!status) return { done: false, summary: 'Pending (waiting for the controller)' };
  const newest = status.scaling?.recentDecisions?.[0];
  const answered =
    newest !== undefined &&
    newest.trigger === 'manual' &&
    !sameDecision(newest, target.baseline) &&
    Date.parse(newest.time) >= Date.parse(target.requestedAt) - clockSkewAllowanceMs;
  if (!answered)
    return {
      done: false,
      summary: `${phaseSummary(status)} (waiting for the controller to take the request)`,
    };
  const summary = `${newest.outcome} ${newest.from}→${newest.to} (${newest.code}: ${newest.reason})`;
  // Honoured: scaled to the count, or held because the pool is already there. Anything else (deferred,
  // or held because the controller refused the request) did not give the count asked for.
  const honoured = newest.outcome === 'scale' || (newest.outcome === 'hold' && newest.to === target.workers);
  if (!honoured) {
    return {
      done: true,
      ok: false,
      summary,
      details: [`the controller did not scale to ${target.workers}: ${newest.reason}`],
    };
  }
  return { done: true, ok: true, summary };
}

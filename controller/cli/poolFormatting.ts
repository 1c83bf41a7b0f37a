/**
 * How poolctl shows pools: the one-line phase summary (the same words local mode prints), the `get`
 * table, the `describe` page and the `-o json|yaml` objects. Pure functions of what was read and the
 * time now, so they are unit-tested without a table.
 */
import { stringify } from 'yaml';
import { defaultImages } from '../api/poolDefaults.js';
import { poolTableKeys } from '../api/tableContract.js';
import type { StoredPool } from '../aws/poolTableStore.js';
import type { Condition, PrefectWorkerPoolStatus } from '../core/poolStatus.js';

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** `5s`, `3m`, `4h`, `2d`: how long ago, like kubectl's AGE. `-` for no time. */
export function formatAge(since: string | undefined, now: Date): string {
  if (since === undefined) return '-';
  const then = Date.parse(since);
  if (Number.isNaN(then)) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - then) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

function condition(status: PrefectWorkerPoolStatus, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/**
 * The reason that explains the phase: for Invalid the Valid condition's, for Degraded the last error's
 * code (or the failing condition's), for Deleting the Provisioned condition's, otherwise the Ready
 * condition's. With `detail`, also the message a user has to act on.
 */
export function phaseReason(status: PrefectWorkerPoolStatus): { reason?: string; detail?: string } {
  const { phase } = status;
  if (phase === 'Invalid') {
    const valid = condition(status, 'Valid');
    return { reason: valid?.reason ?? 'SpecInvalid', ...(valid ? { detail: valid.message } : {}) };
  }
  if (phase === 'Degraded') {
    if (status.lastError)
      return { reason: status.lastError.code ?? 'Error', detail: status.lastError.message };
    const failing = status.conditions?.find((c) => c.status === 'False');
    return failing ? { reason: failing.reason, detail: failing.message } : {};
  }
  const shown = condition(status, phase === 'Deleting' ? 'Provisioned' : 'Ready');
  return shown ? { reason: shown.reason } : {};
}

/** `Ready (workers 0/0) ScaledToZero`, as local mode prints it; with `detail`, the message of an Invalid or Degraded pool too. */
export function phaseSummary(status: PrefectWorkerPoolStatus, options: { detail?: boolean } = {}): string {
  const { reason, detail } = phaseReason(status);
  const workers = `(workers ${status.workers?.running ?? 0}/${status.workers?.desired ?? 0})`;
  const shownDetail =
    options.detail && detail ? `: ${detail.length > 200 ? `${detail.slice(0, 199)}…` : detail}` : '';
  return `${status.phase} ${workers}${reason ? ` ${reason}` : ''}${shownDetail}`;
}

/**
 * When the controller first reported on the pool, as far as its status remembers: the oldest
 * lastTransitionTime of its conditions (each keeps its time while its status stays the same). The table
 * has no creation time of its own (a spec item is a user's put-item).
 */
export function poolSince(status: PrefectWorkerPoolStatus | undefined): string | undefined {
  const times = (status?.conditions ?? [])
    .map((c) => c.lastTransitionTime)
    .filter((time) => !Number.isNaN(Date.parse(time)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  return times[0];
}

/** The spec fields `get -o wide` and `describe` show, read leniently (an invalid spec still shows what it says). */
export function specFacts(spec: Json | undefined): {
  type: string;
  mode: string;
  image: string;
  minWorkers?: number;
  maxWorkers?: number;
  scalingMode: string;
} {
  const body = asRecord(spec?.spec);
  const workPool = asRecord(body.workPool);
  const worker = asRecord(body.worker);
  const scaling = asRecord(body.scaling);
  const type = typeof workPool.type === 'string' ? workPool.type : 'process';
  const image =
    typeof worker.image === 'string'
      ? worker.image
      : (defaultImages[type as keyof typeof defaultImages] ?? defaultImages.process);
  const scalingMode = typeof scaling.mode === 'string' ? scaling.mode : 'auto';
  const minWorkers = typeof scaling.minWorkers === 'number' ? scaling.minWorkers : 0;
  const maxWorkers = typeof scaling.maxWorkers === 'number' ? scaling.maxWorkers : 10;
  const mode =
    scalingMode === 'fixed'
      ? `fixed ${typeof scaling.workers === 'number' ? scaling.workers : '?'}`
      : `auto ${minWorkers}-${maxWorkers}`;
  return spec
    ? { type, mode, image, minWorkers, maxWorkers, scalingMode }
    : { type: '-', mode: '-', image: '-', scalingMode: '-' };
}

export interface PoolRow {
  readonly name: string;
  readonly phase: string;
  readonly workers: string;
  readonly backlog: string;
  readonly age: string;
  readonly type: string;
  readonly mode: string;
  readonly image: string;
  readonly reason: string;
}

/** A pool as a `get` row. A spec not yet reconciled shows as Pending. */
export function poolRow(pool: StoredPool, now: Date): PoolRow {
  const status = pool.status?.status;
  const facts = specFacts(pool.spec);
  const backlog = status?.backlog?.count;
  return {
    name: pool.name,
    phase: status?.phase ?? 'Pending',
    workers: status ? `${status.workers?.running ?? 0}/${status.workers?.desired ?? 0}` : '-',
    backlog: typeof backlog === 'number' ? String(backlog) : '-',
    age: formatAge(poolSince(status), now),
    type: facts.type,
    mode: facts.mode,
    image: facts.image,
    reason: (status ? phaseReason(status).reason : undefined) ?? (status ? '-' : 'NotReconciledYet'),
  };
}

/** Columns separated by three spaces, each as wide as its widest cell. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** The `get` table: NAME PHASE WORKERS BACKLOG AGE, and with `wide` TYPE MODE IMAGE REASON. */
export function renderPoolTable(pools: readonly StoredPool[], now: Date, wide: boolean): string[] {
  const headers = [
    'NAME',
    'PHASE',
    'WORKERS',
    'BACKLOG',
    'AGE',
    ...(wide ? ['TYPE', 'MODE', 'IMAGE', 'REASON'] : []),
  ];
  const rows = [...pools]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((pool) => {
      const row = poolRow(pool, now);
      return [
        row.name,
        row.phase,
        row.workers,
        row.backlog,
        row.age,
        ...(wide ? [row.type, row.mode, row.image, row.reason] : []),
      ];
    });
  return renderTable(headers, rows);
}

/** A pool as `-o json|yaml` shows it: the manifest (without the table keys) and its status. */
export function poolObject(pool: StoredPool): Json {
  const {
    [poolTableKeys.partitionKey]: _pk,
    [poolTableKeys.sortKey]: _sk,
    ...manifest
  } = pool.spec ?? {
    apiVersion: 'prefect-ecs-operator/v1',
    kind: 'PrefectWorkerPool',
    metadata: { name: pool.name },
  };
  // The manifest's own order (attributes come back from DynamoDB in any order), then status.
  const { apiVersion, kind, metadata, spec, ...rest } = manifest;
  return {
    apiVersion,
    kind,
    metadata,
    ...(spec !== undefined ? { spec } : {}),
    ...rest,
    ...(pool.status ? { status: pool.status.status } : {}),
  };
}

/** JSON or YAML text of one pool, or of a list (`kind: PrefectWorkerPoolList`) for `get` without a name. */
export function renderObjects(objects: readonly Json[] | Json, format: 'json' | 'yaml'): string {
  const value = Array.isArray(objects)
    ? { apiVersion: 'prefect-ecs-operator/v1', kind: 'PrefectWorkerPoolList', items: objects }
    : objects;
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}

/** `1 worker`, `3 workers`. */
export function plural(count: number | string, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function joinMap(map: unknown): string {
  const entries = Object.entries(asRecord(map));
  return entries.length > 0 ? entries.map(([key, value]) => `${key}=${String(value)}`).join(', ') : '<none>';
}

function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(17)}${value}`;
}

/** The `describe` page: spec summary, status, conditions, resources, backlog, scaling decisions, last error. */
export function renderDescribe(pool: StoredPool, now: Date): string[] {
  const spec = pool.spec;
  const status = pool.status?.status;
  const body = asRecord(spec?.spec);
  const metadata = asRecord(spec?.metadata);
  const workPool = asRecord(body.workPool);
  const worker = asRecord(body.worker);
  const scaling = asRecord(body.scaling);
  const facts = specFacts(spec);
  const lines: string[] = [field('Name', pool.name)];

  if (spec) {
    lines.push(field('Labels', joinMap(metadata.labels)));
    const generation =
      typeof metadata.generation === 'number'
        ? String(metadata.generation)
        : '<none: not applied by poolctl>';
    lines.push(
      field('Generation', `${generation}${status ? ` (observed: ${status.observedGeneration})` : ''}`),
    );
    const queues = Array.isArray(workPool.workQueues) ? workPool.workQueues.join(', ') : 'default';
    const poolName = typeof workPool.name === 'string' ? workPool.name : pool.name;
    const extras = [
      `queues ${queues}`,
      ...(typeof workPool.concurrencyLimit === 'number'
        ? [`concurrency limit ${workPool.concurrencyLimit}`]
        : []),
      ...(workPool.paused === true ? ['paused'] : []),
      ...(workPool.manage === false ? ['not managed by the controller'] : []),
    ];
    lines.push(field('Work pool', `${poolName} (${facts.type}; ${extras.join('; ')})`));
    const cpu = typeof worker.cpu === 'number' ? worker.cpu : 512;
    const memory = typeof worker.memory === 'number' ? worker.memory : 1024;
    const workerFacts = [
      facts.image,
      `${cpu} CPU units / ${memory} MiB`,
      typeof worker.architecture === 'string' ? worker.architecture : 'ARM64',
      ...(typeof worker.limit === 'number' ? [`${worker.limit} flow runs per worker`] : []),
      ...(typeof worker.spot === 'number' && worker.spot > 0 ? [`${worker.spot}% spot`] : []),
    ];
    lines.push(field('Worker', workerFacts.join(', ')));
    lines.push(
      field(
        'Scaling',
        facts.scalingMode === 'fixed'
          ? `fixed at ${plural(typeof scaling.workers === 'number' ? scaling.workers : '?', 'worker')}`
          : `auto, ${facts.minWorkers}–${facts.maxWorkers} workers, ${typeof scaling.backlogPerWorker === 'number' ? scaling.backlogPerWorker : 5} flow runs per worker, CPU target ${typeof scaling.cpuTargetPercent === 'number' ? scaling.cpuTargetPercent : 70}%`,
      ),
    );
  } else {
    lines.push(field('Spec', '<none: the spec item was deleted>'));
  }

  if (!status) {
    lines.push(field('Phase', 'Pending (the controller has not reported on this pool yet)'));
    return lines;
  }
  lines.push(field('Phase', phaseSummary(status)));
  lines.push(
    field(
      'Workers',
      `${status.workers.running} running, ${status.workers.pending} pending, ${status.workers.desired} desired`,
    ),
  );
  const backlog = status.backlog;
  lines.push(
    field(
      'Backlog',
      backlog === undefined
        ? '<unknown>'
        : typeof backlog.count === 'number'
          ? `${backlog.count} flow runs due${typeof backlog.runningFlowRuns === 'number' ? `, ${backlog.runningFlowRuns} running` : ''}${backlog.observedAt ? ` (${formatAge(backlog.observedAt, now)} ago)` : ''}`
          : `unknown${backlog.message ? `: ${backlog.message}` : ''}`,
    ),
  );
  lines.push(field('Last reconcile', `${formatAge(status.lastReconcileTime, now)} ago`));

  lines.push('Conditions:');
  lines.push(
    ...renderTable(
      ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
      status.conditions.map((c) => [
        c.type,
        c.status,
        c.reason,
        formatAge(c.lastTransitionTime, now),
        c.message,
      ]),
    ).map((line) => `  ${line}`),
  );

  if (status.validationErrors && status.validationErrors.length > 0) {
    lines.push('Validation errors:');
    lines.push(...status.validationErrors.map((issue) => `  ${issue.path}: ${issue.message}`));
  }

  const resources = status.resources ?? {};
  lines.push('Resources:');
  const resourceLines = [
    ['Service', resources.serviceArn ?? resources.serviceName],
    ['Task definition', resources.taskDefinitionArn],
    ['Security group', resources.securityGroupId],
    [
      'Alarms',
      resources.alarmNames && resources.alarmNames.length > 0 ? resources.alarmNames.join(', ') : undefined,
    ],
    ['Failed revision', resources.failedTaskDefinitionArn],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  lines.push(
    ...(resourceLines.length > 0
      ? resourceLines.map(([label, value]) => `  ${`${label}:`.padEnd(17)}${value}`)
      : ['  <none>']),
  );

  if (status.prefect) {
    const prefect = status.prefect;
    const facts = [
      `work pool ${prefect.workPoolName ?? '?'}${prefect.workPoolStatus ? ` ${prefect.workPoolStatus}` : ''}`,
      ...(typeof prefect.onlineWorkers === 'number' ? [`${prefect.onlineWorkers} workers online`] : []),
      ...(prefect.lastSyncTime ? [`synced ${formatAge(prefect.lastSyncTime, now)} ago`] : []),
    ];
    lines.push(field('Prefect', facts.join(', ')));
  }

  const decisions = status.scaling?.recentDecisions ?? [];
  lines.push('Recent scaling decisions:');
  if (decisions.length === 0) lines.push('  <none>');
  else {
    lines.push(
      ...renderTable(
        ['AGE', 'TRIGGER', 'OUTCOME', 'WORKERS', 'CODE', 'REASON'],
        decisions.map((d) => [
          formatAge(d.time, now),
          d.trigger ?? '-',
          d.outcome,
          `${d.from}→${d.to}`,
          d.code,
          d.reason,
        ]),
      ).map((line) => `  ${line}`),
    );
  }

  lines.push(
    field(
      'Last error',
      status.lastError
        ? `${status.lastError.code ?? 'Error'}: ${status.lastError.message} (${formatAge(status.lastError.time, now)} ago)`
        : '<none>',
    ),
  );
  return lines;
}

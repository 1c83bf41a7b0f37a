/**
 * What every command gets: its input and output (injectable, so tests run commands in-process), the
 * global options, and the table, resolved and connected on first use only (`validate` never needs it).
 */
import type { LocalRuntimeInfo } from '../local/localRuntimeFile.js';
import type { PoolctlTable } from './poolctlTable.js';
import type { OutputStream } from './progressDisplay.js';
import {
  resolveTableTarget,
  resolveValidationContext,
  type KnownValidationContext,
  type TableTarget,
  type TargetFlags,
} from './tableTarget.js';

export interface PoolctlIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readStdin: () => Promise<string>;
  /** The running local mode, if any (reads `.local/runtime.json` and checks its pid). */
  readonly findLocalRuntime: () => LocalRuntimeInfo | undefined;
  readonly now: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface GlobalOptions extends TargetFlags {
  readonly debug?: boolean;
}

export class CommandContext {
  private resolvedTarget: TableTarget | undefined;
  private openedTable: PoolctlTable | undefined;
  private localRuntime: { value: LocalRuntimeInfo | undefined } | undefined;

  constructor(
    readonly io: PoolctlIo,
    readonly globals: GlobalOptions,
  ) {}

  /** The running local mode, looked up once. */
  local(): LocalRuntimeInfo | undefined {
    this.localRuntime ??= { value: this.io.findLocalRuntime() };
    return this.localRuntime.value;
  }

  /** Where the table is; throws NoTableError when nothing says. */
  target(): TableTarget {
    this.resolvedTarget ??= resolveTableTarget(this.globals, this.io.env, () => this.local());
    return this.resolvedTarget;
  }

  /** The table client; the AWS SDK is loaded only here, so `--help` and `validate` start quickly. */
  async table(): Promise<PoolctlTable> {
    if (!this.openedTable) {
      const target = this.target();
      const { PoolctlTable } = await import('./poolctlTable.js');
      this.openedTable = new PoolctlTable(target);
    }
    return this.openedTable;
  }

  /** What validation knows of the controller, for the target (or, without one, for this machine). */
  validation(options: { withTarget: boolean }): KnownValidationContext {
    return resolveValidationContext(
      this.io.env,
      this.local(),
      options.withTarget ? this.target() : undefined,
    );
  }

  out(line = ''): void {
    this.io.stdout.write(`${line}\n`);
  }

  err(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  /** Colors only on a terminal, and never with NO_COLOR set. */
  get color(): boolean {
    return this.io.stdout.isTTY === true && !this.io.env.NO_COLOR;
  }

  close(): void {
    this.openedTable?.destroy();
  }
}

/**
 * Live progress of several pools. On a terminal: one line per pool, rewritten in place as it changes
 * (with the seconds waited). Otherwise (a pipe, CI): a plain line whenever a pool's line changes, so a
 * log shows every step once.
 */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const clearLine = '\u001b[2K';
const up = (lines: number) => `\u001b[${lines}A`;

export class ProgressDisplay {
  private readonly lines = new Map<string, string>();
  private readonly printed = new Map<string, string>();
  private rendered = 0;
  private readonly live: boolean;

  constructor(
    private readonly out: OutputStream,
    names: readonly string[],
    options: { live?: boolean } = {},
  ) {
    this.live = options.live ?? out.isTTY === true;
    for (const name of names) this.lines.set(name, `pool ${name}: waiting`);
  }

  /** Sets a pool's line; `elapsed` is shown on a terminal only. */
  update(name: string, line: string, elapsedMs?: number): void {
    const shown = this.live && elapsedMs !== undefined ? `${line}  ${Math.floor(elapsedMs / 1000)}s` : line;
    this.lines.set(name, shown);
    if (this.live) this.render();
    else if (this.printed.get(name) !== line) {
      this.printed.set(name, line);
      this.out.write(`${line}\n`);
    }
  }

  /** The final line of a pool: always printed once (in place on a terminal). */
  finish(name: string, line: string): void {
    this.lines.set(name, line);
    if (this.live) this.render();
    else if (this.printed.get(name) !== line) {
      this.printed.set(name, line);
      this.out.write(`${line}\n`);
    }
  }

  private render(): void {
    const width = this.out.columns && this.out.columns > 10 ? this.out.columns - 1 : undefined;
    // Lines longer than the terminal would wrap and break the cursor arithmetic: cut them.
    const cut = (line: string) =>
      width !== undefined && line.length > width ? `${line.slice(0, width - 1)}…` : line;
    const text = [...this.lines.values()].map((line) => `${clearLine}${cut(line)}\n`).join('');
    this.out.write(`${this.rendered > 0 ? up(this.rendered) : ''}${text}`);
    this.rendered = this.lines.size;
  }
}

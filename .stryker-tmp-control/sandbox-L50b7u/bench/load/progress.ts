// @ts-nocheck
// A progress line on stderr: redrawn in place on a terminal, one line every few seconds
// otherwise (CI logs). Stdout stays free for the report.
const WIDTH = 24;

export class Progress {
  private readonly tty: boolean;
  private lastPrint = 0;
  private lastLine = '';
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = out.isTTY === true;
  }

  /** A bar for `done` of `total` with a label and a short status after it. */
  bar(label: string, done: number, total: number, status = ''): void {
    const f = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
    const full = Math.round(f * WIDTH);
    this.draw(`${label} [${'█'.repeat(full)}${'░'.repeat(WIDTH - full)}] ${Math.round(f * 100)}%${status === '' ? '' : `  ${status}`}`);
  }

  /** A line without a bar (a phase starting). */
  note(text: string): void {
    this.draw(text, true);
  }

  /** Ends the current line and prints a permanent one. */
  done(text: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
    this.out.write(`${text}\n`);
  }

  private draw(line: string, force = false): void {
    if (this.tty) {
      const cols = this.out.columns ?? 120;
      this.out.write(`\r\x1b[2K${line.length > cols - 1 ? line.slice(0, cols - 1) : line}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (!force && (now - this.lastPrint < 5000 || line === this.lastLine)) return;
    this.lastPrint = now;
    this.lastLine = line;
    this.out.write(`${line}\n`);
  }
}

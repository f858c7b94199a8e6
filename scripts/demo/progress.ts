// Progress of the demo: one line per step with the time since the demo began
// and how long the step took, so a newcomer sees what is happening and where
// the time goes. Colors follow NO_COLOR and the terminal.
import { createColors } from 'picocolors';

export type Colors = ReturnType<typeof createColors>;

export function wantColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') {
    return false;
  }
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    return true;
  }
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly reason: string
  ) {
    super(`${step}: ${reason}`);
  }
}

export class Progress {
  readonly c: Colors;
  private readonly began = Date.now();

  constructor(
    private readonly out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    color = wantColor(process.stdout)
  ) {
    this.c = createColors(color);
  }

  private clock(): string {
    return this.c.dim(`[${((Date.now() - this.began) / 1000).toFixed(1).padStart(6)}s]`);
  }

  line(text = ''): void {
    this.out(text);
  }

  /**
   * Runs one step: announces it, then prints ✓ with what it returned (a
   * short result) and its duration, or ✗ with the reason and throws StepFailed.
   */
  async step<T>(title: string, run: () => Promise<T>, describe: (value: T) => string = () => ''): Promise<T> {
    const started = Date.now();
    this.out(`${this.clock()} ${this.c.cyan('…')} ${title}`);
    let value: T;
    try {
      value = await run();
    } catch (error) {
      const reason = error instanceof StepFailed ? error.reason : (error as Error).message;
      this.out(`${this.clock()} ${this.c.red('✗')} ${title}: ${this.c.red(reason)}`);
      throw error instanceof StepFailed ? error : new StepFailed(title, reason);
    }
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const result = describe(value);
    this.out(`${this.clock()} ${this.c.green('✓')} ${title}${result ? `: ${result}` : ''} ${this.c.dim(`(${took})`)}`);
    return value;
  }

  /** A step that is not possible here, said with why. */
  skip(title: string, why: string): void {
    this.out(`${this.clock()} ${this.c.yellow('–')} ${title}: ${this.c.yellow(why)}`);
  }

  note(text: string): void {
    this.out(`${this.clock()}   ${text}`);
  }
}

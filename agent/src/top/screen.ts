// The interactive terminal: frames drawn over each other in the alternate
// screen (the shell's scrollback stays as it was), keys read raw, and the
// terminal given back as found however top ends.
import {
  beginSynchronizedOutput,
  cursorHide,
  cursorShow,
  cursorTo,
  endSynchronizedOutput,
  enterAlternativeScreen,
  eraseDown,
  eraseEndLine,
  exitAlternativeScreen,
} from 'ansi-escapes';
import { emitKeypressEvents } from 'node:readline';

// DECAWM: lines wider than the terminal are clipped instead of wrapped, so a
// long reason never pushes the frame off the screen. ansi-escapes has no name for it.
const AUTOWRAP_OFF = '\u001b[?7l';
const AUTOWRAP_ON = '\u001b[?7h';

export interface Key {
  name?: string;
  ctrl?: boolean;
  sequence?: string;
}

export class Screen {
  private active = false;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream
  ) {}

  get rows(): number {
    return this.output.rows || 24;
  }

  /** Takes the terminal: alternate screen, no cursor, raw keys to `onKey`. */
  enter(onKey: (key: Key) => void): void {
    this.active = true;
    this.output.write(enterAlternativeScreen + cursorHide + AUTOWRAP_OFF);
    emitKeypressEvents(this.input);
    this.input.setRawMode(true);
    this.input.on('keypress', (_: string, key: Key | undefined) => onKey(key ?? {}));
    this.input.resume();
  }

  draw(frame: string): void {
    const lines = frame.split('\n').map((line) => line + eraseEndLine);
    this.output.write(beginSynchronizedOutput + cursorTo(0, 0) + lines.join('\n') + eraseDown + endSynchronizedOutput);
  }

  /** Gives the terminal back; safe to call more than once. */
  leave(): void {
    if (!this.active) {
      return;
    }
    this.active = false;
    this.input.setRawMode(false);
    this.input.pause();
    this.output.write(AUTOWRAP_ON + cursorShow + exitAlternativeScreen);
  }
}

// Lines a control-socket client sends once its run has started (signals to
// forward), read with a bound. Node's readline keeps a line until its newline
// comes, however long: a client that sends without one made the agent hold
// all of it, and search all of it again at every read.
import type { Readable } from 'node:stream';

/**
 * Calls `onLine` with each line of `input` (without its newline). A line
 * longer than `maxBytes` is skipped whole, up to its newline, without being
 * held; `onSkipped` hears of it.
 */
export function readLines(
  input: Readable,
  maxBytes: number,
  onLine: (line: string) => void,
  onSkipped: () => void = () => undefined
): void {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let skipping = false;
  input.on('data', (chunk: Buffer) => {
    let from = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, from);
      const end = newline < 0 ? chunk.length : newline;
      if (!skipping) {
        if (heldBytes + (end - from) > maxBytes) {
          skipping = true;
          held = [];
          heldBytes = 0;
          onSkipped();
        } else if (end > from) {
          held.push(Buffer.from(chunk.subarray(from, end))); // a copy: the read it came from may be far larger
          heldBytes += end - from;
        }
      }
      if (newline < 0) {
        return;
      }
      if (!skipping) {
        onLine(Buffer.concat(held, heldBytes).toString('utf8'));
      }
      held = [];
      heldBytes = 0;
      skipping = false;
      from = newline + 1;
    }
  });
}

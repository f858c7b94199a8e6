// Borderless, aligned tables (cli-table3) for terminal output: zviz top and
// the demo's summaries. cli-table3 measures colored text by its visible width.
import Table from 'cli-table3';
import type { createColors } from 'picocolors';

type Colors = ReturnType<typeof createColors>;

const NO_BORDER = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** A borderless table, columns two spaces apart, heads in bold when color is on; one string per line. */
export function table(head: string[], align: Array<'left' | 'right'>, rows: string[][], c: Colors): string[] {
  const t = new Table({
    head: head.map((h) => c.bold(h)),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: align,
  });
  t.push(...rows);
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd());
}

// Borderless, aligned tables (cli-table3) for terminal output: zviz top and
// the demo's summaries. cli-table3 measures colored text by its visible width.
import Table from 'cli-table3';
import type { createColors } from 'picocolors';

type Colors = ReturnType<typeof createColors>;

/** cli-table3's characters for a table without borders, columns two spaces apart. */
export const NO_BORDER = {
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

/** Rows laid out by one cli-table3 table: its layout costs grow with the square of the rows. */
const CHUNK_ROWS = 100;

const ANSI = /\u001b\[[0-9;]*m/g;

/** Visible width of plain ASCII text with color escapes; undefined for anything else. */
function asciiWidth(text: string): number | undefined {
  const plain = text.replace(ANSI, '');
  return /^[\x20-\x7e]*$/.test(plain) ? plain.length : undefined;
}

function render(head: string[] | undefined, align: Array<'left' | 'right'>, rows: string[][], colWidths?: number[]) {
  const t = new Table({
    ...(head ? { head } : {}),
    chars: NO_BORDER,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns: align,
    ...(colWidths ? { colWidths } : {}),
  });
  t.push(...rows);
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd());
}

/**
 * A borderless table, columns two spaces apart, heads in bold when color is
 * on; one string per line. Past a hundred rows (`zviz top` of a thousand
 * containers) it is laid out a hundred rows at a time with the widths of the
 * whole table, the same lines for a fraction of the time.
 */
export function table(head: string[], align: Array<'left' | 'right'>, rows: string[][], c: Colors): string[] {
  const heads = head.map((h) => c.bold(h));
  if (rows.length <= CHUNK_ROWS) {
    return render(heads, align, rows);
  }
  const widths = heads.map((h) => asciiWidth(h) ?? NaN);
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, asciiWidth(cell) ?? NaN);
    });
  }
  if (widths.some((w) => !Number.isFinite(w))) {
    return render(heads, align, rows); // wide or control characters: cli-table3 measures them
  }
  const lines: string[] = [];
  for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
    lines.push(...render(i === 0 ? heads : undefined, align, rows.slice(i, i + CHUNK_ROWS), widths));
  }
  return lines;
}

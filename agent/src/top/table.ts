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

const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Printable ASCII and the few narrow signs top prints (µ, ·, the en dash of a
 * missing value, the ellipsis): one column each, as cli-table3 measures them.
 */
const NARROW = /^[\x20-\x7e\u00b5\u00b7\u2013\u2026]*$/;

/** Visible width of narrow text with color escapes; undefined for anything else. */
function asciiWidth(text: string): number | undefined {
  const plain = text.replace(ANSI, '');
  return NARROW.test(plain) ? plain.length : undefined;
}

function render(head: string[], align: Array<'left' | 'right'>, rows: string[][]) {
  const t = new Table({
    head,
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

/**
 * A borderless table, columns two spaces apart, heads in bold when color is
 * on; one string per line. When every cell is narrow text (with color),
 * whose width is its length, the columns are padded here, line for line what
 * cli-table3 lays out: its layout checks every cell against every other for
 * spans, and a thousand containers' rows in `zviz top` took it seconds.
 * Other text (wide characters) is measured and laid out by cli-table3.
 */
export function table(head: string[], align: Array<'left' | 'right'>, rows: string[][], c: Colors): string[] {
  const heads = head.map((h) => c.bold(h));
  const widths = heads.map((h) => asciiWidth(h) ?? NaN);
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, asciiWidth(cell) ?? NaN);
    });
  }
  if (widths.some((w) => !Number.isFinite(w))) {
    return render(heads, align, rows);
  }
  const line = (cells: readonly string[]) =>
    widths
      .map((width, i) => {
        const cell = cells[i] ?? '';
        const pad = ' '.repeat(width - asciiWidth(cell)!);
        return align[i] === 'right' ? pad + cell : cell + pad;
      })
      .join(NO_BORDER.middle)
      .trimEnd();
  return [line(heads), ...rows.map(line)];
}

// Strings a workload chose (the paths it opens, the programs it runs, the
// names it gives) reach the operator's terminal through `zviz top`, `zviz
// run`, `zviz health`, the demo and text-mode logs. A terminal acts on some
// characters instead of showing them: escape sequences clear the screen, set
// the window title or fake colored lines, a newline forges a log line, and
// bidirectional overrides reorder what is shown. Every such character is
// shown escaped (jsesc's notation, as a JavaScript string literal writes it:
// \x1B, \n, \u202E), never passed through. Backslashes are doubled, so an
// escape a workload wrote literally cannot pass for one ZViz made.
import jsesc from 'jsesc';

/**
 * Control characters (C0, DEL, C1), format characters (bidirectional
 * overrides and isolates, zero-width characters), line and paragraph
 * separators, lone surrogates, and the backslash.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\\]/gu;
/** What a terminal could act on inside JSON text (JSON escapes C0 itself, but not DEL, C1 or format characters). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

/** The text with every character a terminal would act on escaped. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, (ch) => jsesc(ch));
}

/** JSON text with DEL, C1 and format characters as \u escapes: the same JSON value, safe to print. */
export function jsonForTerminal(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => jsesc(ch, { json: true, wrap: false }));
}

/**
 * A parsed JSON value with every string in it (keys too) escaped for the
 * terminal; for what a terminal program receives from the agent before it
 * shows any of it.
 */
export function stringsForTerminal<T>(value: T): T {
  if (typeof value === 'string') {
    return forTerminal(value) as T;
  }
  if (Array.isArray(value)) {
    return value.map((item) => stringsForTerminal(item)) as T;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[forTerminal(key)] = stringsForTerminal(item);
    }
    return out as T;
  }
  return value;
}

/** JSON from the agent, parsed, with every string escaped for the terminal. */
export function parseForTerminal(json: string): unknown {
  return stringsForTerminal(JSON.parse(json) as unknown);
}

// Values a user or a client sent, put into an error message. A message must
// stay a line someone can read whatever was sent: a megabyte-long YAML value,
// a 4 KiB path or a string full of control characters is cut to its start and
// says how long it was, with whatever a terminal would act on escaped
// (terminal/escape.ts).
import { forTerminal, jsonForTerminal } from '../terminal/escape';

/** Longest piece of a value an error message repeats. */
export const QUOTE_MAX = 64;

/** The value as a JSON string literal, cut after `max` characters: "abc…" (5000 characters). */
export function quote(value: string, max = QUOTE_MAX): string {
  const shown = cut(value, max);
  return `${jsonForTerminal(JSON.stringify(shown.text))}${shown.rest}`;
}

/** The value bare (for paths and names in running text), cut and escaped the same way. */
export function shorten(value: string, max = 2 * QUOTE_MAX): string {
  const shown = cut(value, max);
  return `${forTerminal(shown.text)}${shown.rest}`;
}

function cut(value: string, max: number): { text: string; rest: string } {
  const chars = [...value];
  if (chars.length <= max) {
    return { text: value, rest: '' };
  }
  return { text: `${chars.slice(0, max).join('')}…`, rest: ` (${chars.length} characters)` };
}

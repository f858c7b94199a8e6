// What parsing an upstream's JSON may cost, judged before JSON.parse. The
// response limit bounds an answer's bytes, not what V8 makes of them: 48 MiB
// of `{},` are 16 million objects, which took the datasource backend to 3 GB
// resident and minutes of its one thread (docs/security.md's attack table, "a
// node taken over"). Every answer of the agent API has a known most (1,000
// events a page, a few fields each, nested a few levels), so an answer far
// beyond it is refused by a scan that costs one pass over the text and no
// allocation.

export interface JsonBudget {
  /** The most tokens: objects and arrays opened, strings (keys included) and separators (commas). */
  values: number;
  /** The most objects and arrays open at once. */
  depth: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * Why `text` is beyond `budget` ("more than 100,000 JSON values", "nested
 * more than 16 deep"), or undefined. Malformed JSON is left to JSON.parse,
 * which says where it breaks.
 */
export function jsonOverBudget(text: string, budget: JsonBudget): string | undefined {
  let values = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      values++;
      // Skip the string: an escape takes the character after it.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) {
          i++;
        } else if (s === QUOTE) {
          break;
        }
      }
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      values++;
      if (++depth > budget.depth) {
        return `nested more than ${budget.depth.toLocaleString('en-US')} deep`;
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    } else if (c === COMMA) {
      values++;
    } else {
      continue;
    }
    if (values > budget.values) {
      return `more than ${budget.values.toLocaleString('en-US')} JSON values`;
    }
  }
  return undefined;
}

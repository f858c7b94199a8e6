// How many bytes the JSON text of a value takes at least, found without
// writing it. A handler's answer is checked against the response budget with
// this first (response-budget.ts): an answer that cannot fit is refused
// before it is built, since the 4 MB strings built and thrown away for
// refused requests were what let the agent's memory grow past its budget.
/** A lower bound of `Buffer.byteLength(JSON.stringify(value))`. */
export function jsonBytesAtLeast(value: unknown): number {
  switch (typeof value) {
    case 'string':
      // Every character is at least one byte, plus the quotes.
      return value.length + 2;
    case 'number':
    case 'boolean':
    case 'bigint':
      return 1;
    case 'object': {
      if (value === null) {
        return 4;
      }
      if (Array.isArray(value)) {
        // Brackets and the commas between items.
        let bytes = 1 + Math.max(1, value.length);
        for (const item of value) {
          bytes += jsonBytesAtLeast(item);
        }
        return bytes;
      }
      // Braces, and for each member its quoted key, a colon and a comma but the last.
      let bytes = 1;
      let members = 0;
      for (const [key, item] of Object.entries(value)) {
        if (item !== undefined && typeof item !== 'function') {
          bytes += key.length + 4 + jsonBytesAtLeast(item);
          members++;
        }
      }
      return bytes + (members === 0 ? 1 : 0);
    }
    default:
      return 0;
  }
}

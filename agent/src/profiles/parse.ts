// The first step of loading a profile: its text as JSON, or the one problem
// that it is not, with the line and column of the syntax error.
import type { Problem } from './problems';

/** JSON.parse with the position of a syntax error turned into line and column. */
export function parseJson(text: string): { data: unknown } | { problem: Problem } {
  try {
    return { data: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    }
    return {
      problem: { pointer: '', reason: `invalid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}` },
    };
  }
}

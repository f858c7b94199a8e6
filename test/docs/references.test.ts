// A reader of the repository has only the repository: comments, tests,
// dashboards and docs cite the project's own docs (docs/*.md) or state the
// fact, and name another product's guide by that product (podtrace,
// zai-proxy), never by the number of a design input the reader cannot open.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(__dirname, '..', '..');

/** The word followed by a number in any spelling (see the examples below); not `seed = 42` or `prng(seed)`. */
const NUMBERED_INPUT = /\bseeds?[ _-]?(?:0|[1-9]\b)/i;
/** The design inputs' file names (`000_<16 hex digits>.txt`). */
const INPUT_FILE = /\b00\d_[0-9a-f]{16}\b/;

/** Where a text breaks one of the rules: `line: text` for each. */
function numberedReferences(text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => NUMBERED_INPUT.test(line) || INPUT_FILE.test(line))
    .map(({ line, n }) => `${n}: ${line.trim().slice(0, 160)}`);
}

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter(Boolean);
}

describe('references in the repository', () => {
  it('catch the forms a numbered design input is cited by, and leave other seeds alone', () => {
    // Spelled in parts, so that this file cites nothing itself.
    const word = ['se', 'ed'].join('');
    for (const cited of [
      `${word} 000's fields`,
      `the ${word} 000s`,
      `${word[0].toUpperCase()}${word.slice(1)} 001: RTT Distribution`,
      `${word}s 001–003 are other guides`,
      `as ${word}-002 has it`,
      `(${word} 2)`,
      `see ${['000', '19d1acfae9cdd117'].join('_')}.txt`,
    ]) {
      expect(numberedReferences(cited), cited).toHaveLength(1);
    }
    for (const other of ['let seed = 42;', 'prng(seed)', 'seed?: number', 'seeded with 7', '*.seed']) {
      expect(numberedReferences(other), other).toEqual([]);
    }
  });

  it('cite the project’s own docs, never a numbered design input, in any tracked file', () => {
    const found: string[] = [];
    for (const path of trackedFiles()) {
      let text: string;
      try {
        text = readFileSync(join(repo, path), 'utf8');
      } catch {
        continue; // listed but absent (a deletion not yet committed)
      }
      if (text.includes('\0')) {
        continue; // binary
      }
      found.push(...numberedReferences(text).map((hit) => `${path}:${hit}`));
    }
    expect(found, 'cite docs/*.md, state the fact, or name the product whose guide it is').toEqual([]);
  });
});

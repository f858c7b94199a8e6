// .dockerignore as Docker reads it, enough for this repository's patterns:
// `*`, `?` and `**` globs, directories excluding what is inside them, `!`
// exceptions, the last matching pattern deciding.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** .dockerignore patterns as a predicate on context-relative paths (later patterns win). */
export function dockerignore(context: string): (path: string) => boolean {
  const rules = readFileSync(join(context, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const glob = l.replace(/^!/, '').replace(/^\/+|\/+$/g, '');
      const source = glob
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => {
          if (part === '**/') {
            return '(?:.*/)?';
          }
          if (part === '**') {
            return '.*';
          }
          if (part === '*') {
            return '[^/]*';
          }
          if (part === '?') {
            return '[^/]';
          }
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { negated, re: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => rules.reduce((ignored, r) => (r.re.test(path) ? !r.negated : ignored), false);
}

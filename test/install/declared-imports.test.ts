// Every package the repository's code imports is declared by the package.json
// the importing file belongs to (its workspace's, or the root's for the root's
// own files and for what every workspace shares). Undeclared imports work only
// while npm happens to hoist another package's dependency to the root
// node_modules; a lockfile change elsewhere then breaks a fresh clone.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

import { TEST_SUPPORT } from '../architecture/rules';

const repo = join(__dirname, '..', '..');

/** Imports that name no npm package, each with why. */
const NOT_PACKAGES = new Map([
  ['amd-module', "Grafana's plugin loader provides it at run time (the webpack config's virtual public-path module)"],
  [
    TEST_SUPPORT,
    'the workspace npm links for every workspace; test/architecture keeps its manifest its only definition',
  ],
]);

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^'"]*?\bfrom\s+['"]([^'"]+)['"]|\bimport\s+['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Package names a source imports, comments left out. */
function importedPackages(text: string): string[] {
  const code = text
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');
  const names = new Set<string>();
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
    // internal/...: Node's own modules, which `node --expose-internals` lets a test probe load.
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || spec.startsWith('internal/')) {
      continue;
    }
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (!builtinModules.includes(name)) {
      names.add(name);
    }
  }
  return [...names];
}

/** The package.json a file belongs to: the nearest one above it. */
function manifestOf(file: string): string {
  let dir = dirname(file);
  while (dir !== '.' && !existsSync(join(repo, dir, 'package.json'))) {
    dir = dirname(dir);
  }
  return dir === '.' ? 'package.json' : join(dir, 'package.json');
}

function declared(manifest: string): Set<string> {
  const json = JSON.parse(readFileSync(join(repo, manifest), 'utf8')) as Record<string, unknown>;
  const sections = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
  return new Set([
    json.name as string,
    ...sections.flatMap((s) => Object.keys((json[s] as Record<string, string> | undefined) ?? {})),
  ]);
}

describe('imports', () => {
  it('are read from import, export, require and import() forms, outside comments', () => {
    expect(
      importedPackages(
        [
          "import { a } from 'pkg-a/sub';",
          "import type { B } from '@scope/b';",
          "export * from 'pkg-c';",
          "import 'pkg-d';",
          "const e = require('pkg-e');",
          "await import('pkg-f');",
          "import { readFileSync } from 'node:fs';",
          "import { x } from './local';",
          "import { join } from 'path';",
          "// require('commented-out');",
        ].join('\n')
      ).sort()
    ).toEqual(['@scope/b', 'pkg-a', 'pkg-c', 'pkg-d', 'pkg-e', 'pkg-f']);
  });

  it('name packages the package.json of their workspace (or the root) declares', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .split('\0')
      .filter((f) => /\.(ts|tsx|mts|cts|mjs|cjs|js|jsx)$/.test(f) && !f.includes('node_modules/'))
      // This file's examples above are strings, not imports.
      .filter((f) => f !== relative(repo, __filename));
    const root = declared('package.json');
    const undeclared = new Set<string>();
    let checked = 0;
    for (const file of files) {
      const manifest = manifestOf(file);
      const own = declared(manifest);
      for (const name of importedPackages(readFileSync(join(repo, file), 'utf8'))) {
        checked++;
        if (!own.has(name) && !root.has(name) && !NOT_PACKAGES.has(name)) {
          undeclared.add(`${name}: imported by ${file}, not declared in ${manifest}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(500);
    expect([...undeclared]).toEqual([]);
  });
});

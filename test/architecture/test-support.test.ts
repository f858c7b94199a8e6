// @zviz/test-support is defined in one place: test/support/package.json
// makes test/support a private workspace package, which npm links for every
// workspace, vitest, tsc, tsx and the benchmarks alike. Anywhere else, code
// and configuration may only import it: an alias set up again (a tsconfig
// `paths` entry, a vitest, jest or bundler alias) fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { glob } from 'glob';
import { describe, expect, it } from 'vitest';

import { REPO } from './import-graph';
import { TEST_SUPPORT, testSupportDefinitions } from './rules';

const MANIFEST = 'test/support/package.json';

describe('@zviz/test-support', () => {
  it('is the workspace package test/support, defined by its manifest alone', async () => {
    const manifest = JSON.parse(readFileSync(join(REPO, MANIFEST), 'utf8')) as { name: string; private: boolean };
    expect(manifest).toMatchObject({ name: TEST_SUPPORT, private: true });
    const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { workspaces: string[] };
    expect(root.workspaces).toContain('test/support');

    const paths = await glob('**/*.{json,js,cjs,mjs,ts,cts,mts,tsx}', {
      cwd: REPO,
      dot: true,
      ignore: [
        '**/node_modules/**',
        '**/dist/**',
        '**/build/**',
        '.git/**',
        'package-lock.json',
        'test-results/**',
        'playwright-report/**',
        // These tests spell the name out to look for it.
        'test/architecture/**',
        MANIFEST,
      ],
    });
    expect(paths.length).toBeGreaterThan(100);
    const files = new Map(paths.map((path) => [path, readFileSync(join(REPO, path), 'utf8')]));
    // The rule sees the imports it lets through.
    expect([...files.values()].some((text) => text.includes(`from '${TEST_SUPPORT}/`))).toBe(true);
    expect(testSupportDefinitions(files), 'define it in test/support/package.json only').toEqual([]);
  });

  it('tells an alias from an import', () => {
    const files = new Map([
      ['agent/tsconfig.json', '{\n  "paths": {\n    "@zviz/test-support/*": ["../test/support/*"]\n  }\n}'],
      ['test/support/vitest-config.ts', "alias: { '@zviz/test-support': resolve(repo, 'test/support') },"],
      ['jest.config.js', "moduleNameMapper: { '^@zviz/test-support/(.*)$': '<rootDir>/test/support/$1' },"],
      [
        'agent/test/top.test.ts',
        [
          "import { freePort } from '@zviz/test-support/ports';",
          '} from "@zviz/test-support/requirements";',
          "const m = await import('@zviz/test-support/machine');",
          "vi.mock('@zviz/test-support/disk');",
          '// @zviz/test-support is linked by npm',
        ].join('\n'),
      ],
    ]);
    expect(testSupportDefinitions(files)).toEqual([
      'agent/tsconfig.json:3',
      'jest.config.js:1',
      'test/support/vitest-config.ts:1',
    ]);
  });
});

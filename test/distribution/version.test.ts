// One version for the app, the backend and the agent: the root package.json's.
// Every place that records it, in the sources and in what the build made,
// must say the same; scripts/version.mjs writes it everywhere and catches
// any place that disagrees.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { listFiles } from '../../scripts/lib/plugin-rules.mjs';
import {
  disagreements,
  projectVersion,
  propagate,
  TEXT_PLACES,
  versionPlaces,
  WORKSPACES,
} from '../../scripts/version.mjs';
import { ok, repo, scratch } from './support';

const version = projectVersion(repo);

describe('project version', () => {
  it('is a semantic version, and every manifest, the lockfile, the image and the changelog agree with it', () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(disagreements(repo)).toEqual([]);
  });

  it('is what every built plugin.json says', () => {
    const dist = join(repo, 'dist');
    const manifests = listFiles(dist).filter((f) => f.endsWith('plugin.json'));
    expect(manifests).toEqual(expect.arrayContaining(['plugin.json', 'datasource/plugin.json']));
    for (const file of manifests) {
      expect({ file, version: JSON.parse(readFileSync(join(dist, file), 'utf8')).info.version }).toEqual({
        file,
        version,
      });
    }
  });

  it('is what the built agent prints for --version', () => {
    expect(ok(process.execPath, [join(repo, 'agent', 'bin', 'zviz.js'), '--version']).trim()).toBe(version);
  });

  it('is the version label of zviz_build_info on the built agent /metrics', async () => {
    const port = await freePort();
    const agent = spawn(
      process.execPath,
      [join(repo, 'agent', 'bin', 'zviz.js'), 'agent', '--addr', `127.0.0.1:${port}`],
      {
        stdio: 'ignore',
      }
    );
    try {
      const exposition = await waitFor('the agent /metrics', async () => {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        return response.ok ? response.text() : undefined;
      });
      expect(exposition).toMatch(
        new RegExp(`^zviz_build_info\\{[^}]*version="${version.replace(/\./g, '\\.')}"[^}]*\\} 1$`, 'm')
      );
    } finally {
      agent.kill('SIGTERM');
    }
  });
});

describe('scripts/version.mjs', () => {
  const dir = scratch('version');

  function copyOfRepo(): string {
    const copy = join(dir, `repo${Math.random().toString(36).slice(2)}`);
    for (const file of [
      'package.json',
      'package-lock.json',
      'CHANGELOG.md',
      ...WORKSPACES.map((w) => `${w}/package.json`),
      ...TEXT_PLACES.map((p) => p.file),
    ]) {
      mkdirSync(join(copy, file, '..'), { recursive: true });
      cpSync(join(repo, file), join(copy, file));
    }
    return copy;
  }

  it('names each place that disagrees with the root version', () => {
    const copy = copyOfRepo();
    const root = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8'));
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...root, version: '9.9.9' }));
    const problems = disagreements(copy);
    const places = versionPlaces(copy).map((p) => p.place);
    expect(places.length).toBeGreaterThanOrEqual(7);
    for (const place of places) {
      expect(
        problems.some((p) => p.startsWith(`${place} says ${version}`)),
        place
      ).toBe(true);
    }
    expect(problems).toContain('CHANGELOG.md has no "## [9.9.9]" section');
  });

  it('writes the root version everywhere, and under npm version dates the changelog section', () => {
    const copy = copyOfRepo();
    const root = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8'));
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...root, version: '9.9.9' }));
    propagate(copy, { stamp: true, date: '2030-01-02' });
    expect(versionPlaces(copy).every((p) => p.version === '9.9.9')).toBe(true);
    expect(readFileSync(join(copy, 'CHANGELOG.md'), 'utf8')).toMatch(/^## \[9\.9\.9\] - 2030-01-02$/m);
    expect(disagreements(copy)).toEqual([]);
  });

  it('changes nothing when the changelog has no section to give the new version', () => {
    const copy = copyOfRepo();
    const root = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8'));
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ ...root, version: '9.9.9' }));
    writeFileSync(join(copy, 'CHANGELOG.md'), `# Changelog\n\n## [${version}] - 2026-01-01\n`);
    expect(() => propagate(copy, { stamp: true })).toThrow(/CHANGELOG.md has no section for 9.9.9/);
    expect(JSON.parse(readFileSync(join(copy, 'agent', 'package.json'), 'utf8')).version).toBe(version);
  });
});

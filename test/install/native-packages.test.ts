// A fresh machine builds the native addons and runs the tests only if
// scripts/setup.sh installs every Debian package they need. This test reads
// what the build really uses (the libraries binding.gyp links and every header
// the addon and BPF sources pull in from outside the tree, as the compilers
// resolve them) and every command the tests and benchmarks run, asks dpkg which
// package owns each file, and checks that setup.sh names the package or a
// package that depends on it, or that every Debian system has it (Essential or
// of priority required, as debootstrap's minbase installs). Node.js itself is
// the one prerequisite setup.sh does not install (README: "Quick start"), and
// git the clone came with.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

import { binary, describeWhere, file, type Requirement } from '../support/requirements';

const repo = join(__dirname, '..', '..');
const agent = join(repo, 'agent');
const PREREQUISITES = new Set(['nodejs']);
/**
 * Node.js's own headers (node_api.h and what it includes), where this Node.js
 * keeps them: node-gyp builds against them. Installed with Node.js however it
 * came (Debian's or NodeSource's nodejs package, or nodejs.org's archive,
 * which no package owns), so a prerequisite and not setup.sh's to install.
 */
const nodeHeaders = join(dirname(dirname(realpathSync(process.execPath))), 'include', 'node');

function sh(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, {
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** binding.gyp is a Python literal; with its comment lines removed it is JSON. */
function linkedLibraries(): string[] {
  const text = readFileSync(join(agent, 'binding.gyp'), 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  const gyp = JSON.parse(text) as { targets: Array<{ libraries?: string[] }> };
  const names = gyp.targets.flatMap((t) => t.libraries ?? []).filter((l) => l.startsWith('-l'));
  return [...new Set(names.map((l) => l.slice(2)))];
}

/** `[key]=package` entries of setup.sh's NEEDS table (native and cross). */
function setupPackages(): string[] {
  const script = readFileSync(join(repo, 'scripts', 'setup.sh'), 'utf8');
  return [...script.matchAll(/^\s*\[[^\]]+\]=([a-z0-9.+:-]+)\s*$/gm)].map((m) => m[1]);
}

/** The file the linker picks for -l<name>: the shared library, else the static one. */
function libraryFile(compiler: string, name: string): string | undefined {
  for (const file of [`lib${name}.so`, `lib${name}.a`]) {
    const found = sh(compiler, [`-print-file-name=${file}`]).trim();
    if (found.startsWith('/')) {
      return found;
    }
  }
  return undefined;
}

/**
 * The spellings merged /usr makes equal, as dpkg may have registered any one
 * of them. Only the directory is resolved: the linker needs the -dev
 * package's `libX.so` link itself, not the runtime library it points to.
 */
function spellings(file: string): string[] {
  const real = join(realpathSync(dirname(file)), basename(file));
  const out = new Set([file, real]);
  for (const path of [file, real]) {
    out.add(path.startsWith('/usr/') ? path.slice(4) : `/usr${path}`);
  }
  return [...out];
}

/**
 * Packages owning each file, with their architecture qualifiers (a header
 * shared by several architectures of a Multi-Arch package has one owner
 * each). One dpkg -S for all files: it prints what it finds and complains
 * about the rest.
 */
function owners(files: string[]): Map<string, string[]> {
  const asked = new Map<string, string>();
  for (const file of files) {
    for (const spelling of spellings(file)) {
      asked.set(spelling, file);
    }
  }
  const result = spawnSync('dpkg', ['-S', ...asked.keys()], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const found = new Map<string, string[]>();
  for (const line of result.stdout.split('\n')) {
    const at = line.lastIndexOf(': ');
    const file = asked.get(line.slice(at + 2));
    if (at > 0 && file) {
      found.set(file, [...(found.get(file) ?? []), ...line.slice(0, at).split(', ')]);
    }
  }
  return found;
}

/** Every package that setup.sh's packages bring, following Depends and Pre-Depends. */
function closure(packages: string[]): Set<string> {
  const out = sh('apt-cache', [
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    ...packages,
  ]);
  const names = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /^(?:\s*(?:\|?Depends|PreDepends): )?<?([a-z0-9.+:-]+)>?$/.exec(line.trim());
    if (m) {
      names.add(m[1]);
    }
  }
  return names;
}

function covered(pkg: string, brought: Set<string>, arch: string): boolean {
  const [name, qualifier] = pkg.split(':');
  if (PREREQUISITES.has(name)) {
    return true;
  }
  if (qualifier && qualifier !== arch && qualifier !== 'all') {
    return brought.has(`${name}:${qualifier}`);
  }
  return brought.has(name) || brought.has(`${name}:${arch}`);
}

function sources(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => pattern.test(f))
    .map((f) => join(dir, f));
}

/** Header files a compiler reads for these sources, outside the repository. */
function externalHeaders(compiler: string, args: string[], files: string[]): string[] {
  const deps = files.flatMap((file) =>
    sh(compiler, [...args, '-M', file])
      .replace(/\\\n/g, ' ')
      .split(/\s+/)
  );
  return [...new Set(deps.filter((d) => d.startsWith('/') && d.endsWith('.h') && relative(repo, d).startsWith('..')))];
}

const amd64: Requirement = () =>
  process.arch === 'x64' ? undefined : 'the arm64 cross build is only set up on amd64 hosts';
const built = file(join(agent, 'bpf', 'build', 'vmlinux.h'), 'build the agent first (npm run build)');

describeWhere(
  [binary('dpkg'), binary('apt-cache'), built],
  'scripts/setup.sh installs every package the native build uses',
  () => {
    let arch = '';
    let brought = new Set<string>();

    beforeAll(() => {
      arch = sh('dpkg', ['--print-architecture']).trim();
      brought = closure(setupPackages());
    });

    it('names a package for each library binding.gyp links, on this architecture', () => {
      const libs = linkedLibraries();
      expect(libs).toEqual(expect.arrayContaining(['seccomp', 'bpf', 'elf', 'z']));
      const missing: string[] = [];
      const files = new Map(libs.map((lib) => [lib, libraryFile('g++', lib)]));
      const owned = owners([...files.values()].filter((f) => f !== undefined));
      for (const lib of libs) {
        const file = files.get(lib);
        const pkgs = (file && owned.get(file)) || [];
        if (!pkgs.some((pkg) => covered(pkg, brought, arch))) {
          missing.push(`-l${lib}: ${file ?? 'not found'} (${pkgs.join(', ') || 'no package'})`);
        }
      }
      expect(missing).toEqual([]);
    });

    describeWhere([amd64, binary('aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu')], 'the arm64 cross build', () => {
      it('names the arm64 package for each library the cross-built addons link', () => {
        const missing: string[] = [];
        const libs = linkedLibraries();
        const files = new Map(libs.map((lib) => [lib, libraryFile('aarch64-linux-gnu-g++', lib)]));
        const owned = owners([...files.values()].filter((f) => f !== undefined));
        for (const lib of libs) {
          const file = files.get(lib);
          const pkgs = (file && owned.get(file)) || [];
          if (!pkgs.some((pkg) => covered(pkg, brought, arch))) {
            missing.push(`-l${lib}: ${file ?? 'not found'} (${pkgs.join(', ') || 'no package'})`);
          }
        }
        expect(missing).toEqual([]);
      });
    });

    it('names a package for each header the addons and BPF programs include from outside the tree', () => {
      const napi = join(repo, 'node_modules', 'node-addon-api');
      const native = externalHeaders(
        'g++',
        [
          '-std=c++20',
          '-DNAPI_VERSION=8',
          `-I${napi}`,
          `-I${nodeHeaders}`,
          `-I${join(agent, 'native', 'src')}`,
          `-I${join(agent, 'bpf', 'build')}`,
        ],
        sources(join(agent, 'native', 'src'), /\.cc$/)
      );
      const bpf = externalHeaders(
        'clang',
        ['-target', 'bpf', '-D__TARGET_ARCH_x86', `-I${join(agent, 'bpf', 'build')}`, `-I${join(agent, 'bpf')}`],
        sources(join(agent, 'bpf'), /^[^/]+\.bpf\.c$/)
      );
      const headers = [...native, ...bpf];
      // The sources really were read: seccomp and libbpf headers are among them.
      expect(headers.some((h) => h.endsWith('/seccomp.h'))).toBe(true);
      expect(headers.some((h) => h.endsWith('/bpf/bpf_helpers.h'))).toBe(true);
      expect(headers.some((h) => h.startsWith(`${nodeHeaders}/`))).toBe(true);
      const missing = new Set<string>();
      const owned = owners(headers);
      for (const header of headers.filter((h) => !h.startsWith(`${nodeHeaders}/`))) {
        const pkgs = owned.get(header) ?? [];
        if (!pkgs.some((pkg) => covered(pkg, brought, arch))) {
          missing.add(`${header} (${pkgs.join(', ') || 'no package'})`);
        }
      }
      expect([...missing]).toEqual([]);
    });
  }
);

/** Commands a fresh machine has before setup.sh runs: Node.js with npm, and git, which made the clone. */
const PREREQUISITE_COMMANDS = new Set(['node', 'npm', 'npx', 'git']);

/** Commands only an optional developer tool runs, never `npm test` or `npm run bench:*`; each says why. */
const OPTIONAL_COMMANDS = new Map([
  ['perf', 'PROFILE_PERF=1 of bench/backend/first-query-profile.ts, a profiler run by hand (linux-perf)'],
]);

/** Where a command is found on PATH, as execvp finds it (shell builtins such as true have a file too). */
function onPath(command: string): string | undefined {
  if (command.startsWith('/')) {
    return existsSync(command) ? command : undefined;
  }
  return (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => join(dir, command))
    .find((path) => existsSync(path));
}

/** Where tests and benchmarks name a command they run. */
const RUNS = [
  // the first argument of spawn, spawnSync, execFile, execFileSync and binary, when it is a literal
  /\b(?:spawn|spawnSync|execFile|execFileSync|binary)\(\s*['"]([A-Za-z/][\w./+-]*)['"]/g,
  // workloads given by path: the first word of a `command:` array or after `--`
  /(?:\bcommand:\s*\[\s*|['"]--['"],\s*)['"](\/(?:usr\/)?s?bin\/[\w.+-]+)['"]/g,
];

/** Every command the tests, their support, the benchmarks and the build scripts run, with one file naming it. */
function commandsRun(): Map<string, string> {
  const files = sh('git', ['ls-files', '-z', 'agent', 'test', 'pkg-backend', 'bench', 'scripts', 'packages'])
    .split('\0')
    .filter((f) => /\.(ts|mts|mjs|cjs|js)$/.test(f) && !f.includes('node_modules/'));
  const found = new Map<string, string>();
  for (const path of files) {
    const text = readFileSync(join(repo, path), 'utf8');
    for (const pattern of RUNS) {
      for (const m of text.matchAll(pattern)) {
        if (!found.has(m[1])) {
          found.set(m[1], path);
        }
      }
    }
  }
  return found;
}

/** Binaries setup.sh builds with `go install module/path@version`, by name. */
function goInstalled(): Set<string> {
  const script = readFileSync(join(repo, 'scripts', 'setup.sh'), 'utf8');
  return new Set(
    [...script.matchAll(/go install "?([^"@\s]+)@/g)].map((m) => {
      const parts = m[1].split('/').filter((p) => !/^v\d+$/.test(p));
      return parts[parts.length - 1];
    })
  );
}

/**
 * The packages apt installs for these: Depends and Pre-Depends, recursively,
 * taking only the first of alternatives and no virtual package (a package
 * that one of several alternatives would bring is not a promise).
 */
function installedWith(packages: string[]): Set<string> {
  const out = sh('apt-cache', [
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    ...packages,
  ]);
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of out.split('\n')) {
    if (line && !line.startsWith(' ')) {
      current = blocks.get(line.trim()) ?? [];
      blocks.set(line.trim(), current);
    } else if (current) {
      current.push(line);
    }
  }
  const brought = new Set(packages);
  const queue = [...packages];
  while (queue.length > 0) {
    let afterAlternative = false;
    for (const line of blocks.get(queue.shift()!) ?? []) {
      const m = /^ (\||\s)(?:Pre)?Depends: (\S+)$/.exec(line);
      if (!m) {
        continue;
      }
      const name = m[2];
      if (!afterAlternative && !name.startsWith('<') && !brought.has(name)) {
        brought.add(name);
        queue.push(name);
      }
      afterAlternative = m[1] === '|';
    }
  }
  return brought;
}

/** Packages every Debian system has: Essential, or of priority required (debootstrap's minbase). */
function basePackages(packages: string[]): Set<string> {
  const result = spawnSync('dpkg-query', ['-W', '-f', '${Package}\t${Essential}\t${Priority}\n', ...packages], {
    encoding: 'utf8',
  });
  return new Set(
    result.stdout
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([, essential, priority]) => essential === 'yes' || priority === 'required')
      .map(([name]) => name)
  );
}

describeWhere(
  [binary('dpkg'), binary('dpkg-query', 'dpkg'), binary('apt-cache')],
  'scripts/setup.sh installs every command the tests and benchmarks run',
  () => {
    it('finds the commands where the tests name them', () => {
      const commands = commandsRun();
      // One of each form: a requirement, a spawned tool, a workload.
      expect(commands.get('promtool')).toBeDefined();
      expect(commands.get('pgrep')).toBe('agent/test/sandbox/run-cli.test.ts');
      expect(commands.get('/usr/bin/python3')).toBeDefined();
      expect(goInstalled()).toEqual(new Set(['kustomize', 'victoria-metrics']));
    });

    it('each is a prerequisite, built by setup.sh, or in a Debian package setup.sh installs or every system has', () => {
      const arch = sh('dpkg', ['--print-architecture']).trim();
      const brought = installedWith(setupPackages().map((p) => p.split(':')[0]));
      const built = goInstalled();
      const commands = commandsRun();
      const paths = new Map<string, string>();
      const problems: string[] = [];
      for (const [command, where] of commands) {
        if (PREREQUISITE_COMMANDS.has(command) || built.has(command) || OPTIONAL_COMMANDS.has(command)) {
          continue;
        }
        if (command === 'go') {
          continue; // setup.sh stops with where to get it (Debian's is too old)
        }
        const found = onPath(command);
        if (!found) {
          problems.push(`${command} (${where}): not on this machine`);
          continue;
        }
        paths.set(command, found);
      }
      // The file itself and what its links lead to (cc is an alternative of gcc).
      const candidates = new Map<string, string[]>();
      for (const [command, path] of paths) {
        candidates.set(command, [...new Set([path, realpathSync(path)])]);
      }
      const owned = owners([...candidates.values()].flat());
      const base = basePackages([...new Set([...owned.values()].flat().map((p) => p.split(':')[0]))]);
      for (const [command, files] of candidates) {
        const pkgs = files.flatMap((f) => owned.get(f) ?? []);
        const ok = pkgs.some((pkg) => base.has(pkg.split(':')[0]) || covered(pkg, brought, arch));
        if (!ok) {
          problems.push(
            `${command} (${commands.get(command)}): ${files.join(' -> ')} is in ${pkgs.join(', ') || 'no package'}`
          );
        }
      }
      expect(problems).toEqual([]);
    });
  }
);

#!/usr/bin/env node
// Puts the built native addons (and zviz-init and zviz-spawn, which the broker addon runs
// from its own directory) where the packaged agent loads them from,
// prebuilds/linux-<arch>/ (see src/native/load.ts), stripped of symbols, so
// `npm install` of the package needs no compiler, node-gyp or headers. npm
// runs this before `npm pack` and `npm publish` (the prepack script).
//
// The BPF programs are not separate files: the tracer addon embeds them
// through libbpf skeletons, so shipping the addon ships them.
//
// Sources: build/Release/ for this machine's architecture (npm run build),
// and a fresh cross build for the other one (x64 <-> arm64) with Debian's
// cross compiler and multiarch libraries, which scripts/setup.sh installs.
// ZVIZ_PREBUILD_ARCHES=x64 (or arm64) limits the package to one architecture.
//
// The cross-built BPF objects are compiled against this machine's kernel
// BTF (vmlinux.h) with the target's __TARGET_ARCH_*, plus the few target
// types that vmlinux.h lacks (scripts/cross/<arch>-bpf-types.h: arm64's
// user_pt_regs, which libbpf's PT_REGS_* macros read). CO-RE relocates every
// field access to the running kernel's BTF when the program loads. Syscall
// numbers are not compiled in: the agent fills them in at run time.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ADDONS = ['zviz_broker', 'zviz_tracer'];
// The containers' PID 1 (native/src/init/init.c) and the program their first
// process executes (native/src/spawn/), static executables the broker addon
// runs from its own directory.
const EXECUTABLES = ['zviz-init', 'zviz-spawn'];
const ELF_MACHINES = { x64: 62, arm64: 183 };
const TRIPLETS = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

function elfMachine(path) {
  const header = readFileSync(path).subarray(0, 20);
  if (header.toString('latin1', 0, 4) !== '\x7fELF') {
    return undefined;
  }
  return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
}

function have(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** llvm-strip handles every ELF architecture; binutils' strip only the host's. */
function stripper(arch) {
  const tool = ['llvm-strip', arch === process.arch ? 'strip' : `${TRIPLETS[arch]}-strip`].find(have);
  return tool ?? fail(`no strip tool for ${arch} (install llvm or binutils)`);
}

function step(command, args, options) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], ...options });
  if (result.status !== 0) {
    fail(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.error})`);
  }
}

/**
 * Builds the BPF objects and both addons for another architecture in a
 * scratch copy (node-gyp always writes build/ next to binding.gyp, and the
 * native build must stay as it is). Returns the directory with the addons.
 */
function crossBuild(arch) {
  const triplet = TRIPLETS[arch];
  const missing = [`${triplet}-g++`].filter((t) => !have(t));
  for (const [lib, pkg] of [
    ['libbpf.so', 'libbpf-dev'],
    ['libseccomp.so', 'libseccomp-dev'],
  ]) {
    if (!existsSync(`/usr/lib/${triplet}/${lib}`)) {
      missing.push(`${pkg}:${arch}`);
    }
  }
  if (missing.length > 0) {
    const packages = [
      `g++-${triplet.replace(/_/g, '-')}`,
      `libbpf-dev:${arch}`,
      `libelf-dev:${arch}`,
      `zlib1g-dev:${arch}`,
      `libseccomp-dev:${arch}`,
    ];
    fail(
      `cannot cross-build the ${arch} addons: ${missing.join(', ')} missing. ` +
        `Run scripts/setup.sh, or: dpkg --add-architecture ${arch} && apt-get update && apt-get install ${packages.join(' ')}. ` +
        `ZVIZ_PREBUILD_ARCHES=${process.arch} packs this architecture only.`
    );
  }
  const work = mkdtempSync(join(tmpdir(), `zviz-cross-${arch}-`));
  const bpfArch = { x64: 'x86', arm64: 'arm64' }[arch];
  // Types the target's BPF headers need that this host's vmlinux.h lacks
  // (scripts/cross/<arch>-bpf-types.h), included ahead of every program.
  const types = join(root, 'scripts', 'cross', `${arch}-bpf-types.h`);
  const clang = existsSync(types) ? [`CLANG=clang -include ${types}`] : [];
  step('make', ['-s', '-C', join(root, 'bpf'), `BUILD=${join(work, 'bpf', 'build')}`, `ARCH=${bpfArch}`, ...clang]);
  for (const entry of ['binding.gyp', 'native']) {
    step('cp', ['-r', join(root, entry), work]);
  }
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  // binding.gyp asks Node for node-addon-api's headers from the scratch copy.
  const nodePath = [join(root, 'node_modules'), join(root, '..', 'node_modules')].join(':');
  step(
    process.execPath,
    [nodeGyp, 'rebuild', '--loglevel=warn', `--arch=${arch}`, `--nodedir=${dirname(dirname(process.execPath))}`],
    {
      cwd: work,
      env: {
        ...process.env,
        NODE_PATH: nodePath,
        CC: `${triplet}-gcc`,
        CXX: `${triplet}-g++`,
        LINK: `${triplet}-g++`,
        AR: `${triplet}-ar`,
      },
    }
  );
  return { dir: join(work, 'build', 'Release'), cleanup: () => rmSync(work, { recursive: true, force: true }) };
}

function prebuild(arch, buildDir) {
  const target = join(root, 'prebuilds', `linux-${arch}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const strip = stripper(arch);
  for (const file of [...ADDONS.map((addon) => `${addon}.node`), ...EXECUTABLES]) {
    const source = join(buildDir, file);
    if (!existsSync(source)) {
      fail(`${source} is missing; build the addons first (npm run build -w agent)`);
    }
    if (elfMachine(source) !== ELF_MACHINES[arch]) {
      fail(`${source} is not a linux-${arch} ELF object`);
    }
    const dest = join(target, file);
    copyFileSync(source, dest);
    // --strip-unneeded keeps the dynamic symbols Node resolves (napi_register_module_v1).
    // The static executables are linked stripped (-s in binding.gyp): strip
    // tools trip over the IRELATIVE relocations of a static glibc.
    const stripped = EXECUTABLES.includes(file)
      ? { status: 0 }
      : spawnSync(strip, ['--strip-unneeded', dest], { stdio: 'inherit' });
    if (stripped.status !== 0) {
      fail(`${strip} failed on ${dest}`);
    }
    const kib = (n) => `${Math.round(n / 1024)} KiB`;
    console.error(
      `prebuild: ${dest.slice(root.length + 1)} (${kib(statSync(source).size)} -> ${kib(statSync(dest).size)})`
    );
  }
}

if (process.platform !== 'linux') {
  fail('the agent runs on Linux only');
}
if (!existsSync(join(root, 'dist', 'zviz.js'))) {
  fail('dist/zviz.js is missing; build the agent first (npm run build -w agent)');
}

prebuild(process.arch, join(root, 'build', 'Release'));

const arches = (process.env.ZVIZ_PREBUILD_ARCHES ?? Object.keys(ELF_MACHINES).join(','))
  .split(',')
  .map((a) => a.trim());
for (const arch of Object.keys(ELF_MACHINES).filter((a) => a !== process.arch)) {
  if (!arches.includes(arch)) {
    rmSync(join(root, 'prebuilds', `linux-${arch}`), { recursive: true, force: true });
    continue;
  }
  const cross = crossBuild(arch);
  try {
    prebuild(arch, cross.dir);
  } finally {
    cross.cleanup();
  }
}

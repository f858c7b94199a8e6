#!/usr/bin/env node
// Puts the built native addons where the packaged agent loads them from,
// prebuilds/linux-<arch>/ (see src/native/load.ts), stripped of symbols, so
// `npm install` of the package needs no compiler, node-gyp or headers. npm
// runs this before `npm pack` and `npm publish` (the prepack script).
//
// The BPF programs are not separate files: the tracer addon embeds them
// through libbpf skeletons, so shipping the addon ships them.
//
// Sources: build/Release/ for this machine's architecture, and, when it
// exists, build-<arch>/Release/ from a cross build for another one
// (scripts/cross-build.sh). A cross build older than the native build is
// refused rather than shipped stale.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ADDONS = ['zviz_broker', 'zviz_tracer'];
const ELF_MACHINES = { x64: 62, arm64: 183 };

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

/** llvm-strip handles every ELF architecture; binutils' strip only the host's. */
function stripper(arch) {
  for (const tool of [
    'llvm-strip',
    arch === process.arch ? 'strip' : `${arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu-strip`,
  ]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) {
      return tool;
    }
  }
  return fail(`no strip tool for ${arch} (install llvm or binutils)`);
}

function prebuild(arch, buildDir) {
  const target = join(root, 'prebuilds', `linux-${arch}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const strip = stripper(arch);
  for (const addon of ADDONS) {
    const source = join(buildDir, `${addon}.node`);
    if (!existsSync(source)) {
      fail(`${source} is missing; build the addons first (npm run build -w agent)`);
    }
    if (elfMachine(source) !== ELF_MACHINES[arch]) {
      fail(`${source} is not a linux-${arch} ELF object`);
    }
    const dest = join(target, `${addon}.node`);
    copyFileSync(source, dest);
    // --strip-unneeded keeps the dynamic symbols Node resolves (napi_register_module_v1).
    const stripped = spawnSync(strip, ['--strip-unneeded', dest], { stdio: 'inherit' });
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

const native = join(root, 'build', 'Release');
prebuild(process.arch, native);

for (const arch of Object.keys(ELF_MACHINES).filter((a) => a !== process.arch)) {
  const cross = join(root, `build-${arch}`, 'Release');
  if (!existsSync(cross)) {
    rmSync(join(root, 'prebuilds', `linux-${arch}`), { recursive: true, force: true });
    continue;
  }
  const newestNative = Math.max(...ADDONS.map((a) => statSync(join(native, `${a}.node`)).mtimeMs));
  const oldestCross = Math.min(
    ...ADDONS.map((a) => (existsSync(join(cross, `${a}.node`)) ? statSync(join(cross, `${a}.node`)).mtimeMs : 0))
  );
  if (oldestCross < newestNative) {
    fail(`${cross} is older than the native build; rerun the cross build for ${arch} or delete ${cross}`);
  }
  prebuild(arch, cross);
}

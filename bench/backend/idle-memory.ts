// Where an idle plugin's resident memory is, beside the Node reference that
// bench.ts measures (the built-ins a gRPC server and an HTTP client load,
// listening on a Unix socket): both started in the plugin host's environment
// with their executables dropped from the page cache (the reference runs from
// a copy of the node binary the plugin was built from, so the two map the same
// code at the same file offsets), read IDLE_MS (2000) after start.
//
// For each: its resident set by kind (the executable's pages, other files,
// V8's heap pages, malloc's main arena, the rest), V8's heap spaces (from a
// module preloaded with NODE_OPTIONS=--require, which changes no V8 flag and
// so leaves the code cache usable). Then the executable's resident pages that
// only one of the two touched, by /proc/PID/pagemap, named by `nm` of the
// executable: which of Node's code and data the plugin brings in.
//
// Run: npx tsx bench/backend/idle-memory.ts [EXECUTABLE] (after npm run build
// -w pkg-backend). Needs root (pagemap) and nm (binutils).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pluginEnv } from './plugin-process';

const executable =
  process.argv[2] ??
  join(__dirname, '..', '..', 'dist', 'datasource', `gpx_zviz_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);
const IDLE_MS = Number(process.env.IDLE_MS ?? 2000);
const PAGE = 4096;
const KiB = (bytes: number) => `${(bytes / 1024).toFixed(0).padStart(7)} KiB`;

const HEAP_REPORT = `
setTimeout(() => {
  const spaces = require('node:v8').getHeapSpaceStatistics().filter((s) => s.physical_space_size > 0);
  process.stderr.write('ZVIZ_HEAP ' + JSON.stringify(spaces.map((s) => [s.space_name, s.space_used_size, s.physical_space_size])) + '\\n');
}, ${IDLE_MS - 50}).unref();
`;

const REFERENCE =
  "for (const m of ['http2', 'https', 'zlib', 'dns', 'perf_hooks', 'assert', 'stream/promises', 'v8', 'vm']) require(m);" +
  "require('net').createServer().listen(process.argv[1], () => process.stdout.write('1\\n'))";

interface Mapping {
  start: number;
  end: number;
  offset: number;
  path: string;
  rss: number;
  anonymous: number;
}

function mappings(pid: number): Mapping[] {
  const rows: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      rows.push({
        start: parseInt(head[1], 16),
        end: parseInt(head[2], 16),
        offset: parseInt(head[3], 16),
        path: head[4],
        rss: 0,
        anonymous: 0,
      });
    } else if (line.startsWith('Rss:')) {
      rows[rows.length - 1].rss = Number(line.split(/\s+/)[1]) * 1024;
    } else if (line.startsWith('Anonymous:')) {
      rows[rows.length - 1].anonymous = Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  return rows;
}

/** File offsets of the resident pages of `file`'s mappings (pagemap's present bit). */
function residentFilePages(pid: number, rows: Mapping[], file: string): Set<number> {
  const pages = new Set<number>();
  const fd = openSync(`/proc/${pid}/pagemap`, 'r');
  try {
    for (const m of rows.filter((r) => r.path === file)) {
      const count = (m.end - m.start) / PAGE;
      const entries = Buffer.alloc(count * 8);
      readSync(fd, entries, 0, entries.length, (m.start / PAGE) * 8);
      for (let i = 0; i < count; i++) {
        if (entries.readBigUInt64LE(i * 8) >> 63n) {
          pages.add(m.offset + i * PAGE);
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return pages;
}

/** The executable's symbols by file offset (virtual address minus its section's), sorted. */
function symbolsByOffset(file: string): { offsets: number[]; names: string[] } {
  const sections: Array<{ address: number; offset: number; size: number }> = [];
  for (const m of execFileSync('readelf', ['-SW', file], { encoding: 'utf8' }).matchAll(
    /\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/g
  )) {
    const [address, offset, size] = [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
    if (address && size) sections.push({ address, offset, size });
  }
  const symbols: Array<[number, string]> = [];
  const nm = execFileSync('nm', ['--defined-only', '-C', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  for (const line of nm.split('\n')) {
    const m = /^([0-9a-f]+) \S (.+)$/.exec(line);
    if (!m) continue;
    const address = parseInt(m[1], 16);
    const section = sections.find((s) => address >= s.address && address < s.address + s.size);
    if (section) symbols.push([address - section.address + section.offset, m[2]]);
  }
  symbols.sort((a, b) => a[0] - b[0]);
  return { offsets: symbols.map((s) => s[0]), names: symbols.map((s) => s[1]) };
}

/** A symbol's family: V8's compilers, WebAssembly, ICU, builtins, OpenSSL, nghttp2… */
function family(name: string): string {
  for (const [pattern, label] of [
    [/^v8::internal::wasm::/, "V8's WebAssembly"],
    [/^v8::internal::(compiler|turboshaft)::/, "V8's TurboFan"],
    [/^v8::internal::maglev::/, "V8's Maglev"],
    [/^v8::internal::baseline::/, "V8's Sparkplug"],
    [/^Builtins_/, "V8's builtins"],
    [/^v8::/, 'V8, other'],
    [/^icu_\d+::|^u[a-z]+_\d+|icudt/, 'ICU'],
    [/^node::/, 'Node'],
    [/nghttp2/, 'nghttp2'],
    [/^uv_/, 'libuv'],
    [/^(ossl|OPENSSL|EVP_|SSL|BN_|CRYPTO_)/, 'OpenSSL'],
  ] as const) {
    if (pattern.test(name)) return label;
  }
  return 'other';
}

async function startIdle(command: string, args: string[], env: Record<string, string>, preload: string) {
  const child = spawn(command, args, {
    env: { ...env, NODE_OPTIONS: `--require ${preload}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  return { child, heap: () => /ZVIZ_HEAP (.*)/.exec(stderr)?.[1] };
}

function report(label: string, pid: number, file: string, heap: string | undefined): Set<number> {
  const rows = mappings(pid);
  const sum = (pick: (m: Mapping) => boolean, field: 'rss' | 'anonymous') =>
    rows.filter(pick).reduce((total, m) => total + m[field], 0);
  const v8Page = (m: Mapping) => m.path === '' && m.end - m.start === 256 * 1024;
  console.log(`${label}: RSS ${KiB(sum(() => true, 'rss'))}, anonymous ${KiB(sum(() => true, 'anonymous'))}`);
  console.log(`  the executable's pages        ${KiB(sum((m) => m.path === file, 'rss'))}`);
  console.log(`  other files (libc, libstdc++) ${KiB(sum((m) => m.path.startsWith('/') && m.path !== file, 'rss'))}`);
  console.log(`  V8 heap pages (256 KiB each)  ${KiB(sum(v8Page, 'anonymous'))}`);
  console.log(`  malloc's main arena ([heap])  ${KiB(sum((m) => m.path === '[heap]', 'anonymous'))}`);
  console.log(
    `  other anonymous               ${KiB(sum((m) => !v8Page(m) && m.path !== '[heap]' && !m.path.startsWith('/'), 'anonymous'))}`
  );
  for (const [space, used, physical] of JSON.parse(heap ?? '[]') as Array<[string, number, number]>) {
    console.log(`    ${space.padEnd(24)} used ${KiB(used)}, physical ${KiB(physical)}`);
  }
  return residentFilePages(pid, rows, file);
}

function onlyIn(pages: Set<number>, other: Set<number>, symbols: ReturnType<typeof symbolsByOffset>, title: string) {
  const byFamily = new Map<string, number>();
  for (const offset of pages) {
    if (other.has(offset)) continue;
    let lo = 0;
    let hi = symbols.offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (symbols.offsets[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const name = symbols.offsets[lo] <= offset ? family(symbols.names[lo]) : 'other';
    byFamily.set(name, (byFamily.get(name) ?? 0) + PAGE);
  }
  const total = [...byFamily.values()].reduce((a, b) => a + b, 0);
  console.log(`${title}: ${KiB(total)} (by the symbol at or before each page)`);
  for (const [name, bytes] of [...byFamily].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${KiB(bytes)}  ${name}`);
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-idle-memory-'));
  const preload = join(dir, 'heap-report.cjs');
  writeFileSync(preload, HEAP_REPORT);
  const node = join(dir, 'node');
  copyFileSync(process.execPath, node);
  const processes: ChildProcess[] = [];
  try {
    for (const file of [executable, node]) {
      execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    }
    console.log(
      `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}, idle ${IDLE_MS} ms`
    );
    const env = pluginEnv('warn');
    const plugin = await startIdle(executable, [], env, preload);
    processes.push(plugin.child);
    const pluginPages = report('plugin', plugin.child.pid!, executable, plugin.heap());
    const reference = await startIdle(node, ['-e', REFERENCE, join(dir, 'reference.sock')], env, preload);
    processes.push(reference.child);
    const referencePages = report('built-ins reference', reference.child.pid!, node, reference.heap());
    const symbols = symbolsByOffset(executable);
    onlyIn(pluginPages, referencePages, symbols, "the executable's pages only the plugin touched");
    onlyIn(referencePages, pluginPages, symbols, 'only the reference touched');
  } finally {
    for (const child of processes) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

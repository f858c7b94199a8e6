// The first code the gpx_zviz executable runs: it compiles the datasource
// bundle with the V8 code cache the build made for it, both appended to the
// executable after its end (scripts/build.mjs), then runs it. The SEA's own
// `useCodeCache` holds only what V8 compiles eagerly, the top level; this
// cache is taken from a training run after start-up and a first query
// (scripts/build.mjs), so the functions those need are not parsed and
// compiled again at every start.
//
// A code cache only fits the Node build that made it: the build makes it with
// the very node binary it injects, and ships none in an executable built from
// another binary (arm64). V8 itself refuses a cache of another version, flags
// or source, and then compiles as if there were none; the plugin logs which
// happened (`code_cache` on its start-up line).
//
// Run by plain Node (`node sea-main.cjs BUNDLE CACHE`), it is the training
// run: the same compilation from files, the cache written at exit.
'use strict';
const { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } = require('node:fs');
const { setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');
const sea = require('node:sea');

// Node compiles its built-in modules with the code cache it carries, which
// V8 takes only under the flags it was made with: once the flags below are
// set, every built-in loaded afterwards is compiled from its source (53 of
// them when the bundle loaded http2, https and zlib after the flags: some
// 20 ms more CPU at every start, docs/benchmarks.md). So the built-ins the
// bundle loads at start are loaded first, under Node's own flags. The
// training run (train-code-cache.mjs) fails the build when one is missing
// here; `cluster` (with child_process and dgram) is what net loads on its
// first listen.
const PRELOADED_BUILTINS = ['http2', 'https', 'zlib', 'dns', 'perf_hooks', 'os', 'process', 'cluster'];
for (const id of PRELOADED_BUILTINS) {
  require(id);
}
const builtinsBeforeFlags = process.moduleLoadList.length;

// The young generation starts at 1 MiB per semi-space and doubles whenever a
// scavenge keeps much; start-up kept enough to grow it to 4 MiB, which an
// idle plugin then holds for good. Growing by 1 keeps it at its start size.
// Set before compiling: V8's code cache records the flags it was made with,
// and the training run sets the same.
setFlagsFromString('--semi-space-growth-factor=1');
// No Sparkplug (V8's baseline compiler, between the interpreter and
// TurboFan): its code for what start-up and the warm-up ran stayed resident,
// 0.47 MiB of an idle plugin, and the promql query and 50 concurrent
// dashboards measured no slower without it (docs/benchmarks.md).
setFlagsFromString('--no-sparkplug');

const filename = 'gpx_zviz/datasource.js';
// build.mjs' appendPayload: [bundle][cache][bundle length, cache length: u32 LE][magic].
const PAYLOAD_MAGIC = 'gpx_zviz payload';

/** Reads `length` bytes at `position` of `fd` into a buffer of their own (freed once unreferenced). */
function readAt(fd, position, length) {
  const bytes = Buffer.allocUnsafeSlow(length);
  for (let done = 0; done < length;) {
    const n = readSync(fd, bytes, done, length - done, position + done);
    if (n === 0) {
      throw new Error('the gpx_zviz executable ends inside its payload');
    }
    done += n;
  }
  return bytes;
}

let source;
let cachedData;
let writeCacheTo;
if (sea.isSea()) {
  // Read, not mapped: the executable's own file, whichever path started it
  // (and were it replaced on disk meanwhile). The bundle is ASCII (build.mjs
  // checks), so as Latin-1 its bytes are its characters; V8 copies both into
  // its heap, and the buffers go with the next scavenge.
  const fd = openSync('/proc/self/exe', 'r');
  try {
    const end = fstatSync(fd).size - 8 - PAYLOAD_MAGIC.length;
    const trailer = readAt(fd, end, 8 + PAYLOAD_MAGIC.length);
    if (trailer.toString('latin1', 8) !== PAYLOAD_MAGIC) {
      throw new Error('the gpx_zviz executable carries no bundle: rebuild it with `npm run build -w pkg-backend`');
    }
    const sourceLength = trailer.readUInt32LE(0);
    const cacheLength = trailer.readUInt32LE(4);
    source = readAt(fd, end - cacheLength - sourceLength, sourceLength).toString('latin1');
    // No cache in an executable made from another architecture's node.
    cachedData = cacheLength > 0 ? readAt(fd, end - cacheLength, cacheLength) : undefined;
  } finally {
    closeSync(fd);
  }
} else {
  source = readFileSync(process.argv[2], 'utf8');
  writeCacheTo = process.argv[3];
}

// The bundle is one function expression (build.mjs), the module wrapper Node would add.
const script = new Script(source, { filename, cachedData });
source = undefined;
cachedData = undefined;
globalThis.__zvizCodeCache =
  script.cachedDataRejected === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
if (writeCacheTo) {
  process.on('exit', () => {
    writeFileSync(writeCacheTo, script.createCachedData());
    const late = process.moduleLoadList
      .slice(builtinsBeforeFlags)
      // Node's internal modules cannot be required by name; the public ones bring theirs.
      .filter((entry) => entry.startsWith('NativeModule ') && !entry.startsWith('NativeModule internal/'))
      .map((entry) => entry.slice('NativeModule '.length));
    if (late.length > 0) {
      // train-code-cache.mjs fails the build on this line.
      process.stderr.write(`gpx_zviz training: built-ins loaded after the V8 flags: ${late.join(' ')}\n`);
    }
  });
}
const module_ = { exports: {}, filename, id: filename, loaded: true };
script.runInThisContext().call(module_.exports, module_.exports, require, module_, filename, 'gpx_zviz');

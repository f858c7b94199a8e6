// The first code the gpx_zviz executable runs: it compiles the datasource
// bundle (a SEA asset) with the V8 code cache the build made for it (another
// asset), then runs it. The SEA's own `useCodeCache` holds only what V8
// compiles eagerly, the top level; this cache is taken from a training run
// after start-up and a first query (scripts/build.mjs), so the functions
// those need are not parsed and compiled again at every start.
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
const { setFlagsFromString } = require('node:v8');
const { Script } = require('node:vm');
const sea = require('node:sea');

// The young generation starts at 1 MiB per semi-space and doubles whenever a
// scavenge keeps much; start-up kept enough to grow it to 4 MiB, which an
// idle plugin then holds for good. Growing by 1 keeps it at its start size.
// Set before compiling: V8's code cache records the flags it was made with,
// and the training run sets the same.
setFlagsFromString('--semi-space-growth-factor=1');

const filename = 'gpx_zviz/datasource.js';
let source;
let cachedData;
let writeCacheTo;
if (sea.isSea()) {
  // The assets as they lie in the executable's mapped blob (getRawAsset, no
  // copy; getAsset copies each first). V8 only reads the cache. The bundle is
  // ASCII (build.mjs checks), so as Latin-1 its bytes are its characters.
  source = Buffer.from(sea.getRawAsset('datasource.js')).toString('latin1');
  try {
    cachedData = new Uint8Array(sea.getRawAsset('datasource.js.cache'));
  } catch {
    // No cache for this build (made from another architecture's node).
  }
} else {
  const { readFileSync } = require('node:fs');
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
  process.on('exit', () => require('node:fs').writeFileSync(writeCacheTo, script.createCachedData()));
}
const module_ = { exports: {}, filename, id: filename, loaded: true };
script.runInThisContext().call(module_.exports, module_.exports, require, module_, filename, 'gpx_zviz');

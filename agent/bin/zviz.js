#!/usr/bin/env node
// Starts the bundle with the V8 code cache the build made for it
// (dist/<bundle>.cache/, written by scripts/bundle.mjs next to the bundle and
// installed with it), so V8 does not parse and compile the JavaScript at
// every start. `zviz run` gets dist/zviz-run.js, the bundle of that command
// alone (a fifth of the size), every other command dist/zviz.js. Only the
// Node build that made the cache uses it (code-cache.js); any other Node, or
// a cache V8 itself rejects, loads the bundle as a plain module.
'use strict';
// First of all: SIGUSR1 with no handler makes Node open its inspector (code
// execution as whoever runs zviz, root). With this handler it never does
// (src/cli/inspector-guard.ts says what is left and how it is closed).
process.on('SIGUSR1', () => {});
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const { readCodeCache } = require('./code-cache');

const bundle = join(__dirname, '..', 'dist', process.argv[2] === 'run' ? 'zviz-run.js' : 'zviz.js');
const cachedData = readCodeCache(bundle);
if (cachedData === undefined) {
  require(bundle);
  return;
}
const wrapper = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
const exports_ = {};
const module_ = { exports: exports_, filename: bundle, id: bundle, loaded: true };
wrapper.runInThisContext().call(exports_, exports_, Module.createRequire(bundle), module_, bundle, dirname(bundle));

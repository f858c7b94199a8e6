#!/usr/bin/env node
// Starts the bundle with the V8 code cache the build made for it
// (dist/zviz.js.cache/, written by scripts/bundle.mjs next to the bundle and
// installed with it), so V8 does not parse and compile 1.5 MB of JavaScript
// at every `zviz run`. Only the Node build that made the cache uses it
// (code-cache.js); any other Node, or a cache V8 itself rejects, loads the
// bundle as a plain module.
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

const bundle = join(__dirname, '..', 'dist', 'zviz.js');
const cachedData = readCodeCache(bundle);
if (cachedData === undefined) {
  require(bundle);
  return;
}
const wrapper = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
const exports_ = {};
const module_ = { exports: exports_, filename: bundle, id: bundle, loaded: true };
wrapper.runInThisContext().call(exports_, exports_, Module.createRequire(bundle), module_, bundle, dirname(bundle));

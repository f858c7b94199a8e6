#!/bin/sh
':' /*-
# This file is read twice: first by the shell (above, a no-op command whose
# argument starts the comment that hides these lines from Node), then by Node.
#
# `zviz run` makes no TLS connection, yet Node parses the bundle that
# NODE_EXTRA_CA_CERTS names, and its own root store, before any script runs:
# about 45 ms for a system bundle (144 certificates), more than all of
# `zviz run`'s own start (docs/benchmarks.md, "zviz run start-up"). For `run`
# the value is handed over under another name, and set back in process.env
# below, so `zviz run -e NODE_EXTRA_CA_CERTS` still passes the caller's value.
if [ "$1" = run ] && [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then
  ZVIZ_CALLER_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export ZVIZ_CALLER_NODE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
else
  unset ZVIZ_CALLER_NODE_EXTRA_CA_CERTS
fi
exec node "$0" "$@"
*/
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
// Set back what the shell lines above moved aside (too late for Node to read).
if (process.env.ZVIZ_CALLER_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.ZVIZ_CALLER_NODE_EXTRA_CA_CERTS;
  delete process.env.ZVIZ_CALLER_NODE_EXTRA_CA_CERTS;
}
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

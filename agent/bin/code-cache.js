// Where the V8 code cache of the bundle lives for the Node running now. A
// cache only fits the Node build that made it: V8 checks its own version and
// flags, but not everything (a cache made by x64 Node crashed arm64 Node of
// the same version), so the file name carries the architecture, the Node
// version and a fingerprint of how that Node was configured, and any other
// Node finds no cache and loads the bundle plainly.
'use strict';
const { join } = require('node:path');

/** FNV-1a, 32 bits: a fingerprint, not a secret. */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function codeCachePath(bundle) {
  const build = fnv1a(`${process.version}|${process.arch}|${JSON.stringify(process.config)}`);
  return join(`${bundle}.cache`, `${process.arch}-${process.version}-${build}`);
}

module.exports = { codeCachePath };

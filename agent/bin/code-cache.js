// The V8 code cache of a bundle, for the Node running now. A cache only fits
// the Node build that made it: V8 checks its own version and flags, but not
// everything (a cache made by x64 Node crashed arm64 Node of the same
// version). So the file is named after the architecture and the Node version,
// and starts with the configuration of the Node build that made it
// (process.config); any other Node finds no cache, or one whose header differs,
// and loads the bundle plainly.
//
// The header is compared as text rather than hashed at every start: hashing
// process.config's 13 kB in JavaScript cost `zviz run` several milliseconds.
//
// File layout: the header's length (uint32, little-endian), the header
// (JSON.stringify(process.config), UTF-8), then V8's cached data.
'use strict';
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

function codeCachePath(bundle) {
  return join(`${bundle}.cache`, `${process.arch}-${process.version}`);
}

function header() {
  return Buffer.from(JSON.stringify(process.config), 'utf8');
}

/** V8's cached data for `bundle` made by this Node build, or undefined. */
function readCodeCache(bundle) {
  let file;
  try {
    file = readFileSync(codeCachePath(bundle));
  } catch {
    return undefined;
  }
  if (file.length < 4) {
    return undefined;
  }
  const length = file.readUInt32LE(0);
  const expected = header();
  if (length !== expected.length || 4 + length > file.length || !expected.equals(file.subarray(4, 4 + length))) {
    return undefined;
  }
  return file.subarray(4 + length);
}

/** Writes V8's cached data for `bundle`, for this Node build (the build calls this). */
function writeCodeCache(bundle, data) {
  const head = header();
  const size = Buffer.alloc(4);
  size.writeUInt32LE(head.length, 0);
  mkdirSync(`${bundle}.cache`, { recursive: true });
  writeFileSync(codeCachePath(bundle), Buffer.concat([size, head, data]));
}

module.exports = { codeCachePath, readCodeCache, writeCodeCache };

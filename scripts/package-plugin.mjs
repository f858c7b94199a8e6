#!/usr/bin/env node
// `npm run package`: turns the built dist/ into the archive Grafana installs,
// artifacts/<plugin id>-<version>.zip, with one top-level folder named after
// the plugin id (what `grafana cli --pluginUrl`, the plugin validator and a
// manual unzip into the plugins directory all expect), plus .sha256 and .sha1
// files in `sha256sum`/`sha1sum` format (the catalog's submission form takes
// SHA-1 or MD5; SHA-256 is for people).
//
// It refuses to package a dist/ that breaks the rules in lib/plugin-rules.mjs,
// and it writes the same bytes for the same dist/: entries sorted, times set
// to the last commit's (or SOURCE_DATE_EPOCH), no extra attributes besides the
// Unix mode, which is what keeps the backend executables at 0755.
//
//   node scripts/package-plugin.mjs [--dist DIR] [--out DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { checkPluginDir, listFiles } from './lib/plugin-rules.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function buildTime() {
  if (process.env.SOURCE_DATE_EPOCH) {
    return Number(process.env.SOURCE_DATE_EPOCH);
  }
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: repo, encoding: 'utf8' }).trim());
  } catch {
    return Math.floor(Date.now() / 1000);
  }
}

function checksumFile(archive, algorithm) {
  const digest = createHash(algorithm).update(readFileSync(archive)).digest('hex');
  const path = `${archive}.${algorithm}`;
  writeFileSync(path, `${digest}  ${basename(archive)}\n`);
  return digest;
}

const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: join(repo, 'dist') },
    out: { type: 'string', default: join(repo, 'artifacts') },
  },
});
const dist = resolve(values.dist);
const out = resolve(values.out);

let plugin;
try {
  plugin = JSON.parse(readFileSync(join(dist, 'plugin.json'), 'utf8'));
} catch (error) {
  fail(`cannot read ${join(dist, 'plugin.json')} (${error.code ?? error.message}); run npm run build first`);
}
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;

const { errors, warnings } = checkPluginDir(dist, { version, sourceDir: repo });
for (const w of warnings) {
  console.warn(`package: warning [${w.rule}] ${w.message}`);
}
if (errors.length > 0) {
  for (const e of errors) {
    console.error(`package: [${e.rule}] ${e.message}`);
  }
  fail(`${dist} breaks ${errors.length} rule(s) Grafana or its plugin validator apply; not packaging it`);
}

const name = `${plugin.id}-${version}.zip`;
const archive = join(out, name);
const stage = join(out, '.stage');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
cpSync(dist, join(stage, plugin.id), { recursive: true, verbatimSymlinks: true });

const time = buildTime();
const entries = listFiles(join(stage, plugin.id)).map((f) => `${plugin.id}/${f}`);
for (const entry of entries) {
  utimesSync(join(stage, entry), time, time);
}

// zip adds to an existing archive, so start from nothing.
rmSync(archive, { force: true });
// -X: no uid/gid or extended time fields, only the Unix mode; -D: no
// directory entries (every installer creates them); -@: names from stdin,
// in our sorted order. TZ=UTC because zip stores local DOS times.
const zip = spawnSync('zip', ['-X', '-D', '-q', archive, '-@'], {
  cwd: stage,
  input: entries.join('\n') + '\n',
  env: { ...process.env, TZ: 'UTC' },
  stdio: ['pipe', 'inherit', 'inherit'],
});
if (zip.error?.code === 'ENOENT') {
  fail('zip is not installed (apt-get install zip, or run scripts/setup.sh)');
}
if (zip.status !== 0) {
  fail(`zip exited with ${zip.status}`);
}
rmSync(stage, { recursive: true, force: true });

const sha256 = checksumFile(archive, 'sha256');
checksumFile(archive, 'sha1');
const size = (statSync(archive).size / 1024 / 1024).toFixed(1);
console.log(`package: ${archive} (${entries.length} files, ${size} MiB)`);
console.log(`package: sha256 ${sha256}`);

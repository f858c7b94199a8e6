// The rules a Grafana plugin directory and its archive must follow, as
// Grafana's loader and installer and the plugin validator (plugincheck2)
// apply them. The validator itself cannot run here: it downloads its binary,
// the plugin.json schema and grafana.com data at run time. So the rules that
// decide whether Grafana loads the plugin are written down here, each named
// after the validator analyzer it mirrors, and checked on the built dist/
// before packaging and on the unpacked archive in test/distribution.
//
// Checks return findings instead of throwing, so one run lists every problem.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import semver from 'semver';

/** plugin.json `id`, from Grafana's plugin.json reference. */
export const PLUGIN_ID_PATTERN = /^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource)$/;

/** The oldest Grafana this project supports (create-plugin's current floor). */
export const MIN_GRAFANA = '12.3.0';

/** Grafana's executable suffixes for the platforms ZViz builds, with the ELF machine each must be. */
export const EXECUTABLE_ARCHES = {
  linux_amd64: { elfMachine: 62, name: 'x86-64' },
  linux_arm64: { elfMachine: 183, name: 'AArch64' },
};

/** Licenses the validator accepts (its detector's names start with these). */
const LICENSE_TEXTS = {
  'Apache-2.0': /Apache License\s+Version 2\.0, January 2004/,
  'AGPL-3.0': /GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3/,
};

const PLACEHOLDERS = /%(VERSION|TODAY|PLUGIN_ID)%/g;

/**
 * @typedef {{ rule: string, message: string }} Finding
 * @typedef {{ errors: Finding[], warnings: Finding[] }} Findings
 */

function findings() {
  const result = { errors: [], warnings: [] };
  return {
    result,
    error: (rule, message) => result.errors.push({ rule, message }),
    warn: (rule, message) => result.warnings.push({ rule, message }),
  };
}

/** Every file under dir, as POSIX paths relative to it, sorted. */
export function listFiles(dir) {
  const out = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else {
        out.push(relative(dir, full).split(sep).join('/'));
      }
    }
  };
  walk(dir);
  return out.sort();
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function elfMachine(path) {
  const header = readFileSync(path).subarray(0, 20);
  if (header.length < 20 || header.toString('latin1', 0, 4) !== '\x7fELF') {
    return undefined;
  }
  // e_machine is a 16-bit field at offset 18, in the file's byte order.
  return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
}

/**
 * Checks the directory Grafana mounts for the plugin (dist/, or the root
 * folder of the archive): every plugin.json in it, their files and the
 * top-level documents.
 *
 * @param {string} dir
 * @param {{ version?: string, sourceDir?: string }} [options] version: the one
 *   project version every plugin.json must carry; sourceDir: the repository,
 *   to check that source maps carry its sources.
 * @returns {Findings}
 */
export function checkPluginDir(dir, options = {}) {
  const { result, error, warn } = findings();
  if (!existsSync(join(dir, 'plugin.json'))) {
    error('metadata', `no plugin.json at the top of ${dir}`);
    return result;
  }
  const files = listFiles(dir);

  // nestedmetadata: every plugin.json parses.
  const plugins = new Map();
  for (const file of files.filter((f) => posix.basename(f) === 'plugin.json')) {
    try {
      plugins.set(file, readJson(join(dir, file)));
    } catch (e) {
      error('nestedmetadata', `${file} is not valid JSON: ${e.message}`);
    }
  }
  const main = plugins.get('plugin.json');
  if (!main) {
    return result;
  }

  for (const [file, meta] of plugins) {
    const pluginDir = posix.dirname(file) === '.' ? '' : posix.dirname(file);
    const at = (p) => (pluginDir ? `${pluginDir}/${p}` : p);
    checkMetadata(file, meta, error, options.version);

    // modulejs: Grafana loads each plugin's frontend from module.js next to its plugin.json.
    if (!files.includes(at('module.js'))) {
      error('modulejs', `${file}: no module.js next to it`);
    }

    // logos + metadatapaths: paths relative to this plugin.json, present in the archive.
    const logos = meta.info?.logos ?? {};
    for (const size of ['small', 'large']) {
      const logo = logos[size];
      if (typeof logo !== 'string' || !logo.trim()) {
        error('logos', `${file}: info.logos.${size} is empty`);
      } else if (checkRelativePath(file, `info.logos.${size}`, logo, error) && !files.includes(at(logo))) {
        error('logos', `${file}: info.logos.${size} "${logo}" is not in the archive (looked for ${at(logo)})`);
      }
    }
    for (const shot of meta.info?.screenshots ?? []) {
      if (!shot?.path?.trim()) {
        error('screenshots', `${file}: screenshot "${shot?.name ?? ''}" has an empty path`);
      } else if (
        checkRelativePath(file, 'info.screenshots[].path', shot.path, error) &&
        !files.includes(at(shot.path))
      ) {
        error('screenshots', `${file}: screenshot "${shot.path}" is not in the archive (looked for ${at(shot.path)})`);
      }
    }

    checkBackend(dir, file, meta, files, at, error);
  }

  // screenshots: the catalog shows the app's; the validator warns without any.
  if ((main.info?.screenshots ?? []).length === 0) {
    warn('screenshots', 'plugin.json: no info.screenshots for the plugin catalog');
  }

  // includesnested: nested plugins only in an app, each declared by path relative to dist with its type.
  const includes = Array.isArray(main.includes) ? main.includes : [];
  for (const [file, meta] of plugins) {
    if (file === 'plugin.json') {
      continue;
    }
    if (main.type !== 'app') {
      error('includesnested', `${file}: only app plugins may nest plugins, and plugin.json is a ${main.type}`);
      continue;
    }
    const declared = includes.find((inc) => inc.path === file);
    if (!declared) {
      error(
        'includesnested',
        `${file} is not declared in plugin.json includes (add {"type": "${meta.type}", "path": "${file}"})`
      );
    } else if (!declared.type) {
      error('includesnested', `plugin.json includes ${file} without a type`);
    } else if (declared.type !== meta.type) {
      error('includesnested', `plugin.json includes ${file} as ${declared.type}, but it is a ${meta.type}`);
    }
  }
  for (const inc of includes) {
    if (['datasource', 'panel'].includes(inc.type) && inc.path && !plugins.has(inc.path)) {
      error('includesnested', `plugin.json includes ${inc.type} ${inc.path}, which is not in the archive`);
    }
    if (inc.type === 'dashboard' && inc.path && !files.includes(inc.path)) {
      error('includes', `plugin.json includes dashboard ${inc.path}, which is not in the archive`);
    }
  }

  // Plugin ids are unique within the archive.
  const ids = [...plugins.values()].map((m) => m.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) {
    error('metadata', `plugin id ${id} is used by more than one plugin.json`);
  }

  // jsMap: a source map for every module.js, carrying the sources it was built from.
  for (const module of files.filter((f) => posix.basename(f) === 'module.js')) {
    checkSourceMap(dir, `${module}.map`, files, options.sourceDir, main.id, error);
  }

  // Placeholders the build should have filled in.
  for (const file of [...plugins.keys(), 'README.md']) {
    if (files.includes(file)) {
      const left = readFileSync(join(dir, file), 'utf8').match(PLACEHOLDERS);
      if (left) {
        error('placeholders', `${file} still contains ${[...new Set(left)].join(', ')}`);
      }
    }
  }

  checkDocuments(dir, files, main, options.version, error, warn);
  checkFileTypes(dir, files, error);
  return result;
}

function checkRelativePath(file, field, path, error) {
  if (/^[a-z]+:/i.test(path) || path.startsWith('/') || path.startsWith('.')) {
    error('metadatapaths', `${file}: ${field} "${path}" must be relative to plugin.json, without a leading "." or "/"`);
    return false;
  }
  return true;
}

function checkMetadata(file, meta, error, version) {
  if (typeof meta.id !== 'string' || !PLUGIN_ID_PATTERN.test(meta.id)) {
    error('metadatavalid', `${file}: id "${meta.id}" does not match ${PLUGIN_ID_PATTERN}`);
  } else if (meta.id.split('-').at(-1) !== meta.type) {
    error('typesuffix', `${file}: id "${meta.id}" must end with its type "${meta.type}"`);
  }
  if (!['app', 'datasource', 'panel'].includes(meta.type)) {
    error('metadatavalid', `${file}: type "${meta.type}" is not app, datasource or panel`);
  }
  if (typeof meta.name !== 'string' || !meta.name.trim()) {
    error('metadatavalid', `${file}: name is empty`);
  }
  if (!meta.info?.author?.name) {
    error('metadatavalid', `${file}: info.author.name is empty`);
  }
  const pluginVersion = meta.info?.version;
  if (!semver.valid(pluginVersion)) {
    error('version', `${file}: info.version "${pluginVersion}" is not a semantic version`);
  } else if (version && pluginVersion !== version) {
    error('version', `${file}: info.version is ${pluginVersion}, the project version is ${version}`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(meta.info?.updated ?? '')) {
    error('metadatavalid', `${file}: info.updated "${meta.info?.updated}" is not a YYYY-MM-DD date`);
  }
  const range = meta.dependencies?.grafanaDependency;
  if (!range) {
    error('grafanadependency', `${file}: dependencies.grafanaDependency is required`);
  } else if (!semver.validRange(range, { includePrerelease: true })) {
    error('grafanadependency', `${file}: dependencies.grafanaDependency "${range}" is not a semver range`);
  } else if (semver.lt(semver.minVersion(range, { includePrerelease: true }), MIN_GRAFANA)) {
    error(
      'grafanadependency',
      `${file}: dependencies.grafanaDependency "${range}" admits Grafana older than ${MIN_GRAFANA}`
    );
  }
}

// backendbinary + binarypermissions: backend and executable go together,
// alerting needs a backend, and Grafana runs <executable>_linux_<arch>
// from the plugin's own directory, so it must be there, executable (0755)
// and built for that architecture.
function checkBackend(dir, file, meta, files, at, error) {
  if (meta.alerting && !meta.backend) {
    error('backendbinary', `${file}: alerting requires "backend": true`);
  }
  if (meta.backend && !meta.executable) {
    error('backendbinary', `${file}: "backend": true without an executable`);
  }
  if (!meta.executable) {
    return;
  }
  if (!meta.backend) {
    error('backendbinary', `${file}: executable "${meta.executable}" without "backend": true`);
  }
  const base = at(meta.executable);
  const binaries = files.filter((f) => f.startsWith(base) && f !== base);
  if (!binaries.includes(`${base}_linux_amd64`)) {
    error('backendbinary', `${file}: no ${base}_linux_amd64, the executable Grafana runs on linux/amd64`);
  }
  for (const binary of binaries) {
    const full = join(dir, binary);
    const mode = statSync(full).mode & 0o777;
    if (mode !== 0o755) {
      error('binarypermissions', `${binary} has mode ${mode.toString(8).padStart(4, '0')}, Grafana needs 0755`);
    }
    const arch = Object.keys(EXECUTABLE_ARCHES).find((a) => binary.endsWith(`_${a}`));
    if (!arch) {
      error('backendbinary', `${binary} is not named <executable>_linux_amd64 or _linux_arm64`);
      continue;
    }
    const machine = elfMachine(full);
    if (machine !== EXECUTABLE_ARCHES[arch].elfMachine) {
      error(
        'backendbinary',
        `${binary} is ${machine === undefined ? 'not an ELF executable' : `an ELF for machine ${machine}`}, expected ${EXECUTABLE_ARCHES[arch].name}`
      );
    }
  }
}

function checkSourceMap(dir, map, files, sourceDir, pluginId, error) {
  if (!files.includes(map)) {
    error('jsMap', `missing ${map}`);
    return;
  }
  let parsed;
  try {
    parsed = readJson(join(dir, map));
  } catch (e) {
    error('jsMap', `${map} is not valid JSON: ${e.message}`);
    return;
  }
  if (parsed.version !== 3 || !Array.isArray(parsed.sources) || parsed.sources.length === 0) {
    error('jsMap', `${map} is not a version 3 source map with sources`);
    return;
  }
  if (!sourceDir) {
    return;
  }
  // Like the validator's comparison with the source repository: each
  // project source carried in the map must equal the file in src/.
  const prefix = `webpack://${pluginId}/./`;
  parsed.sources.forEach((source, i) => {
    if (!source.startsWith(prefix) || !source.startsWith(`${prefix}src/`)) {
      return;
    }
    const path = join(sourceDir, source.slice(prefix.length));
    const content = parsed.sourcesContent?.[i];
    if (typeof content !== 'string') {
      error('jsMap', `${map}: no sourcesContent for ${source}`);
    } else if (!existsSync(path) || readFileSync(path, 'utf8') !== content) {
      error('jsMap', `${map}: ${source} does not match ${relative(sourceDir, path)}`);
    }
  });
}

function checkDocuments(dir, files, main, version, error, warn) {
  // readme + templatereadme
  if (!files.includes('README.md')) {
    error('readme', 'README.md is missing');
  } else {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    if (
      /^# Grafana (Panel|Data Source|Data Source Backend) Plugin Template/.test(readme) ||
      /create-plugin/.test(readme.split('\n')[0])
    ) {
      error('templatereadme', 'README.md is still the create-plugin template');
    }
    if (!readme.includes(main.id)) {
      warn('readme', `README.md never names the plugin id ${main.id}`);
    }
  }
  // license: a license text the validator recognises.
  const licenseFile = files.find((f) => /^LICEN[CS]E(\.md|\.txt)?$/i.test(f));
  if (!licenseFile) {
    error('license', 'no LICENSE file');
  } else {
    const text = readFileSync(join(dir, licenseFile), 'utf8');
    if (!Object.values(LICENSE_TEXTS).some((re) => re.test(text))) {
      error(
        'license',
        `${licenseFile} is not a license the validator accepts (${Object.keys(LICENSE_TEXTS).join(', ')})`
      );
    }
  }
  // changelog: present, and (our rule) with a section for this version.
  if (!files.includes('CHANGELOG.md')) {
    error('changelog', 'CHANGELOG.md is missing');
  } else {
    const changelog = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
    const v = version ?? main.info?.version;
    if (!changelog.trim()) {
      error('changelog', 'CHANGELOG.md is empty');
    } else if (v && !changelog.includes(`## [${v}]`)) {
      error('changelog', `CHANGELOG.md has no "## [${v}]" section`);
    }
  }
}

// unsafesvg + what Grafana's installer refuses or mangles: symlinks and
// scripts in SVGs.
function checkFileTypes(dir, files, error) {
  for (const file of files) {
    const stat = lstatSync(join(dir, file));
    if (stat.isSymbolicLink()) {
      error('archive', `${file} is a symbolic link; ship the file itself`);
    } else if (file.endsWith('.svg')) {
      const svg = readFileSync(join(dir, file), 'utf8');
      if (/<script|\son[a-z]+\s*=|javascript:/i.test(svg)) {
        error('unsafesvg', `${file} contains script`);
      }
    }
  }
}

/**
 * Checks a directory that an archive was unpacked into, the way Grafana and
 * the validator read it: exactly one top-level entry, a directory named
 * after the plugin id, holding the plugin itself (not a dist/ inside it).
 *
 * @param {string} unpacked
 * @returns {Findings & { pluginDir?: string }}
 */
export function checkArchiveRoot(unpacked) {
  const { result, error } = findings();
  const entries = readdirSync(unpacked);
  if (entries.length === 0) {
    error('archive', 'the archive is empty');
    return result;
  }
  if (entries.length !== 1) {
    error(
      'archive',
      `the archive has ${entries.length} top-level entries (${entries.join(', ')}); it needs one directory named after the plugin id`
    );
    return result;
  }
  const root = join(unpacked, entries[0]);
  if (!statSync(root).isDirectory()) {
    error('archive', `the archive's single entry ${entries[0]} is a file, not a directory`);
    return result;
  }
  if (existsSync(join(root, 'dist'))) {
    error('archive', `${entries[0]}/dist exists: the contents of dist/ belong directly in ${entries[0]}/`);
  }
  const pluginJson = join(root, 'plugin.json');
  if (!existsSync(pluginJson)) {
    error('archive', `${entries[0]}/plugin.json is missing`);
    return result;
  }
  const id = readJson(pluginJson).id;
  if (entries[0] !== id) {
    error('archivename', `the archive's directory is ${entries[0]}, it must be the plugin id ${id}`);
  }
  return { ...result, pluginDir: root };
}

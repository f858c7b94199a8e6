#!/usr/bin/env node
// One version for the app plugin, the backend datasource and the agent. It is
// set in one place, the root package.json (`npm version <new>` changes it
// there), and this script writes it everywhere else it has to be written
// down: the workspace manifests and the lockfile. Builds then read it from
// those manifests: webpack puts it into every plugin.json, the backend and the
// agent bundles compile it in (zviz_build_info).
//
//   node scripts/version.mjs           write the root version everywhere
//   node scripts/version.mjs --check   list every place that disagrees; exit 1 if any
//
// npm runs the first form as the root `version` lifecycle script, so
// `npm version 0.2.0` bumps, propagates and stamps the changelog in one step.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const defaultRepo = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Workspaces whose manifests carry the project version. */
export const WORKSPACES = ['packages/shared', 'packages/agent-client', 'agent', 'pkg-backend'];

/**
 * Text files that spell the version out, each with a pattern whose first
 * group is the version: the image's default label and tags that name it.
 */
export const TEXT_PLACES = [
  { file: 'agent/Dockerfile', pattern: /^ARG ZVIZ_VERSION=(.+)$/m },
  { file: 'docker-compose.yml', pattern: /^ {4}image: ghcr\.io\/zviz\/zviz-agent:(.+)$/m },
  { file: 'deploy/kubernetes/base/agent/daemonset.yaml', pattern: /^ +image: ghcr\.io\/zviz\/zviz-agent:(.+)$/m },
  { file: 'deploy/kubernetes/base/agent/kustomization.yaml', pattern: /^ +newTag: (.+)$/m },
];

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];

/**
 * The places where a manifest (or its lockfile entry) asks for another of the
 * project's workspaces by version: each must say the project version, or a
 * bumped agent would ask the registry for a @zviz/shared that was never
 * published.
 */
function workspaceDependencies(manifest, ownNames) {
  const out = [];
  for (const field of DEPENDENCY_FIELDS) {
    for (const name of Object.keys(manifest?.[field] ?? {})) {
      if (ownNames.has(name)) {
        out.push({ field, name });
      }
    }
  }
  return out;
}

function workspaceNames(repo) {
  return new Set(WORKSPACES.map((w) => readJson(join(repo, w, 'package.json')).name));
}

// npm writes manifests and the lockfile with two-space indentation and a final
// newline; writing them the same way keeps the diff to the version lines.
function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

export function projectVersion(repo = defaultRepo) {
  return readJson(join(repo, 'package.json')).version;
}

/** The heading of a version's section in a Keep a Changelog file, if any. */
export function changelogHeading(changelog, version) {
  const escaped = version.replace(/[.+]/g, (c) => `\\${c}`);
  return new RegExp(`^## \\[${escaped}\\](?: - (.+))?$`, 'm').exec(changelog) ?? undefined;
}

/**
 * Every place in the source tree that records the version, with what it
 * says. The built artifacts (plugin.json, the bundles, the archive name) are
 * checked by test/distribution against the same root version.
 */
export function versionPlaces(repo = defaultRepo) {
  const places = [];
  const ownNames = workspaceNames(repo);
  for (const workspace of WORKSPACES) {
    const manifest = readJson(join(repo, workspace, 'package.json'));
    places.push({ place: `${workspace}/package.json`, version: manifest.version });
    for (const { field, name } of workspaceDependencies(manifest, ownNames)) {
      places.push({ place: `${workspace}/package.json (${field}["${name}"])`, version: manifest[field][name] });
    }
  }
  const lock = readJson(join(repo, 'package-lock.json'));
  places.push({ place: 'package-lock.json (version)', version: lock.version });
  places.push({ place: 'package-lock.json (packages[""])', version: lock.packages?.['']?.version });
  for (const workspace of WORKSPACES) {
    const entry = lock.packages?.[workspace];
    places.push({ place: `package-lock.json (packages["${workspace}"])`, version: entry?.version });
    for (const { field, name } of workspaceDependencies(entry, ownNames)) {
      places.push({
        place: `package-lock.json (packages["${workspace}"].${field}["${name}"])`,
        version: entry[field][name],
      });
    }
  }
  for (const { file, pattern } of TEXT_PLACES) {
    places.push({ place: file, version: pattern.exec(readFileSync(join(repo, file), 'utf8'))?.[1] });
  }
  return places;
}

/** Places that disagree with the root version, as messages a person can act on. */
export function disagreements(repo = defaultRepo) {
  const version = projectVersion(repo);
  const problems = versionPlaces(repo)
    .filter((p) => p.version !== version)
    .map((p) => `${p.place} says ${p.version ?? '(nothing)'}, the root package.json says ${version}`);
  if (!changelogHeading(readFileSync(join(repo, 'CHANGELOG.md'), 'utf8'), version)) {
    problems.push(`CHANGELOG.md has no "## [${version}]" section`);
  }
  return problems;
}

/**
 * Gives the changelog a dated section for `version`, the release being made:
 * an existing `## [version] - Unreleased` gets the date; otherwise the section
 * in preparation at the top (`## [Unreleased]`, or `## [x.y.z] - Unreleased`
 * when that version was never tagged) becomes `## [version] - date`. Returns
 * the new text, or throws saying what to write.
 */
export function stampChangelog(changelog, version, date) {
  const existing = changelogHeading(changelog, version);
  if (existing) {
    return existing[1] === 'Unreleased' ? changelog.replace(existing[0], `## [${version}] - ${date}`) : changelog;
  }
  const top = /^## \[[^\]]+\].*$/m.exec(changelog);
  if (top && /^## \[(Unreleased\]|[^\]]+\] - Unreleased)\s*$/.test(top[0])) {
    return changelog.replace(top[0], `## [${version}] - ${date}`);
  }
  throw new Error(
    `CHANGELOG.md has no section for ${version} and no "## [Unreleased]" section on top to turn into one; ` +
      `add "## [${version}] - ${date}" with the changes of this version`
  );
}

/**
 * Writes the root version into every manifest and the lockfile; with
 * `stamp`, also dates its changelog section (checked first, so a changelog
 * without one leaves every file as it was).
 */
export function propagate(repo = defaultRepo, { date = new Date().toISOString().slice(0, 10), stamp = false } = {}) {
  const version = projectVersion(repo);
  const changelogPath = join(repo, 'CHANGELOG.md');
  const changelog = readFileSync(changelogPath, 'utf8');
  const stamped = stamp ? stampChangelog(changelog, version, date) : changelog;

  const ownNames = workspaceNames(repo);
  const setVersions = (entry) => {
    entry.version = version;
    for (const { field, name } of workspaceDependencies(entry, ownNames)) {
      entry[field][name] = version;
    }
  };
  for (const workspace of WORKSPACES) {
    const path = join(repo, workspace, 'package.json');
    const manifest = readJson(path);
    const before = JSON.stringify(manifest);
    setVersions(manifest);
    if (JSON.stringify(manifest) !== before) {
      writeJson(path, manifest);
    }
  }
  const lockPath = join(repo, 'package-lock.json');
  const lock = readJson(lockPath);
  lock.version = version;
  if (lock.packages?.['']) {
    lock.packages[''].version = version;
  }
  for (const workspace of WORKSPACES) {
    if (lock.packages?.[workspace]) {
      setVersions(lock.packages[workspace]);
    }
  }
  writeJson(lockPath, lock);
  for (const { file, pattern } of TEXT_PLACES) {
    const path = join(repo, file);
    const text = readFileSync(path, 'utf8');
    const match = pattern.exec(text);
    if (!match) {
      throw new Error(`${file} no longer matches ${pattern}; update TEXT_PLACES in scripts/version.mjs`);
    }
    if (match[1] !== version) {
      writeFileSync(path, text.replace(match[0], match[0].replace(match[1], version)));
    }
  }
  if (stamped !== changelog) {
    writeFileSync(changelogPath, stamped);
  }
  return version;
}

function main(args) {
  if (args.includes('--check')) {
    const problems = disagreements();
    for (const problem of problems) {
      console.error(`version: ${problem}`);
    }
    if (problems.some((p) => !p.startsWith('CHANGELOG'))) {
      console.error('version: run `node scripts/version.mjs` to write the root version everywhere');
    }
    if (problems.length > 0) {
      return 1;
    }
    console.log(`version: ${projectVersion()} everywhere`);
    return 0;
  }
  // Under `npm version`, npm sets npm_lifecycle_event=version: that is a
  // release, so the changelog's Unreleased section gets the version and date.
  const version = propagate(defaultRepo, { stamp: process.env.npm_lifecycle_event === 'version' });
  const files = [...WORKSPACES.map((w) => `${w}/package.json`), 'package-lock.json', ...TEXT_PLACES.map((p) => p.file)];
  console.log(`version: ${version} written to ${files.join(', ')}`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`version: ${error.message}`);
    process.exitCode = 1;
  }
}

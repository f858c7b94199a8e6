// What makes `zviz` start fast, checked on the built bundle: the V8 code
// cache the build wrote is one this Node accepts, bin/zviz.js runs commands
// with it, the schema validators were compiled ahead of time (the bundle
// holds ajv's generated code, not a compile at run time) and judge profiles
// and configurations exactly as the validators run from source do, and the
// built-in profiles' seccomp programs were compiled by the build for exactly
// the plans the source makes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';

import { file, describeWhere } from '@zviz/test-support/requirements';
import { brokerAddon } from '../src/native/broker-addon';
import { adoptPrebuiltFilters, prebuiltFiltersPath, type PrebuiltFilters } from '../src/native/prebuilt-filters';
import { checkProfile } from '../src/cli/commands/profile';
import { loadConfig } from '../src/assembly/load-config';
import { builtinNames } from '../src/profiles/load';
import { loadProfile } from '../src/profiles/profile';

const agent = join(__dirname, '..');
// Plain JavaScript shipped with the package, beside bin/zviz.js.
const { codeCachePath, readCodeCache, writeCodeCache } = Module.createRequire(__filename)('../bin/code-cache.js') as {
  codeCachePath(bundle: string): string;
  readCodeCache(bundle: string): Buffer | undefined;
  writeCodeCache(bundle: string, data: Buffer): void;
};
const bundle = join(agent, 'dist', 'zviz.js');
// What bin/zviz.js starts for `zviz run`: that command alone.
const runBundle = join(agent, 'dist', 'zviz-run.js');
const bin = join(agent, 'bin', 'zviz.js');
const brokenProfiles = join(__dirname, 'fixtures', 'broken-profiles');

function zviz(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the code cache file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-code-cache-'));
  const fake = join(dir, 'bundle.js');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back what this Node build wrote', () => {
    writeCodeCache(fake, Buffer.from('v8 data'));
    expect(readCodeCache(fake)?.toString()).toBe('v8 data');
  });

  it('is not used by another build of the same Node version (its configuration differs)', () => {
    writeCodeCache(fake, Buffer.from('v8 data'));
    const written = readFileSync(codeCachePath(fake));
    const other = Buffer.from(JSON.stringify({ ...process.config, variables: { other: true } }));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(other.length, 0);
    writeFileSync(codeCachePath(fake), Buffer.concat([size, other, written.subarray(4 + written.readUInt32LE(0))]));
    expect(readCodeCache(fake)).toBeUndefined();
  });

  it('is not used when it is cut short or missing', () => {
    writeCodeCache(fake, Buffer.from('v8 data'));
    writeFileSync(codeCachePath(fake), readFileSync(codeCachePath(fake)).subarray(0, 100));
    expect(readCodeCache(fake)).toBeUndefined();
    rmSync(codeCachePath(fake));
    expect(readCodeCache(fake)).toBeUndefined();
  });
});

describeWhere(
  [file(codeCachePath(bundle), 'needs the built agent (npm run build -w agent)')],
  'the built bundle',
  () => {
    it.each([bundle, runBundle])('%s has a code cache this Node accepts', (path) => {
      const cachedData = readCodeCache(path);
      expect(cachedData).toBeInstanceOf(Buffer);
      const script = new Script(Module.wrap(readFileSync(path, 'utf8')), { filename: path, cachedData });
      expect(script.cachedDataRejected).toBe(false);
    });

    it("has a bundle for zviz run that holds none of the agent's server, metrics registry or tracer", () => {
      const sources = (path: string) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .filter((line) => /^\/\/ (agent\/)?(src|node_modules|\.\.\/node_modules)\//.test(line));
      const all = sources(bundle);
      const run = sources(runBundle);
      expect(run).toContain('// agent/src/cli/commands/run.ts');
      for (const absent of ['src/server/', 'prom-client', 'src/tracer/', 'src/cli/commands/agent.ts', 'src/top/']) {
        expect(
          all.some((line) => line.includes(absent)),
          absent
        ).toBe(true);
        expect(
          run.filter((line) => line.includes(absent)),
          absent
        ).toEqual([]);
      }
    });

    it.each([bundle, runBundle])(
      '%s keeps no import() of a module (bin/zviz.js runs it where import() has no loader)',
      (path) => {
        expect(readFileSync(path, 'utf8').match(/\bimport\((["'`])[^"'`]*\1\)/g) ?? []).toEqual([]);
      }
    );

    it('starts dist/zviz-run.js for zviz run, dist/zviz.js for anything else', () => {
      const dir = mkdtempSync(join(tmpdir(), 'zviz-bundle-start-'));
      try {
        // Preloaded: names every bundle bin/zviz.js reads.
        const spy = join(dir, 'spy.js');
        writeFileSync(
          spy,
          "const fs = require('node:fs'); const read = fs.readFileSync;\n" +
            "fs.readFileSync = function (path, ...rest) { if (/dist\\/[^/]+\\.js$/.test(String(path))) process.stderr.write('READ ' + path + '\\n'); return read.call(this, path, ...rest); };\n"
        );
        const read = (args: string[]) =>
          spawnSync(process.execPath, ['-r', spy, bin, ...args], { encoding: 'utf8' })
            .stderr.split('\n')
            .filter((line) => line.startsWith('READ '));
        expect(read(['run', '--help'])).toEqual([`READ ${runBundle}`]);
        expect(read(['profile', 'list'])).toEqual([`READ ${bundle}`]);
        expect(read(['--version'])).toEqual([`READ ${bundle}`]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers zviz run through bin/zviz.js as the bundle of every command does', () => {
      for (const args of [['run', '--help'], ['run'], ['run', '--memory', 'lots', '--', 'true'], ['run', '--nope']]) {
        const small = zviz(args);
        const full = spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8' });
        expect(small.code, args.join(' ')).toBe(full.status);
        expect(small.stdout, args.join(' ')).toBe(full.stdout);
        expect(small.stderr, args.join(' ')).toBe(full.stderr);
      }
    });

    it('runs commands through bin/zviz.js with it', () => {
      const version = zviz(['--version']);
      expect(version.code).toBe(0);
      expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(agent, 'package.json'), 'utf8')).version);
      const unknown = zviz(['rnu']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('(Did you mean run?)');
    });

    it("keeps NODE_EXTRA_CA_CERTS from zviz run's Node when run as an executable, and from no other command's", () => {
      // Node parses the file before any script runs, and warns when it cannot: the warning
      // shows which processes read it.
      const missing = join(tmpdir(), 'zviz-no-such-ca-bundle.pem');
      const env = {
        ...process.env,
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        NODE_EXTRA_CA_CERTS: missing,
      };
      const warning = /Ignoring extra certs from `[^`]*zviz-no-such-ca-bundle\.pem`/;
      const executable = (args: string[]) => spawnSync(bin, args, { env, encoding: 'utf8' });
      const run = executable(['run', '--help']);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('Usage: zviz run');
      expect(run.stderr).not.toMatch(warning);
      const version = executable(['--version']);
      expect(version.status).toBe(0);
      expect(version.stderr).toMatch(warning);
      // Node started on the file itself reads it as it always does.
      expect(spawnSync(process.execPath, [bin, 'run', '--help'], { env, encoding: 'utf8' }).stderr).toMatch(warning);
    });

    it('compiles no JSON Schema at run time', () => {
      const text = readFileSync(bundle, 'utf8');
      expect(text).not.toMatch(/\bnew import_ajv\d*\.default\(/);
      expect(text).toContain('profileSchemaValidator = () =>');
      expect(text).toContain('configSchemaValidator = () =>');
    });

    it("holds every built-in profile's seccomp programs, compiled for the plans the source makes now", () => {
      const loaded = brokerAddon();
      if (!loaded.ok) {
        throw new Error(loaded.reason);
      }
      const prebuilt = JSON.parse(readFileSync(prebuiltFiltersPath(join(agent, 'dist')), 'utf8')) as PrebuiltFilters;
      const names = builtinNames();
      expect(prebuilt.programs.map((p) => p.profile).sort()).toEqual([...names].sort());
      for (const name of names) {
        // A workspace other than the build's: the seccomp part of a plan never depends on it.
        const compiled = loaded.addon.compiledProgram(loadProfile(name, loaded.addon).forWorkspace('/srv/job').filter);
        const entry = prebuilt.programs.find((p) => p.profile === name)!;
        expect(entry.key, name).toBe(compiled.key);
        expect(Buffer.from(entry.enforcement, 'base64').equals(compiled.enforcement), name).toBe(true);
        expect(Buffer.from(entry.reference, 'base64').equals(compiled.reference), name).toBe(true);
      }
      expect(adoptPrebuiltFilters(loaded.addon, prebuiltFiltersPath(join(agent, 'dist')))).toEqual({
        adopted: names.length,
      });
    });

    describe('judges profiles as the source does', () => {
      const files = readdirSync(brokenProfiles).filter((f) => f.endsWith('.json') && f !== 'expected.json');
      it.each(files)('%s', (name) => {
        const path = join(brokenProfiles, name);
        const lines: string[] = [];
        const code = checkProfile(path, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
        const built = zviz(['profile', 'check', path]);
        expect(built.code).toBe(code);
        expect(`${built.stdout}${built.stderr}`.trimEnd().split('\n')).toEqual(lines);
      });
    });

    describe('refuses configurations as the source does', () => {
      const configs = join(__dirname, 'fixtures', 'config');
      const files = readdirSync(configs).filter((f) => f.endsWith('.yaml') && !f.startsWith('valid'));
      it.each(files)('%s', (name) => {
        const path = join(configs, name);
        const loaded = loadConfig({ path, env: {} });
        expect(loaded.ok).toBe(false);
        const built = spawnSync(process.execPath, [bin, 'agent', '--config', path], { encoding: 'utf8', env: {} });
        expect(built.status, built.stderr).toBe(2);
        for (const error of loaded.ok ? [] : loaded.errors) {
          expect(built.stderr).toContain(error);
        }
      });
    });
  }
);

// The rules scripts/package-plugin.mjs enforces and the archive test relies
// on must each catch the breakage they are there for. A small plugin that
// follows every rule is built here, then broken one way at a time.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';

import { checkArchiveRoot, checkPluginDir, PLUGIN_ID_PATTERN } from '../../scripts/lib/plugin-rules.mjs';
import { repo, scratch } from './support';

const VERSION = '1.2.3';
const root = scratch('rules');
let n = 0;

/** A minimal ELF header for the given machine (62 = x86-64, 183 = AArch64). */
function elf(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.write('\x7fELF', 0, 'latin1');
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header.writeUInt16LE(machine, 18);
  return header;
}

function write(dir: string, file: string, content: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), content);
  chmodSync(join(dir, file), mode);
}

function json(dir: string, file: string): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, file), 'utf8'));
}

function edit(dir: string, file: string, change: (j: Record<string, any>) => void): void {
  const j = json(dir, file);
  change(j);
  writeFileSync(join(dir, file), JSON.stringify(j));
}

function meta(type: string, id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type,
    id,
    name: id,
    ...extra,
    info: {
      author: { name: 'ZViz' },
      logos: { small: 'img/logo.svg', large: 'img/logo.svg' },
      version: VERSION,
      updated: '2026-01-01',
      ...(type === 'app' ? { screenshots: [{ name: 'Overview', path: 'img/overview.png' }] } : {}),
    },
    dependencies: { grafanaDependency: '>=12.3.0' },
  });
}

function plugin(): string {
  const dir = join(root, `p${n++}`);
  const frontend = (sub: string) => {
    write(dir, `${sub}module.js`, 'define([],function(){})');
    write(
      dir,
      `${sub}module.js.map`,
      JSON.stringify({ version: 3, sources: ['webpack://x/./src/module.ts'], mappings: '' })
    );
    write(dir, `${sub}img/logo.svg`, '<svg xmlns="http://www.w3.org/2000/svg"/>');
  };
  write(
    dir,
    'plugin.json',
    meta('app', 'acme-sandbox-app', {
      includes: [
        { type: 'page', name: 'Overview', path: '/a/acme-sandbox-app/overview' },
        { type: 'datasource', name: 'DS', path: 'datasource/plugin.json' },
        { type: 'panel', name: 'Panel', path: 'panels/x/plugin.json' },
      ],
    })
  );
  frontend('');
  write(dir, 'img/overview.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  write(
    dir,
    'datasource/plugin.json',
    meta('datasource', 'acme-agent-datasource', { backend: true, alerting: true, executable: 'gpx_acme' })
  );
  frontend('datasource/');
  write(dir, 'datasource/gpx_acme_linux_amd64', elf(62), 0o755);
  write(dir, 'panels/x/plugin.json', meta('panel', 'acme-x-panel'));
  frontend('panels/x/');
  write(dir, 'README.md', '# Acme sandbox\n\nThe acme-sandbox-app plugin.\n');
  copyFileSync(join(repo, 'LICENSE'), join(dir, 'LICENSE'));
  write(dir, 'CHANGELOG.md', `# Changelog\n\n## [${VERSION}] - 2026-01-01\n\n- First.\n`);
  return dir;
}

function rules(dir: string): string[] {
  return checkPluginDir(dir, { version: VERSION }).errors.map((e) => `${e.rule}: ${e.message}`);
}

describe('plugin rules', () => {
  let dir: string;
  beforeEach(() => {
    dir = plugin();
  });

  it('accept a plugin that follows them all, without warnings', () => {
    expect(checkPluginDir(dir, { version: VERSION })).toEqual({ errors: [], warnings: [] });
  });

  it('accept an arm64 executable next to the amd64 one', () => {
    write(dir, 'datasource/gpx_acme_linux_arm64', elf(183), 0o755);
    expect(rules(dir)).toEqual([]);
  });

  it.each<[string, (d: string) => void, RegExp]>([
    [
      'an executable without mode 0755',
      (d) => chmodSync(join(d, 'datasource/gpx_acme_linux_amd64'), 0o644),
      /^binarypermissions: datasource\/gpx_acme_linux_amd64 has mode 0644/,
    ],
    [
      'backend without the linux_amd64 executable',
      (d) => rmSync(join(d, 'datasource/gpx_acme_linux_amd64')),
      /^backendbinary: .*no datasource\/gpx_acme_linux_amd64/,
    ],
    [
      'an executable for the wrong architecture',
      (d) => write(d, 'datasource/gpx_acme_linux_amd64', elf(183), 0o755),
      /^backendbinary: .*machine 183, expected x86-64/,
    ],
    [
      'an executable that is not ELF',
      (d) => write(d, 'datasource/gpx_acme_linux_amd64', '#!/usr/bin/env node\n', 0o755),
      /^backendbinary: .*not an ELF executable/,
    ],
    [
      'an executable with an unknown platform suffix',
      (d) => write(d, 'datasource/gpx_acme_darwin_amd64', elf(62), 0o755),
      /^backendbinary: datasource\/gpx_acme_darwin_amd64 is not named/,
    ],
    [
      'alerting without backend',
      (d) =>
        edit(d, 'datasource/plugin.json', (j) => {
          j.backend = false;
          delete j.executable;
        }),
      /^backendbinary: .*alerting requires "backend": true/,
    ],
    [
      'backend without executable',
      (d) => edit(d, 'datasource/plugin.json', (j) => delete j.executable),
      /^backendbinary: .*"backend": true without an executable/,
    ],
    [
      'executable without backend',
      (d) =>
        edit(d, 'datasource/plugin.json', (j) => {
          j.backend = false;
          j.alerting = false;
        }),
      /^backendbinary: .*without "backend": true/,
    ],
    [
      'a nested plugin missing from includes',
      (d) => edit(d, 'plugin.json', (j) => j.includes.splice(1, 1)),
      /^includesnested: datasource\/plugin.json is not declared/,
    ],
    [
      'a nested plugin included with the wrong type',
      (d) => edit(d, 'plugin.json', (j) => (j.includes[2].type = 'datasource')),
      /^includesnested: .*panels\/x\/plugin.json as datasource, but it is a panel/,
    ],
    [
      'an include without a type',
      (d) => edit(d, 'plugin.json', (j) => delete j.includes[2].type),
      /^includesnested: plugin.json includes panels\/x\/plugin.json without a type/,
    ],
    [
      'an include of a plugin that is not there',
      (d) => rmSync(join(d, 'panels'), { recursive: true }),
      /^includesnested: plugin.json includes panel panels\/x\/plugin.json, which is not in the archive/,
    ],
    [
      'a nested plugin without module.js',
      (d) => rmSync(join(d, 'datasource/module.js')),
      /^modulejs: datasource\/plugin.json: no module.js/,
    ],
    [
      'a module.js without its source map',
      (d) => rmSync(join(d, 'panels/x/module.js.map')),
      /^jsMap: missing panels\/x\/module.js.map/,
    ],
    [
      'a source map that is not one',
      (d) => write(d, 'module.js.map', '{"version":3}'),
      /^jsMap: module.js.map is not a version 3 source map/,
    ],
    [
      'a nested logo that is only at the top',
      (d) => rmSync(join(d, 'datasource/img'), { recursive: true }),
      /^logos: datasource\/plugin.json: info.logos.small "img\/logo.svg" is not in the archive/,
    ],
    [
      'an empty logo path',
      (d) => edit(d, 'plugin.json', (j) => (j.info.logos.large = '')),
      /^logos: plugin.json: info.logos.large is empty/,
    ],
    [
      'a logo path outside the plugin',
      (d) => edit(d, 'plugin.json', (j) => (j.info.logos.small = '../logo.svg')),
      /^metadatapaths: .*must be relative to plugin.json/,
    ],
    [
      'a missing screenshot',
      (d) => rmSync(join(d, 'img/overview.png')),
      /^screenshots: plugin.json: screenshot "img\/overview.png" is not in the archive/,
    ],
    [
      'an SVG with script',
      (d) => write(d, 'img/logo.svg', '<svg onload="alert(1)"/>'),
      /^unsafesvg: img\/logo.svg contains script/,
    ],
    [
      'an id that breaks the pattern',
      (d) => edit(d, 'panels/x/plugin.json', (j) => (j.id = 'Acme_X-panel')),
      /^metadatavalid: panels\/x\/plugin.json: id "Acme_X-panel" does not match/,
    ],
    [
      'an id whose suffix is not its type',
      (d) => edit(d, 'panels/x/plugin.json', (j) => (j.id = 'acme-x-app')),
      /^typesuffix: panels\/x\/plugin.json: id "acme-x-app" must end with its type "panel"/,
    ],
    [
      'two plugins with one id',
      (d) =>
        edit(d, 'panels/x/plugin.json', (j) => {
          j.id = 'acme-agent-datasource';
          j.type = 'datasource';
        }),
      /^metadata: plugin id acme-agent-datasource is used by more than one/,
    ],
    [
      'a version other than the project version',
      (d) => edit(d, 'datasource/plugin.json', (j) => (j.info.version = '1.2.4')),
      /^version: datasource\/plugin.json: info.version is 1.2.4, the project version is 1.2.3/,
    ],
    [
      'a placeholder the build left',
      (d) => edit(d, 'panels/x/plugin.json', (j) => (j.info.updated = '%TODAY%')),
      /^placeholders: panels\/x\/plugin.json still contains %TODAY%/,
    ],
    [
      'no grafanaDependency',
      (d) => edit(d, 'plugin.json', (j) => delete j.dependencies.grafanaDependency),
      /^grafanadependency: plugin.json: dependencies.grafanaDependency is required/,
    ],
    [
      'a grafanaDependency below 12.3.0',
      (d) => edit(d, 'plugin.json', (j) => (j.dependencies.grafanaDependency = '>=10.4.0')),
      /^grafanadependency: .*admits Grafana older than 12.3.0/,
    ],
    [
      'the scaffold README',
      (d) => write(d, 'README.md', '# Grafana Data Source Backend Plugin Template\n'),
      /^templatereadme: README.md is still the create-plugin template/,
    ],
    ['no README', (d) => rmSync(join(d, 'README.md')), /^readme: README.md is missing/],
    [
      'a proprietary license',
      (d) => write(d, 'LICENSE', 'Copyright Acme. All rights reserved.\n'),
      /^license: LICENSE is not a license the validator accepts/,
    ],
    ['no CHANGELOG', (d) => rmSync(join(d, 'CHANGELOG.md')), /^changelog: CHANGELOG.md is missing/],
    [
      'a CHANGELOG without this version',
      (d) => write(d, 'CHANGELOG.md', '# Changelog\n\n## [1.2.2] - 2025-01-01\n'),
      /^changelog: CHANGELOG.md has no "## \[1.2.3\]" section/,
    ],
    ['a symbolic link', (d) => symlinkSync('module.js', join(d, 'alias.js')), /^archive: alias.js is a symbolic link/],
  ])('catch %s', (_name, mutate, expected) => {
    mutate(dir);
    const found = rules(dir);
    expect(
      found.some((f) => expected.test(f)),
      `expected ${expected} among:\n${found.join('\n')}`
    ).toBe(true);
  });

  it('warn when the app has no screenshots for the catalog', () => {
    rmSync(join(dir, 'img/overview.png'));
    edit(dir, 'plugin.json', (j) => delete j.info.screenshots);
    const { errors, warnings } = checkPluginDir(dir, { version: VERSION });
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.rule)).toEqual(['screenshots']);
  });

  it('use the id pattern of the plugin.json reference', () => {
    for (const id of ['zviz-sandbox-app', 'zviz-agent-datasource', 'zviz-decisions-panel', 'acme-panel']) {
      expect(id).toMatch(PLUGIN_ID_PATTERN);
    }
    for (const id of ['zviz-sandbox', 'ZViz-sandbox-app', 'a-b-c-app', 'zviz_sandbox-app']) {
      expect(id).not.toMatch(PLUGIN_ID_PATTERN);
    }
  });
});

describe('archive root rules', () => {
  function unpacked(): string {
    const dir = join(root, `u${n++}`);
    mkdirSync(dir);
    renameSync(plugin(), join(dir, 'acme-sandbox-app'));
    return dir;
  }

  it('accept one folder named after the plugin id', () => {
    const dir = unpacked();
    const result = checkArchiveRoot(dir);
    expect(result.errors).toEqual([]);
    expect(result.pluginDir).toBe(join(dir, 'acme-sandbox-app'));
  });

  it('reject a folder named otherwise', () => {
    const dir = unpacked();
    renameSync(join(dir, 'acme-sandbox-app'), join(dir, 'acme-sandbox-app-1.2.3'));
    expect(checkArchiveRoot(dir).errors).toEqual([
      {
        rule: 'archivename',
        message: "the archive's directory is acme-sandbox-app-1.2.3, it must be the plugin id acme-sandbox-app",
      },
    ]);
  });

  it('reject more than one top-level entry', () => {
    const dir = unpacked();
    write(dir, 'README.md', 'stray');
    expect(checkArchiveRoot(dir).errors[0].message).toMatch(/2 top-level entries/);
  });

  it('reject a plugin left inside dist/', () => {
    const dir = unpacked();
    mkdirSync(join(dir, 'acme-sandbox-app', 'dist'));
    expect(checkArchiveRoot(dir).errors[0].message).toMatch(/acme-sandbox-app\/dist exists/);
  });

  it('reject an archive of loose files', () => {
    const dir = join(root, `u${n++}`);
    mkdirSync(dir);
    write(dir, 'plugin.json', '{}');
    expect(checkArchiveRoot(dir).errors[0].message).toMatch(/single entry plugin.json is a file/);
  });
});

// The checks Grafana's plugin validator makes on plugin.json (ids, types,
// nested plugins declared in the app's includes with paths relative to dist,
// executable/backend/alerting consistency, logos, grafanaDependency), run on
// the sources and, once built, on dist/.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { minVersion, satisfies, validRange } from 'semver';
import { describe, expect, it } from 'vitest';

import { ZVIZ_APP_ID, ZVIZ_DATASOURCE_TYPE, ZVIZ_PANEL_ID } from '@zviz/shared/plugin-ids';
import { describeWhere, file } from '@zviz/test-support/requirements';

import { dist, findPlugins, type Found, src } from './plugins';

const ID_PATTERN = /^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource)$/;
const plugins = findPlugins();
const app = plugins.find((p) => p.dir === '')!;
const nested = plugins.filter((p) => p.dir !== '');

describe('plugin.json of every plugin', () => {
  it('finds the app and its nested datasource and panel', () => {
    expect(plugins.map((p) => [p.dir, p.json.id]).sort()).toEqual([
      ['', 'zviz-sandbox-app'],
      ['datasource', 'zviz-agent-datasource'],
      ['panels/decisions', 'zviz-decisions-panel'],
    ]);
  });

  it('has the ids the code reads from @zviz/shared/plugin-ids', () => {
    expect(plugins.map((p) => [p.dir, p.json.id]).sort()).toEqual([
      ['', ZVIZ_APP_ID],
      ['datasource', ZVIZ_DATASOURCE_TYPE],
      ['panels/decisions', ZVIZ_PANEL_ID],
    ]);
  });

  describe.each(plugins.map((p) => [p.json.id, p] as [string, Found]))('%s', (_id, { dir, json }) => {
    it('has an id of the validator pattern whose suffix is its type', () => {
      expect(json.id).toMatch(ID_PATTERN);
      expect(['app', 'panel', 'datasource']).toContain(json.type);
      expect(json.id.endsWith(`-${json.type}`)).toBe(true);
    });

    it('requires Grafana 12.3 or newer (React 19 builds load nowhere older)', () => {
      const range = json.dependencies?.grafanaDependency;
      expect(range, 'dependencies.grafanaDependency is required').toBeTruthy();
      expect(validRange(range!)).not.toBeNull();
      expect(minVersion(range!)!.compare('12.3.0')).toBeGreaterThanOrEqual(0);
      expect(satisfies('13.1.0', range!)).toBe(true);
    });

    it('has logos that exist next to its plugin.json', () => {
      for (const logo of [json.info.logos?.small, json.info.logos?.large]) {
        expect(logo, 'info.logos.small and large').toBeTruthy();
        expect(existsSync(join(src, dir, logo!)), `${dir}/${logo}`).toBe(true);
      }
    });

    it('is consistent about backend, executable and alerting', () => {
      expect(Boolean(json.executable), 'an executable needs backend: true and the other way round').toBe(
        Boolean(json.backend)
      );
      if (json.alerting) {
        expect(json.backend, 'alerting requires backend').toBe(true);
      }
      if (json.type !== 'datasource') {
        expect(json.alerting).toBeUndefined();
        expect(json.streaming).toBeUndefined();
      }
    });

    it('has a module next to it and version placeholders the build fills', () => {
      expect(['module.ts', 'module.tsx'].some((m) => existsSync(join(src, dir, m)))).toBe(true);
      expect(json.info.version).toBe('%VERSION%');
      expect(json.info.updated).toBe('%TODAY%');
    });

    if (json.type !== 'app') {
      it('declares no nested plugins or pages of its own (only apps nest)', () => {
        expect((json.includes ?? []).filter((i) => i.type !== 'dashboard')).toEqual([]);
      });
    }
  });

  it('declares every nested plugin in the app includes, with its type and a path relative to dist', () => {
    for (const { dir, json } of nested) {
      const include = app.json.includes?.find((i) => i.path === `${dir}/plugin.json`);
      expect(include, `${dir}/plugin.json is not in the app's includes (nested-plugins-not-declared)`).toBeDefined();
      expect(include!.type).toBe(json.type);
    }
    const declared = (app.json.includes ?? []).filter((i) => i.type === 'panel' || i.type === 'datasource');
    expect(declared).toHaveLength(nested.length);
  });

  it('has app pages under its own routes, one of them the default', () => {
    const pages = (app.json.includes ?? []).filter((i) => i.type === 'page');
    for (const page of pages) {
      expect(page.path).toMatch(/^(\/a\/%PLUGIN_ID%\/[a-z-]+|\/plugins\/%PLUGIN_ID%|d\/[\w-]+)$/);
    }
    expect(pages.filter((p) => p.defaultNav)).toHaveLength(1);
    expect(pages.find((p) => p.path === '/plugins/%PLUGIN_ID%')?.role).toBe('Admin');
  });
});

describeWhere([file(join(dist, 'plugin.json'), 'the built plugin (npm run build)')], 'the built dist/', () => {
  const built = findPlugins(dist);

  it('has a module.js and every logo for each plugin', () => {
    expect(built.map((p) => p.json.id).sort()).toEqual(plugins.map((p) => p.json.id).sort());
    for (const { dir, json } of built) {
      expect(existsSync(join(dist, dir, 'module.js')), `${dir}/module.js`).toBe(true);
      for (const logo of [json.info.logos?.small, json.info.logos?.large]) {
        expect(existsSync(join(dist, dir, logo!)), `dist/${dir}/${logo}`).toBe(true);
      }
      expect(JSON.stringify(json)).not.toMatch(/%VERSION%|%TODAY%/);
    }
  });

  it('has every screenshot the app lists (Grafana’s catalog shows them; the validator warns on none)', () => {
    const app = built.find((p) => p.json.type === 'app')!;
    const shots = (app.json.info as { screenshots?: Array<{ name: string; path: string }> }).screenshots ?? [];
    expect(shots.length).toBeGreaterThan(0);
    for (const shot of shots) {
      expect(shot.name).toBeTruthy();
      expect(existsSync(join(dist, app.dir, shot.path)), `dist/${shot.path}`).toBe(true);
    }
  });

  it('is an AMD module for Grafana’s loader, without dynamic imports in nested plugins', () => {
    for (const { dir } of built) {
      const code = readFileSync(join(dist, dir, 'module.js'), 'utf8');
      expect(code).toMatch(/define\(\[/);
      if (dir !== '') {
        // webpack's chunk loader appears only when the entry imports lazily.
        expect(code, `${dir}/module.js loads chunks`).not.toMatch(/__webpack_require__\.e\b|\.e=|ChunkLoadError/);
      }
    }
  });

  it('ships a README that is not the scaffold’s, a license and a changelog', () => {
    const readme = readFileSync(join(dist, 'README.md'), 'utf8');
    expect(readme).toMatch(/^# ZViz/);
    expect(readme).not.toMatch(/This template|create-plugin|Grafana app plugin template/i);
    // The license's own appendix, filled in: the validator flags the template's placeholders.
    const license = readFileSync(join(dist, 'LICENSE'), 'utf8');
    expect(license).not.toMatch(/[{[](yyyy|name of copyright owner)[}\]]/);
    expect(license).toMatch(/^ {3}Copyright \d{4} \S.*$/m);
    expect(existsSync(join(dist, 'CHANGELOG.md'))).toBe(true);
  });

  it('ships bundled dashboards where the includes point', () => {
    for (const { dir, json } of built) {
      for (const include of (json.includes ?? []).filter((i) => i.type === 'dashboard')) {
        expect(existsSync(join(dist, dir, include.path!)), include.path).toBe(true);
      }
    }
  });

  it('has the datasource executable with mode 0755', () => {
    const ds = built.find((p) => p.json.type === 'datasource')!;
    const exe = join(dist, ds.dir, `${ds.json.executable}_linux_amd64`);
    expect(existsSync(exe), exe).toBe(true);
    expect(statSync(exe).mode & 0o755).toBe(0o755);
  });
});

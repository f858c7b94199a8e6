// The built plugin has the layout Grafana loads: one dist/ with the app, the
// nested datasource (with its backend executable) and the nested panel, each
// with its own plugin.json and module.js.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dist = join(__dirname, '..', 'dist');

function pluginJson(dir: string): Record<string, unknown> & { id: string; type: string } {
  return JSON.parse(readFileSync(join(dist, dir, 'plugin.json'), 'utf8'));
}

describe('built plugin layout', () => {
  it.each([
    ['', 'zviz-sandbox-app', 'app'],
    ['datasource', 'zviz-agent-datasource', 'datasource'],
    ['panels/decisions', 'zviz-decisions-panel', 'panel'],
  ])('dist/%s holds plugin %s (%s) with its module.js', (dir, id, type) => {
    const json = pluginJson(dir);
    expect(json.id).toBe(id);
    expect(json.type).toBe(type);
    expect(existsSync(join(dist, dir, 'module.js'))).toBe(true);
    expect(JSON.stringify(json)).not.toContain('%VERSION%');
  });

  it('declares the nested plugins in the app includes, by path relative to dist', () => {
    const includes = pluginJson('').includes as Array<{ type: string; path?: string }>;
    expect(includes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'datasource', path: 'datasource/plugin.json' }),
        expect.objectContaining({ type: 'panel', path: 'panels/decisions/plugin.json' }),
      ])
    );
  });

  it('puts the datasource executable where Grafana looks for <executable>_linux_<arch>', () => {
    const ds = pluginJson('datasource');
    expect(ds.backend).toBe(true);
    expect(existsSync(join(dist, 'datasource', `${ds.executable}_linux_amd64`))).toBe(true);
  });
});

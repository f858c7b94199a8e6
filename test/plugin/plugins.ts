// The plugins of the repository as Grafana sees them: every plugin.json under
// src/ (the app and its nested plugins) and their bundled dashboards.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const repo = join(__dirname, '..', '..');
export const src = join(repo, 'src');
export const dist = join(repo, 'dist');

export interface Include {
  type: string;
  name?: string;
  path?: string;
  uid?: string;
  role?: string;
  addToNav?: boolean;
  defaultNav?: boolean;
}

export interface PluginJson {
  id: string;
  type: string;
  name: string;
  backend?: boolean;
  executable?: string;
  alerting?: boolean;
  streaming?: boolean;
  info: { logos?: { small?: string; large?: string }; version?: string; updated?: string; description?: string };
  includes?: Include[];
  dependencies?: { grafanaDependency?: string; plugins?: unknown[] };
}

export interface Found {
  /** Directory of the plugin.json, relative to src/ ('' for the app). */
  dir: string;
  json: PluginJson;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path, out);
    } else if (name === 'plugin.json') {
      out.push(path);
    }
  }
  return out;
}

export function findPlugins(root = src): Found[] {
  return walk(root).map((path) => ({
    dir: relative(root, dirname(path)),
    json: JSON.parse(readFileSync(path, 'utf8')) as PluginJson,
  }));
}

export function dashboardIncludes(found: Found): Array<{ include: Include; file: string }> {
  return (found.json.includes ?? [])
    .filter((i) => i.type === 'dashboard')
    .map((include) => ({ include, file: join(src, found.dir, include.path ?? '') }));
}

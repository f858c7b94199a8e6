// The code blocks of README.md and docs/*.md, checked as a user on a fresh
// host would find them: JSON and YAML parse; agent configurations load with
// the agent's own loader; Prometheus configurations pass `promtool check
// config`; the profile examples pass `zviz profile check` (fragments laid over
// the built-in default profile, as docs/profiles.md means them); Grafana
// snippets name the plugins' real ids; and every command a shell block or a
// code span gives names a `zviz` command that exists, an npm script that
// exists, and repository files that exist. (Options are checked by
// options.test.ts; the commands themselves were run by hand from a clean
// clone, which a test cannot do for `docker` or `systemctl`.)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { binary, describeWhere, file } from '@zviz/test-support/requirements';

import { loadConfig } from '../../agent/src/assembly/load-config';

const repo = join(__dirname, '..', '..');
const zvizBin = join(repo, 'agent', 'bin', 'zviz.js');
const scratch = mkdtempSync(join(tmpdir(), 'zviz-doc-blocks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Block {
  /** `docs/install.md:56` */
  where: string;
  lang: string;
  text: string;
}

const DOCS = ['README.md', ...readdirSync(join(repo, 'docs')).map((f) => `docs/${f}`)].filter((f) => f.endsWith('.md'));

function read(path: string): string {
  return readFileSync(join(repo, path), 'utf8');
}

/** Fenced blocks, with the line their fence opens on (indented fences of list items too). */
function blocksOf(path: string): Block[] {
  const blocks: Block[] = [];
  let open: { line: number; lang: string; indent: string; lines: string[] } | undefined;
  read(path)
    .split('\n')
    .forEach((line, i) => {
      const fence = /^(\s*)```(\S*)\s*$/.exec(line);
      if (fence && !open) {
        open = { line: i + 1, lang: fence[2], indent: fence[1], lines: [] };
      } else if (fence && open) {
        blocks.push({ where: `${path}:${open.line}`, lang: open.lang, text: open.lines.join('\n') + '\n' });
        open = undefined;
      } else if (open) {
        open.lines.push(line.startsWith(open.indent) ? line.slice(open.indent.length) : line);
      }
    });
  return blocks;
}

const blocks = DOCS.flatMap(blocksOf);
const ofLang = (lang: string) => blocks.filter((b) => b.lang === lang);

/** A JSON block is a document, or members of an object shown alone (`"zviz": {...}`). */
function parseJsonBlock(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return JSON.parse(`{${text}}`) as Record<string, unknown>;
  }
}

describe('code blocks of README.md and docs/*.md', () => {
  it('are found, in every language they use', () => {
    expect(ofLang('json').length).toBeGreaterThan(5);
    expect(ofLang('yaml').length).toBeGreaterThan(5);
    expect(ofLang('sh').length).toBeGreaterThan(20);
  });

  it.each(ofLang('json').map((b) => [b.where, b] as const))('%s is JSON', (_where, block) => {
    expect(() => parseJsonBlock(block.text)).not.toThrow();
  });

  it.each(ofLang('yaml').map((b) => [b.where, b] as const))('%s is YAML', (_where, block) => {
    expect(() => parse(block.text)).not.toThrow();
  });
});

describe('agent configuration examples', () => {
  const empty = join(scratch, 'empty.yaml');
  writeFileSync(empty, '');
  const defaults = loadConfig({ path: empty, env: {} });
  const sections = new Set(defaults.ok ? Object.keys(defaults.config) : []);
  const examples = ofLang('yaml').filter((b) => {
    const data = parse(b.text) as unknown;
    return (
      data !== null &&
      typeof data === 'object' &&
      !Array.isArray(data) &&
      Object.keys(data).every((k) => sections.has(k))
    );
  });

  it('are recognised by their sections (docs/install.md and docs/tracer.md have one each)', () => {
    expect(sections.has('tracer')).toBe(true);
    expect(examples.map((b) => b.where.split(':')[0])).toEqual(
      expect.arrayContaining(['docs/install.md', 'docs/tracer.md'])
    );
  });

  it.each(examples.map((b) => [b.where, b] as const))(
    '%s loads with the agent’s configuration loader',
    (where, block) => {
      const path = join(scratch, `${where.replace(/[/:]/g, '_')}.yaml`);
      writeFileSync(path, block.text);
      const result = loadConfig({ path, env: {} });
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  );
});

describeWhere([binary('promtool', 'prometheus')], 'Prometheus configuration examples', () => {
  const examples = ofLang('yaml').filter((b) => /^scrape_configs:/m.test(b.text));

  it('are found (docs/agent.md and docs/install.md)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples.map((b) => [b.where, b] as const))('%s passes promtool check config', (where, block) => {
    // The files it names, in a directory of their own: the rules the repository
    // ships and empty secrets where the example keeps them.
    const dir = join(scratch, where.replace(/[/:]/g, '_'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'zviz-rules.yaml'), read('deploy/prometheus/zviz-rules.yaml'));
    const text = block.text.replace(/\/etc\/prometheus\/([\w.-]+)/g, (_m, name: string) => {
      writeFileSync(join(dir, name), 'secret\n');
      return join(dir, name);
    });
    writeFileSync(join(dir, 'prometheus.yml'), text);
    const result = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

describeWhere(
  [file(join(repo, 'agent', 'dist', 'zviz.js'), 'build the agent first (npm run build)')],
  'profile examples of docs/profiles.md',
  () => {
    const base = JSON.parse(read('agent/profiles/default.json')) as { zviz?: Record<string, unknown> };
    /** "..." in a list stands for more of the same; a user leaves it out. */
    const withoutEllipses = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.filter((v) => v !== '...').map(withoutEllipses)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutEllipses(v)]))
          : value;
    /** A whole profile as is; a `zviz` section or a part of one laid over the default profile's. */
    const asProfile = (text: string): unknown => {
      const data = parseJsonBlock(text);
      if ('defaultAction' in data && !text.includes('"..."')) {
        return data;
      }
      const zviz = ('zviz' in data ? data.zviz : data) as Record<string, unknown>;
      return { ...base, zviz: { ...base.zviz, ...zviz } };
    };
    const examples = blocksOf('docs/profiles.md').filter((b) => b.lang === 'json');

    it('are found: the whole profile and the four examples', () => {
      expect(examples).toHaveLength(5);
    });

    it.each(examples.map((b) => [b.where, b] as const))('%s passes zviz profile check', (where, block) => {
      const path = join(scratch, `${where.replace(/[/:]/g, '_')}.json`);
      writeFileSync(path, JSON.stringify(withoutEllipses(asProfile(block.text)), null, 2));
      const result = spawnSync(process.execPath, [zvizBin, 'profile', 'check', path], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  }
);

describe('Grafana snippets of docs/install.md', () => {
  const ids = ['src/plugin.json', 'src/datasource/plugin.json', 'src/panels/decisions/plugin.json'].map(
    (p) => (JSON.parse(read(p)) as { id: string }).id
  );
  const install = read('docs/install.md');

  it('allow exactly the three plugins of the archive to load unsigned, in grafana.ini and in the environment', () => {
    const ini = /^allow_loading_unsigned_plugins = (.*)$/m.exec(install)?.[1];
    expect(ini?.split(',')).toEqual(ids);
    const env = /GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=([\w,-]+)/.exec(install)?.[1];
    expect(env?.split(',')).toEqual(ids);
  });

  it("enable the app by its id, in Grafana's plugin provisioning format", () => {
    const provisioning = blocksOf('docs/install.md')
      .filter((b) => b.lang === 'yaml')
      .map((b) => parse(b.text) as { apiVersion?: number; apps?: Array<Record<string, unknown>> })
      .find((d) => d && d.apps);
    expect(provisioning).toMatchObject({ apiVersion: 1, apps: [{ type: ids[0], org_id: 1, disabled: false }] });
    // The repository's own file says the same.
    const dir = join(repo, 'provisioning', 'plugins');
    const own = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as { apps?: Array<{ type: string }> }).apps ?? []);
    expect(own.map((a) => a.type)).toContain(ids[0]);
  });
});

/** Commands and subcommands of zviz, from its own --help. */
function zvizCommands(): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const walk = (path: string[]) => {
    const text = execFileSync(process.execPath, [zvizBin, ...path, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '200' },
    });
    const commands = text.split(/^Commands:$/m)[1] ?? '';
    const subs = [...commands.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((s) => s !== 'help');
    table.set(path.join(' '), subs);
    for (const sub of subs) {
      walk([...path, sub]);
    }
  };
  walk([]);
  return table;
}

/** Shell command lines: the lines of sh blocks, comments cut, continuation lines joined. */
function shellLines(): Array<{ where: string; line: string }> {
  return ofLang('sh').flatMap((b) =>
    b.text
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean)
      .map((line) => ({ where: b.where, line }))
  );
}

/** `zviz ...` invocations of sh blocks and code spans: the words up to the first option, ` -- ` or the end. */
function zvizInvocations(): Array<{ where: string; words: string[] }> {
  const found: Array<{ where: string; words: string[] }> = [];
  const add = (where: string, rest: string) => {
    const words = rest.split(/\s+/).filter(Boolean);
    const upTo = words.findIndex((w) => w.startsWith('-') || !/^[a-z][a-z0-9-]*$/.test(w));
    found.push({ where, words: upTo < 0 ? words : words.slice(0, upTo) });
  };
  for (const { where, line } of shellLines()) {
    for (const m of line.matchAll(/(?:^|&&\s*|;\s*|\$\(\s*|sudo\s+)zviz\s+([^&;|)]*)/g)) {
      add(where, m[1].trim());
    }
  }
  for (const path of DOCS) {
    read(path)
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(/`(?:sudo )?zviz ([^`]+)`/g)) {
          add(`${path}:${i + 1}`, m[1].trim());
        }
      });
  }
  return found;
}

describeWhere(
  [file(join(repo, 'agent', 'dist', 'zviz.js'), 'build the agent first (npm run build)')],
  'commands the docs give',
  () => {
    let commands: Map<string, string[]>;
    beforeAll(() => {
      commands = zvizCommands();
    });

    it('read the command tree from zviz --help', () => {
      expect(commands.get('')).toEqual(expect.arrayContaining(['agent', 'run', 'profile', 'metrics', 'health', 'top']));
      expect(commands.get('metrics')).toEqual(['serve']);
      expect(commands.get('profile')).toEqual(['check', 'list']);
    });

    it('name zviz commands that exist: a word after a command with subcommands is one of them', () => {
      const wrong: string[] = [];
      const invocations = zvizInvocations();
      expect(invocations.length).toBeGreaterThan(30);
      for (const { where, words } of invocations) {
        if (words.length === 0) {
          continue; // `zviz --version`, `zviz --help`
        }
        if (!commands.get('')!.includes(words[0])) {
          wrong.push(`${where}: zviz ${words.join(' ')}: no command ${words[0]}`);
          continue;
        }
        let path = words[0];
        for (const word of words.slice(1)) {
          const subs = commands.get(path)!;
          if (subs.length === 0) {
            break; // the rest are its arguments
          }
          if (!subs.includes(word)) {
            wrong.push(`${where}: zviz ${words.join(' ')}: zviz ${path} has no subcommand ${word}`);
            break;
          }
          path = `${path} ${word}`;
        }
      }
      expect(wrong).toEqual([]);
    });

    it('name npm scripts that exist, in the workspace they name', () => {
      const scriptsOf = (dir: string) =>
        new Set(Object.keys((JSON.parse(read(join(dir, 'package.json'))) as { scripts?: object }).scripts ?? {}));
      const wrong: string[] = [];
      let checked = 0;
      for (const { where, line } of shellLines()) {
        for (const m of line.matchAll(/\bnpm (run|start|test)\b(?: ([\w:.-]+))?([^&;|]*)/g)) {
          const script = m[1] === 'run' ? m[2] : m[1];
          const workspace = /(?:-w|--workspace)[ =](\S+)/.exec(m[3] ?? '')?.[1] ?? '';
          checked++;
          if (!script || !scriptsOf(workspace).has(script)) {
            wrong.push(`${where}: npm ${m[0].slice(4).trim()}: no script ${script} in ${workspace || 'the root'}`);
          }
        }
      }
      expect(checked).toBeGreaterThan(20);
      expect(wrong).toEqual([]);
    });

    it('name repository files that exist', () => {
      const wrong: string[] = [];
      let checked = 0;
      for (const { where, line } of shellLines()) {
        for (const m of line.matchAll(
          /(?:^|[\s=(])((?:agent|bench|deploy|docs|packages|pkg-backend|provisioning|scripts|src|test)\/[\w./-]*[\w/])/g
        )) {
          checked++;
          if (!existsSync(join(repo, m[1]))) {
            wrong.push(`${where}: ${m[1]}`);
          }
        }
      }
      // bench/..., test/..., src/alerts/config.yaml, agent/Dockerfile, ...
      expect(checked).toBeGreaterThan(5);
      expect(wrong).toEqual([]);
    });
  }
);

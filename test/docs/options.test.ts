// What the repository tells a user to type exists: every `--option` that a
// doc, a config comment, a manifest or the app's own UI gives to a `zviz`
// command (or calls an option of "the agent") is one that command accepts,
// as its --help lists it. An option that was renamed or never existed (an
// agent "--auth", where authentication is metrics.auth in the configuration)
// fails here instead of in a user's shell.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = join(__dirname, '..', '..');
const zvizBin = join(repo, 'agent', 'bin', 'zviz.js');

/** Options and subcommands of one command, from its --help. */
interface HelpPage {
  options: Set<string>;
  subcommands: string[];
}

function help(path: string[]): HelpPage {
  const text = execFileSync(process.execPath, [zvizBin, ...path, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '200' },
  });
  const options = new Set<string>();
  const subcommands: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const heading = /^(\w+):$/.exec(line);
    if (heading) {
      section = heading[1];
      continue;
    }
    const entry = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line);
    if (!entry) {
      continue;
    }
    if (section === 'Options') {
      for (const option of entry[1].matchAll(/--[a-z][a-z0-9-]*/g)) {
        options.add(option[0]);
      }
    } else if (section === 'Commands') {
      const name = entry[1].split(' ')[0];
      if (name !== 'help') {
        subcommands.push(name);
      }
    }
  }
  return { options, subcommands };
}

/** Every command of the program by its path (`metrics serve`), with its options and the program's own. */
function commandTable(): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  const top = help([]);
  const walk = (path: string[]) => {
    const page = help(path);
    table.set(path.join(' '), new Set([...page.options, ...top.options]));
    for (const sub of page.subcommands) {
      walk([...path, sub]);
    }
  };
  for (const name of top.subcommands) {
    walk([name]);
  }
  return table;
}

interface Use {
  command: string;
  option: string;
}

/**
 * The options a line gives to zviz commands. A command runs from `zviz` to the
 * end of its code span, quote, clause or shell comment; after ` -- ` the
 * arguments are the workload's.
 */
function usesIn(line: string, commands: Map<string, Set<string>>): Use[] {
  const uses: Use[] = [];
  for (const match of line.matchAll(/\bzviz((?: [a-z][a-z-]*){1,2})([^`'"\n]*)/g)) {
    const words = match[1].trim().split(' ');
    const path = commands.has(words.join(' ')) ? words.join(' ') : words[0];
    if (!commands.has(path)) {
      continue; // "zviz agents", "zviz on the node": prose, not a command
    }
    const rest = (words.join(' ') === path ? '' : ` ${words.slice(1).join(' ')}`) + match[2];
    const args = rest.split(/ -- | # |&&|;|, | \| /)[0];
    for (const option of args.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) {
      uses.push({ command: path, option: option[0] });
    }
  }
  // "the agent's --x option", "the agents' --x": an option of some command.
  for (const match of line.matchAll(/\bagents?'s? (--[a-z][a-z0-9-]*)/gi)) {
    uses.push({ command: '', option: match[1] });
  }
  return uses;
}

/** Tracked files a user reads or runs: everything but tests, fixtures and lockfiles. */
function userFacingFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter(Boolean)
    .filter(
      (path) =>
        !/(^|\/)(test|tests|fixtures|testing|__snapshots__)\//.test(path) &&
        !/\.(test|spec)\.[cm]?[jt]sx?$/.test(path) &&
        !/(^|\/)package-lock\.json$|\.(png|svg|ico|jpg|gz|zip)$/.test(path)
    );
}

describe('options the repository tells users to pass', () => {
  let commands: Map<string, Set<string>>;
  beforeAll(() => {
    commands = commandTable();
  });

  it("are read from the program's own help: every command, with its options", () => {
    expect([...commands.keys()]).toEqual(expect.arrayContaining(['agent', 'run', 'metrics', 'metrics serve', 'top']));
    expect(commands.get('metrics serve')).toEqual(expect.objectContaining(new Set(['--addr', '--config', '--help'])));
    expect(commands.get('run')?.has('--io-write-bps')).toBe(true);
    expect(commands.get('agent')?.has('--auth')).toBe(false);
  });

  it('are found where a line gives them: after the command, before the workload, in prose about the agent', () => {
    expect(usesIn('`zviz metrics serve --addr 0.0.0.0:9090`', commands)).toEqual([
      { command: 'metrics serve', option: '--addr' },
    ]);
    expect(usesIn('zviz run --memory/--cpus -- make --jobs 4 # --not-this', commands)).toEqual([
      { command: 'run', option: '--memory' },
      { command: 'run', option: '--cpus' },
    ]);
    expect(usesIn("What the agents' --auth option requires", commands)).toEqual([{ command: '', option: '--auth' }]);
    expect(usesIn('zviz agents on every node (--like this)', commands)).toEqual([]);
    expect(usesIn('start zviz agent, or pass --standalone', commands)).toEqual([]);
  });

  it('exist: each is an option of the command it is given to', () => {
    const known = new Set([...commands.values()].flatMap((options) => [...options]));
    const wrong: string[] = [];
    let checked = 0;
    for (const path of userFacingFiles()) {
      let text: string;
      try {
        text = readFileSync(join(repo, path), 'utf8');
      } catch {
        continue;
      }
      if (text.includes('\0')) {
        continue;
      }
      text.split('\n').forEach((line, i) => {
        for (const use of usesIn(line, commands)) {
          checked++;
          const ok = use.command ? commands.get(use.command)!.has(use.option) : known.has(use.option);
          if (!ok) {
            wrong.push(`${path}:${i + 1}: ${use.command ? `zviz ${use.command}` : 'the agent'} has no ${use.option}`);
          }
        }
      });
    }
    expect(wrong).toEqual([]);
    // The README, docs/agent.md and docs/install.md alone give dozens.
    expect(checked).toBeGreaterThan(50);
  });
});

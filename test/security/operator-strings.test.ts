// Attack class: strings a workload chooses, made to act on the operator who
// reads them (attacks/operator-strings.c). The workload names its threads
// (the tracer's process_name label), opens paths and runs a program whose
// names carry OSC 52 (a write to the operator's clipboard), OSC 0 (the window
// title), a screen clear, a carriage return, a C1 CSI, a right-to-left
// override, and a newline followed by a JSON object, quotes, backslashes and
// bytes that are not UTF-8. Under every profile, through an agent (tracer on,
// process_name on) and standalone:
//
// - /metrics stays an exposition promtool accepts, valid UTF-8, with no byte
//   a terminal acts on, and each name a label value spelled escaped;
// - `zviz metrics`, `zviz top --once` and `zviz health`, run on a
//   pseudo-terminal (script(1)), write no such byte to it; nor does
//   `zviz run --standalone --log-decisions`;
// - the audit log and the agent's JSON log stay one valid JSON record a
//   line: the newline in a path forges no record;
// - the decision API answers JSON naming the path as it was.
//
// Judged by the bytes: what the pseudo-terminal received, what /metrics sent.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { promtoolCheck } from '../../agent/test/support/promtool';
import { AttackAgent, attackSuite, byProfile, outcomes, PROFILES, Scratch, ZVIZ, type AttackRun } from './harness';

/** The start of the path the program opens, as it wrote it (attacks/operator-strings.c, HOSTILE; the rest is a backslash, a quote and a byte that is not UTF-8). */
const HOSTILE = 'zviz-op-\x1b]52;c;aGk=\x07\x1b]0;PWNED\x07\x1b[2J\rX\n{"forged":true}\u202e\u009b';
/** Its start as every terminal tool must show it (jsesc's escapes). */
const HOSTILE_SHOWN = String.raw`zviz-op-\x1B]52;c;aGk=\x07\x1B]0;PWNED\x07\x1B[2J\rX\n{`;

/** The thread names' process_name labels, as Prometheus reads them: escaped, never raw. */
const NAMES_SHOWN = [
  String.raw`\x1B]52;c;aGk=\x07`,
  String.raw`\x1B]0;PWNED\x07`,
  String.raw`\x1B[2J\x1B[H`,
  String.raw`ok\rFAKE`,
  String.raw`\x9B2Jc1`,
  String.raw`\u202Elive`,
  String.raw`q"b\\s\nl`,
  'bad\ufffd\ufffd',
];

/**
 * What a terminal acts on: C0 controls (a line feed alone is a line), DEL,
 * C1, bidirectional controls, line and paragraph separators.
 */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

/** The first character a terminal would act on, with where it is, or undefined. */
function rawIn(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    return 'bytes that are not UTF-8';
  }
  // A pseudo-terminal writes each line feed as CR LF (onlcr).
  const lines = text.replace(/\r\n/g, '\n');
  const match = RAW.exec(lines);
  return match
    ? `U+${match[0].codePointAt(0)!.toString(16).padStart(4, '0')} in ${JSON.stringify(lines.slice(Math.max(0, match.index - 40), match.index + 40))}`
    : undefined;
}

/** A command line for script(1)'s shell. */
function shell(argv: string[]): string {
  return argv.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** What `argv` wrote to a pseudo-terminal of its own (script(1)). */
function onTerminal(argv: string[], env: Record<string, string> = {}): { status: number | null; bytes: Buffer } {
  const result = spawnSync('script', ['-qfec', shell(argv), '/dev/null'], {
    env: { ...process.env, ...env, TERM: 'xterm-256color' },
    timeout: 30_000,
  });
  return { status: result.status, bytes: result.stdout };
}

/** Every sample's labels in a text exposition, label values unescaped as Prometheus reads them. */
function labelSets(exposition: string): Array<{ name: string; labels: Record<string, string> }> {
  const sets: Array<{ name: string; labels: Record<string, string> }> = [];
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} \S+$/.exec(line);
    if (!match) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const pair of match[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    sets.push({ name: match[1], labels });
  }
  return sets;
}

const ATTEMPTS = [...NAMES_SHOWN.map((_, i) => `name-${i}`), 'open-in', 'open-out', 'exec-exit', 'done'];
const ALL_OK = Object.fromEntries(NAMES_SHOWN.map((_, i) => [`name-${i}`, 'ok']));

/** What the program's own attempts answer under every profile (a run that did nothing would prove nothing). */
const EXPECTED_OUTCOMES: Record<string, string> = {
  ...ALL_OK,
  'open-in': 'ok',
  'open-out': 'errno ENOENT',
  'exec-exit': '0',
  done: 'ok',
};

attackSuite('attack: workload-chosen strings on the operator’s terminal, logs and metrics', (suite) => {
  let agent: AttackAgent;
  let config: string;
  beforeAll(async () => {
    agent = await AttackAgent.start({
      sections: {
        tracer: {
          max_cgroups: 16,
          read_interval_seconds: 0,
          labels: { process_name: true },
          series_limits: { syscalls: 64_000 },
        },
      },
    });
    config = join(agent.dir, 'config.yaml');
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
  });

  it.each(PROFILES)(
    '%s, through an agent: /metrics, zviz metrics, zviz top, zviz health, the audit log and the agent log',
    async (profile) => {
      const scratch = Scratch.create();
      const before = new Set((await agent.containers()).map((c) => c.id));
      let ended: AttackRun | undefined;
      const running = suite.run({
        profile,
        mode: 'agent',
        agent,
        program: 'operator-strings',
        args: ['hold'],
        scratch,
        timeoutMs: 150_000,
      });
      void running.then((r) => (ended = r));
      await waitFor('operator-strings to be ready', async () => {
        if (ended) {
          throw new Error(`operator-strings ended early:\n${ended.stdout}\n${ended.stderr}`);
        }
        return existsSync(join(scratch.workspace, 'ready'));
      });
      const id = (await agent.containers()).find((c) => !before.has(c.id))?.id ?? '';
      expect(id).not.toBe('');

      // /metrics: bytes, then promtool, then the names as label values.
      const bytes = Buffer.from(await (await fetch(`${agent.url}/metrics`)).arrayBuffer());
      expect(rawIn(bytes), '/metrics').toBeUndefined();
      const exposition = bytes.toString('utf8');
      expect(promtoolCheck(exposition).problems).toEqual([]);
      const names = new Set(
        labelSets(exposition)
          .filter((s) => s.labels.container_id === id && s.labels.process_name !== undefined)
          .map((s) => s.labels.process_name)
      );
      for (const shown of NAMES_SHOWN) {
        expect(names, `process_name ${JSON.stringify(shown)}`).toContain(shown);
      }

      // The operator's commands, on a terminal.
      const metrics = onTerminal([process.execPath, ZVIZ, 'metrics', '--config', config]);
      expect(metrics.status).toBe(0);
      expect(rawIn(metrics.bytes), 'zviz metrics').toBeUndefined();
      expect(metrics.bytes.toString('utf8')).toContain('process_name="\\\\x1B]52;c;aGk=\\\\x07"');
      const top = onTerminal([process.execPath, ZVIZ, 'top', '--config', config, '--once', '--no-color']);
      expect(top.status).toBe(0);
      expect(rawIn(top.bytes), 'zviz top').toBeUndefined();
      const health = onTerminal([process.execPath, ZVIZ, 'health', '--config', config]);
      expect(rawIn(health.bytes), 'zviz health').toBeUndefined();

      // The decision API: JSON, naming the path as the workload wrote it.
      const decisions = (await (await fetch(`${agent.url}/api/v1/decisions?limit=1000`)).json()) as {
        events: Array<{ container_id: string; args: Record<string, unknown> }>;
      };
      const named = decisions.events.filter(
        (e) => e.container_id === id && Object.values(e.args).some((v) => typeof v === 'string' && v.includes(HOSTILE))
      );
      expect(named.length > 0, `decisions naming the path: ${profile}`).toBe(
        byProfile(profile, { strict: true, 'ci-runner': true, default: false, observe: true })
      );
      // zviz top's latest decisions show it, escaped (its page is narrow: the start of the name).
      if (named.length > 0) {
        expect(top.bytes.toString('utf8')).toContain(String.raw`zviz-op-\x1B]52`);
      }

      writeFileSync(join(scratch.workspace, 'stop'), '');
      const run = await running;
      expect(outcomes(run, ATTEMPTS)).toEqual(EXPECTED_OUTCOMES);
      await suite.expectContained(run);

      // The audit log and the agent's log: one JSON record a line, none forged.
      const records = agent.audit(); // parses every line
      expect(records.filter((r) => 'forged' in r)).toEqual([]);
      const log = readFileSync(join(agent.dir, 'agent.log'), 'utf8')
        .split('\n')
        .filter((line) => line !== '');
      for (const line of log) {
        expect(() => JSON.parse(line) as unknown, line).not.toThrow();
      }
    },
    200_000
  );

  it.each(PROFILES)(
    '%s, standalone: zviz run --log-decisions on a terminal',
    async (profile) => {
      const run = await suite.run({
        profile,
        mode: 'standalone',
        program: 'operator-strings',
        args: ['once'],
        zvizArgs: ['--log-decisions'],
        wrap: (argv) => ['script', '-qfec', shell(argv), '/dev/null'],
      });
      // script(1) gives zviz run and the workload one terminal: the workload's own lines are plain.
      const bytes = Buffer.from(`${run.stdout}${run.stderr}`, 'utf8');
      expect(rawIn(bytes), 'zviz run').toBeUndefined();
      expect(outcomes(run, ATTEMPTS)).toEqual(EXPECTED_OUTCOMES);
      expect(run.stdout.includes(HOSTILE_SHOWN), `the path shown escaped: ${profile}`).toBe(
        byProfile(profile, { strict: true, 'ci-runner': true, default: false, observe: true })
      );
      await suite.expectContained(run);
    },
    60_000
  );
});

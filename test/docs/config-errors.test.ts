// docs/agent.md shows what `zviz agent` prints for a bad configuration. Each
// line of that example is produced here by the real command, with a file that
// has that one problem (at a path of the test's own instead of
// /etc/zviz/config.yaml), exit code 2, so the documented messages are the
// program's, word for word.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { binary, describeWhere, file } from '@zviz/test-support/requirements';

const repo = join(__dirname, '..', '..');
const zvizBin = join(repo, 'agent', 'bin', 'zviz.js');
const scratch = mkdtempSync(join(tmpdir(), 'zviz-config-errors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The example block of docs/agent.md that follows "Examples (from the test corpus". */
function documentedLines(): string[] {
  const doc = readFileSync(join(repo, 'docs', 'agent.md'), 'utf8');
  const after = doc.slice(doc.indexOf('Examples (from the test corpus'));
  const block = /```\n([\s\S]*?)```/.exec(after);
  if (!block) {
    throw new Error('docs/agent.md has no example block of configuration errors');
  }
  return block[1].trimEnd().split('\n');
}

function pemPair(name: string): { cert: string; key: string } {
  const key = join(scratch, `${name}.key`);
  const cert = join(scratch, `${name}.crt`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
    ]),
    { stdio: 'ignore' }
  );
  return { cert, key };
}

/** A configuration with one problem per documented line, keyed by the line's dotted path. */
function cases(): Array<{ line: string; yaml: string; env?: Record<string, string>; paths?: Record<string, string> }> {
  const fifo = join(scratch, 'token');
  execFileSync('mkfifo', [fifo]);
  const a = pemPair('a');
  const b = pemPair('b');
  return documentedLines().map((line) => {
    const when = (text: string) => line.includes(text);
    if (when('logging.levle')) return { line, yaml: 'logging:\n  levle: info\n' };
    if (when('rate_limit.rps')) return { line, yaml: 'metrics:\n  rate_limit:\n    rps: fast\n' };
    if (when('retention_days')) return { line, yaml: 'logging:\n  audit:\n    retention_days: -1\n' };
    if (when('metrics.auth.token:')) return { line, yaml: 'metrics:\n  auth:\n    type: bearer\n    token: abcdef\n' };
    if (when('metrics.tls'))
      return { line, yaml: `metrics:\n  tls:\n    cert_file: ${a.cert}\n    key_file: ${b.key}\n` };
    if (when('invalid YAML')) return { line, yaml: 'logging:\n  level: info\n  level: warn\n' };
    if (when('token_file'))
      return {
        line,
        yaml: `metrics:\n  auth:\n    type: bearer\n    token_file: ${fifo}\n`,
        paths: { '/run/secrets/token': fifo },
      };
    if (when('logging.output')) return { line, yaml: 'logging:\n  output: /dev/full\n' };
    if (when('ZVIZ_LOG_LEVEL')) return { line, yaml: '', env: { ZVIZ_LOG_LEVEL: 'loud' } };
    throw new Error(`no configuration here produces this documented line: ${line}`);
  });
}

describeWhere(
  [
    file(join(repo, 'agent', 'dist', 'zviz.js'), 'build the agent first (npm run build)'),
    binary('openssl'),
    binary('mkfifo', 'coreutils'),
  ],
  "docs/agent.md's configuration errors",
  () => {
    const all = cases();

    it('are nine lines, each produced below', () => {
      expect(all).toHaveLength(9);
    });

    it.each(all.map((c) => [c.line, c] as const))('%s', (_line, c) => {
      const config = join(scratch, `config-${all.indexOf(c)}.yaml`);
      writeFileSync(config, c.yaml);
      const result = spawnSync(process.execPath, [zvizBin, 'agent', '--config', config], {
        encoding: 'utf8',
        env: { ...process.env, ...c.env },
        timeout: 30_000,
      });
      let expected = c.line.replace('/etc/zviz/config.yaml', config);
      for (const [shown, real] of Object.entries(c.paths ?? {})) {
        expected = expected.replace(shown, real);
      }
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^zviz: configuration refused \(1 error\); nothing was started:$/);
      expect(lines.slice(1)).toEqual([`  ${expected}`]);
      expect(result.status).toBe(2);
    });
  }
);

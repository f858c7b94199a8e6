// `zviz run` without an agent, as a user runs it: the workload's output and
// exit code, Ctrl-C forwarded to it, a one-line summary at the end.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { describeWhere, file, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { workspace } from './harness';

const ZVIZ = join(__dirname, '..', '..', 'bin', 'zviz.js');
const DIST = join(__dirname, '..', '..', 'dist', 'zviz.js');

describeWhere(
  [root, seccompUserNotif, file(DIST, 'needs the built agent (npm run build)')],
  'zviz run (standalone)',
  () => {
    it('gives the workload the terminal, returns its exit code and sums up the decisions', () => {
      const ws = workspace();
      const result = spawnSync(
        process.execPath,
        [
          ZVIZ,
          'run',
          '--standalone',
          '--profile',
          'ci-runner',
          '--memory',
          '256M',
          '--pids',
          '128',
          '--',
          'sh',
          '-c',
          'cat; echo made > made.txt; cat made.txt; exit 5',
        ],
        { cwd: ws, input: 'from stdin\n', encoding: 'utf8', timeout: 30_000 }
      );
      expect(result.stdout).toBe('from stdin\nmade\n');
      expect(result.status).toBe(5);
      expect(result.stderr).toMatch(
        /^zviz: r\d+-\w+ \(ci-runner\) exited with code 5 after [\d.]+ s; broker: \d+ decisions \((\d+ allow, )?1 emulate, \d+ log\)\n$/
      );
    });

    it('forwards Ctrl-C (SIGINT) to the workload', async () => {
      const child = spawn(
        process.execPath,
        [
          ZVIZ,
          'run',
          '--standalone',
          '--',
          'sh',
          '-c',
          'trap "echo interrupted; exit 42" INT; echo ready; while :; do sleep 0.05; done',
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        }
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready') && resolve()));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(out).toBe('ready\ninterrupted\n');
      expect(code).toBe(42);
    });

    it('exits 125 with the reason when the command cannot start', () => {
      const result = spawnSync(process.execPath, [ZVIZ, 'run', '--standalone', '--', 'no-such-command-zviz'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(125);
      expect(result.stderr).toContain('no-such-command-zviz: command not found in PATH');
    });
  }
);

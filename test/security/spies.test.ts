// Attack class: the agent's activity watched from inside a container
// (attacks/spy.c). inotify needs no capability: any process may watch any
// inode it can look up, and an event tells when the file was written, which
// for the agent's audit log is when any container's decision was recorded.
// Through an agent, under every profile, the workload watches the agent's
// directory and its audit log while the test writes both on the node; it
// must see none of it (the private /tmp of `strict` and `ci-runner` does not
// hold them; the host view of `default` and `observe` masks the directory
// with an empty tmpfs, whose inodes the agent never writes). The same
// program on the node, run by hand, reads 10 events.
import { appendFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { attackSuite, byProfile, matrix, outcomes } from './harness';

const WAIT_SECONDS = 3;

function expected(profile: string): Record<string, string> {
  const notInView = { 'watch-agent-dir': 'errno ENOENT', 'watch-audit-log': 'errno ENOENT' };
  const masked = { 'watch-agent-dir': 'ok', 'watch-audit-log': 'errno ENOENT' };
  return {
    'inotify-init': 'ok',
    ...byProfile(profile, { strict: notInView, 'ci-runner': notInView, default: masked, observe: masked }),
    events: '0',
  };
}

attackSuite("attack: the agent's files watched with inotify", (suite) => {
  it.each(matrix().filter(([, mode]) => mode === 'agent'))(
    "%s (%s): the workload sees nothing of the agent's writes",
    async (profile, mode) => {
      const agent = suite.agent();
      const run = await suite.run({
        profile,
        mode,
        program: 'spy',
        args: [agent.dir, agent.auditPath, String(WAIT_SECONDS)],
        whileRunning: async ({ zviz }) => {
          // Once both watches are made (the program then waits WAIT_SECONDS).
          let seen = '';
          await new Promise<void>((resolve) => {
            const look = (chunk: Buffer) => {
              seen += chunk.toString();
              if (seen.includes('watch-audit-log ')) {
                zviz.stdout?.off('data', look);
                resolve();
              }
            };
            zviz.stdout?.on('data', look);
            zviz.once('exit', () => resolve());
          });
          appendFileSync(agent.auditPath, '{"spies":"a line the agent could have written"}\n');
          const file = join(agent.dir, 'spies-new-file');
          writeFileSync(file, 'x');
          unlinkSync(file);
        },
      });
      const detail = `${run.stdout}\n${run.stderr}`;
      expect(outcomes(run, ['inotify-init', 'watch-agent-dir', 'watch-audit-log', 'events']), detail).toEqual(
        expected(profile)
      );
      await suite.expectContained(run, { outsideUnchanged: true });
    }
  );
});

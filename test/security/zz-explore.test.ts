import { readFileSync, readdirSync } from 'node:fs';
import { it } from 'vitest';
import { attackSuite, matrix } from './harness';
function zombiesOf(pid: number): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z' && Number(rest[1]) === pid) n++;
    } catch {}
  }
  return n;
}
attackSuite('explore agent', (suite) => {
  it.each(matrix(['ci-runner', 'strict', 'default']))(
    '%s (%s)',
    async (profile, mode) => {
      const agent = suite.agent();
      const run = await suite.run({
        profile,
        mode,
        program: 'agent',
        args: [
          'signal',
          'oom',
          'control',
          'clone-parent',
          ...(mode === 'agent' && profile === 'ci-runner' ? ['inspector'] : []),
        ],
        env: {
          ZVIZ_ATTACK_AGENT_PID: mode === 'agent' ? String(agent.pid) : 'parent',
          ZVIZ_ATTACK_AGENT_SOCKET: agent.socket,
        },
      });
      console.log(
        profile,
        mode,
        '\n' + run.stdout,
        run.stderr,
        run.scratch.changedOutside(),
        'zombies of agent',
        zombiesOf(agent.pid),
        await agent.notAlive()
      );
    },
    60000
  );
});

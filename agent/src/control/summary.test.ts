import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';

import type { Summary } from './protocol';
import { formatSummary } from './summary';

const base = (more: Partial<Summary> = {}): Summary => ({
  decisions: { allow: 0, emulate: 0, log: 0, deny: 0, kill: 0, trap: 0 },
  refusals: {},
  durationMs: 1234,
  ...more,
});

describe('the zviz run summary line', () => {
  it('says expected fallbacks apart from refusals a user should look at', () => {
    const line = formatSummary(
      'c1',
      'default',
      0,
      base({
        decisions: { allow: 3, emulate: 0, log: 0, deny: 10, kill: 0, trap: 0 },
        refusals: { openat: 2 },
        expected: { clone3: 1, connect: 8 },
      })
    );
    expect(line).toBe(
      'zviz: c1 (default) exited with code 0 after 1.2 s; broker: 13 decisions (3 allow, 10 deny); refused: openat 2; ' +
        'expected refusals, harmless: connect 8 (NSS tries nscd, then reads the files), clone3 1 (glibc retries with clone)'
    );
  });

  it('has no "refused" part when every refusal was expected', () => {
    const line = formatSummary('c1', 'default', 0, base({ expected: { clone3: 1 }, refusals: { openat: 0 } }));
    expect(line).not.toContain('refused:');
    expect(line).toContain('expected refusals, harmless: clone3 1 (glibc retries with clone)');
  });

  it("names the cgroup layer's refusals and an OOM kill as the cause of a SIGKILL", () => {
    const line = formatSummary(
      'c2',
      'default',
      137,
      base({
        signal: constants.signals.SIGKILL,
        cgroup: { oomKills: 1, pidsLimitHits: 3, memoryLimitBytes: 32 * 1024 * 1024, pidsLimit: 8 },
      })
    );
    expect(line).toBe(
      'zviz: c2 (default) exited with code 137 (killed by SIGKILL: the OOM killer, at its 32 MiB memory limit) ' +
        'after 1.2 s; broker: 0 decisions; cgroup refused: 1 OOM kill at the 32 MiB memory limit, 3 forks refused at the pids limit of 8'
    );
  });

  it('says a signal came through zviz, or from a kill decision, and names one it knows nothing of', () => {
    expect(
      formatSummary('c3', 'default', 143, base({ signal: constants.signals.SIGTERM }), {
        forwarded: new Set(['SIGTERM']),
      })
    ).toContain('exited with code 143 (killed by SIGTERM: zviz received SIGTERM and passed it on) after');
    expect(
      formatSummary(
        'c4',
        'strict',
        137,
        base({ signal: 9, decisions: { allow: 0, emulate: 0, log: 0, deny: 0, kill: 1, trap: 0 } })
      )
    ).toContain('exited with code 137 (killed by SIGKILL: the sandbox, for a syscall its profile kills on) after');
    expect(formatSummary('c5', 'default', 138, base({ signal: constants.signals.SIGUSR1 }))).toContain(
      'exited with code 138 (killed by SIGUSR1) after'
    );
  });

  it('reads a summary from an agent that sends neither expected refusals nor cgroup counts', () => {
    expect(formatSummary('c6', 'default', 1, base({ refusals: { connect: 1 } }))).toBe(
      'zviz: c6 (default) exited with code 1 after 1.2 s; broker: 0 decisions; refused: connect 1'
    );
  });
});

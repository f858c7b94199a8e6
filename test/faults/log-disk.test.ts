// The agent's own log (logging.output) on a disk that fills up: the agent
// keeps running, counts what it could not write, says so in /health, and
// writes again once there is space.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, root } from '@zviz/test-support/requirements';
import { AgentProcess, sample } from '../../agent/test/support/agent-process';
import { fill, MiB, tmpfs } from '@zviz/test-support/disk';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

describeWhere([root], "the agent's own log on a full disk", () => {
  it('keeps the agent running, counts what it could not write, and says so in /health', async () => {
    const disk = tmpfs(1 * MiB, cleanups);
    const output = join(disk, 'zviz.log');
    writeFileSync(output, '');
    const agent = await AgentProcess.start({ logging: { format: 'text', output } }, { command: ['metrics', 'serve'] });
    cleanups.push(async () => void (await agent.stop()));
    const filler = fill(disk, 0);
    // A SIGHUP reloads (and reopens the log) and logs two lines: they cannot be written.
    await waitFor(
      'the log to report the full disk',
      async () => {
        agent.signal('SIGHUP');
        await new Promise((resolve) => setTimeout(resolve, 200));
        const health = await (await fetch(`${agent.url}/health`)).json();
        return health.components.log?.status === 'degraded' ? health : undefined;
      },
      { timeoutMs: 15_000 }
    ).then((health) => {
      expect(health.status).toBe('degraded');
      expect(health.components.log.reason).toMatch(/ENOSPC|no space/i);
    });
    const metrics = await agent.metrics();
    expect(sample(metrics, 'zviz_log_write_errors_total')).toBeGreaterThan(0);
    expect(agent.child.exitCode).toBeNull();

    unlinkSync(filler);
    await waitFor('the log to write again', async () => {
      agent.signal('SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const health = await (await fetch(`${agent.url}/health`)).json();
      return health.components.log?.status === 'ok';
    });
    expect(await agent.stop()).toBe(0);
    const text = readFileSync(output, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toContain('agent stopped');
  });
});

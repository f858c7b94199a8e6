// Attack class: blinding the audit by flooding it, then acting
// (attacks/flood.c; docs/agent.md, "Event floods"). A workload makes 50,000
// refused (audited) calls, then executes a program from /tmp. Events over
// the container's budget are dropped, and may take the act's record with
// them; what must hold is that nothing is lost silently: the act is in the
// audit log, or this container's drops are counted
// (zviz_container_events_dropped_total) and /health says degraded. The
// broker's own counters count every decision, flood or not; the agent lives.
import { expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { attackSuite, byProfile, PROFILES } from './harness';

const FLOOD = 50_000;

attackSuite('attack: flooding the audit log before acting', (suite) => {
  it.each(PROFILES)('%s (agent): the act is recorded, or its loss is counted and /health degraded', async (profile) => {
    const before = suite.agent().audit().length;
    const run = await suite.run({
      profile,
      mode: 'agent',
      program: 'flood',
      args: [String(FLOOD)],
      timeoutMs: 120_000,
    });
    const detail = `${run.stdout}\n${run.stderr}`;
    // /health right away: the window is 10 s after the last drop.
    const health = (await (await fetch(`${suite.agent().url}/health`)).json()) as {
      components?: { events?: { status?: string; dropped?: Record<string, number> } };
    };
    expect(run.results.get('finished'), detail).toBe('ok');
    expect(run.results.get('flooded'), detail).toBe(String(FLOOD));
    const act = byProfile(profile, { strict: 'errno', 'ci-runner': 'ok', default: 'ok', observe: 'ok' });
    expect(run.results.get('act')?.split(' ')[0], detail).toBe(act);
    // Every refusal counted by the broker, whatever reached the log (zviz run's summary).
    expect(/refused: (.*)$/m.exec(run.stderr)?.[1], detail).toMatch(new RegExp(`io_uring_setup ${FLOOD}\\b`));
    const metrics = await (await fetch(`${suite.agent().url}/metrics`)).text();
    const dropped = metrics
      .split('\n')
      .filter((l) => l.startsWith('zviz_container_events_dropped_total{') && l.includes(`"${run.containerId}"`))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    // The act's record: an exec from /tmp (logged by ci-runner and observe, refused by strict; default does not broker exec).
    const recorded = byProfile(profile, { strict: true, 'ci-runner': true, default: false, observe: true });
    const acts = () =>
      suite
        .agent()
        .audit()
        .slice(before)
        .filter(
          (r) =>
            r.container_id === run.containerId &&
            r.syscall === 'execve' &&
            String((r.args as Record<string, unknown> | undefined)?.path).endsWith('zviz-flood-act')
        );
    if (recorded) {
      await waitFor('the act in the audit log', async () => acts().length > 0, { timeoutMs: 3_000 }).catch(
        () => undefined
      );
    }
    const seen = acts().length > 0;
    // Whatever the log holds, the flood itself went over the budget (5,000 a burst, 1,000 a second).
    expect(dropped, `drops of this container\n${detail}`).toBeGreaterThan(0);
    expect(health.components?.events?.status, JSON.stringify(health)).toBe('degraded');
    expect(health.components?.events?.dropped?.rate_limit ?? 0).toBeGreaterThan(0);
    // When the act's record survived, it says what happened.
    for (const record of acts()) {
      expect(record.decision).toBe(profile === 'strict' ? 'deny' : 'log');
    }
    expect(seen || dropped > 0, 'the act is neither recorded nor its loss counted').toBe(true);
    await suite.expectContained(run, { outsideUnchanged: true });
  });
});

// Bad configurations at start and on SIGHUP: refused with exit code 2 and a
// message (never a stack trace) at start; on a reload refused, counted in
// zviz_config_reloads_total{result="failure"} and
// zviz_config_last_reload_successful, with the running configuration kept and
// every later reload still applied.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { scratchDir } from '@zviz/test-support/scratch';
import { AgentProcess, sample, zviz } from '../../agent/test/support/agent-process';

/**
 * A file that would be valid but reuses one anchor `count` times, in a
 * container's environment (the guard against "billion laughs" trips past 100).
 */
function aliasBomb(count: number, port: number): string {
  const env = Array.from({ length: count }, (_, i) => `N${i}: *v`).join('\n      ');
  return [
    'variant: &v canary',
    'metrics:',
    `  address: 127.0.0.1:${port}`,
    'containers:',
    '  - name: c',
    '    command: ["true"]',
    '    env:',
    `      ${env}`,
    '',
  ].join('\n');
}

describe('a configuration with too many YAML aliases', () => {
  it('is refused at start with exit code 2 and one line naming the file, no stack trace', () => {
    const dir = scratchDir('zviz-config-');
    const path = join(dir, 'config.yaml');
    writeFileSync(path, aliasBomb(150, 9));
    const result = zviz(['agent', '--config', path]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^zviz: configuration refused \(1 error\); nothing was started:$/m);
    expect(result.stderr).toContain(`${path}: invalid YAML: more than 100 aliases`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('reloading on SIGHUP after a refused configuration', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ variant: 'production', logging: { format: 'json' } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  const good = (variant: string) =>
    stringify({
      variant,
      metrics: { address: `127.0.0.1:${agent.port}` },
      logging: { format: 'json', audit: { path: join(agent.dir, 'audit.json') } },
      broker: { control_socket: agent.controlSocket, cgroup_group: `zviz-test-agent-${agent.port}` },
    });

  async function reload(): Promise<string> {
    const before = await agent.metrics();
    const count = (m: string) =>
      (sample(m, 'zviz_config_reloads_total{result="success"}') ?? 0) +
      (sample(m, 'zviz_config_reloads_total{result="failure"}') ?? 0);
    const previous = count(before);
    agent.signal('SIGHUP');
    return waitFor('the reload to be counted', async () => {
      const after = await agent.metrics();
      return count(after) > previous ? after : undefined;
    });
  }

  it('counts the refused reload as a failure and says so', async () => {
    agent.rewrite(aliasBomb(150, agent.port));
    const metrics = await reload();
    expect(sample(metrics, 'zviz_config_reloads_total{result="failure"}')).toBe(1);
    expect(sample(metrics, 'zviz_config_last_reload_successful')).toBe(0);
    expect(metrics).toContain('variant="production"');
    expect(agent.log).toContain('more than 100 aliases');
    expect(agent.log).not.toContain('unhandled promise rejection');
  });

  it('applies the next good configuration, and the one after', async () => {
    agent.rewrite(good('canary'));
    let metrics = await reload();
    expect(sample(metrics, 'zviz_config_reloads_total{result="success"}')).toBe(1);
    expect(sample(metrics, 'zviz_config_last_reload_successful')).toBe(1);
    expect(metrics).toContain('variant="canary"');

    agent.rewrite(good('staging'));
    metrics = await reload();
    expect(sample(metrics, 'zviz_config_reloads_total{result="success"}')).toBe(2);
    expect(metrics).toContain('variant="staging"');
  });

  it('takes a burst of signals one reload at a time, and each is counted', async () => {
    const before = await agent.metrics();
    const successes = sample(before, 'zviz_config_reloads_total{result="success"}')!;
    for (let i = 0; i < 5; i++) {
      agent.signal('SIGHUP');
    }
    await waitFor('every reload to be counted', async () => {
      const after = await agent.metrics();
      // Signals that arrive while one is pending may merge (POSIX): at least one more, at most five.
      const n = sample(after, 'zviz_config_reloads_total{result="success"}')! - successes;
      return n >= 1 && n <= 5 ? true : undefined;
    });
    expect(agent.child.exitCode).toBeNull();
    expect(sample(await agent.metrics(), 'zviz_config_last_reload_successful')).toBe(1);
  });
});

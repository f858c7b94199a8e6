// HTTP settings a real `zviz agent` refuses at start, with exit code 2 and one
// line naming the key: values that would make the server a tool against its
// own node (a bcrypt cost that turns each wrong password into seconds of CPU)
// or that can never work as written.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { zviz } from '../../agent/test/support/agent-process';

const dir = mkdtempSync(join(tmpdir(), 'zviz-fault-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/**
 * Starts `zviz agent` on this configuration; it must refuse it. Should a
 * check let it through, the agent fails at once on an address this machine
 * does not have (TEST-NET-1), and its socket and group are private, so it
 * cannot touch anything of the node's.
 */
function refusal(config: Record<string, unknown>): { status: number | null; lines: string[] } {
  const path = join(dir, `config-${n++}.yaml`);
  const metrics = (config.metrics ?? {}) as Record<string, unknown>;
  const full = {
    ...config,
    metrics: { address: '192.0.2.1:9090', ...metrics },
    logging: { audit: { path: join(dir, 'audit.json') } },
    broker: { control_socket: join(dir, `agent-${n}.sock`), cgroup_group: `zviz-test-config-${process.pid}-${n}` },
  };
  writeFileSync(path, stringify(full));
  const result = zviz(['agent', '--config', path]);
  return {
    status: result.status,
    lines: result.stderr
      .trim()
      .split('\n')
      .map((line) => line.trim().split(path).join('<file>')),
  };
}

/** A well-formed bcrypt hash of the given cost (the check reads its form, not its secret). */
const bcryptOfCost = (cost: number) => `$2b$${String(cost).padStart(2, '0')}$${'a'.repeat(53)}`;

it('refuses a bcrypt cost above 12, which would make each new wrong password a CPU bill', () => {
  const result = refusal({ metrics: { auth: { type: 'basic', users: { prometheus: bcryptOfCost(14) } } } });
  expect(result.status).toBe(2);
  expect(result.lines).toContain(
    "<file>: metrics.auth.users.prometheus: has bcrypt cost 14; use at most 12 (each check of a new password costs 2^cost): htpasswd -nbBC 10 '' 'PASSWORD' | tr -d ':\\n'"
  );
});

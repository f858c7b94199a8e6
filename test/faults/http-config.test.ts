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
    logging: { audit: { path: join(dir, 'audit.json') }, ...(config.logging as object) },
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

it.each([
  ['only spaces', ' '.repeat(32)],
  ['a trailing newline', 'ab12cd34ef56ab12cd34ef56\n'],
  ['a space inside', 'ab12cd34ef56 ab12cd34ef56'],
])('refuses a bearer token of %s, which no Authorization header can carry', (_, token) => {
  const result = refusal({ metrics: { auth: { type: 'bearer', token } } });
  expect(result.status).toBe(2);
  expect(result.lines).toContain(
    '<file>: metrics.auth.token: must be visible ASCII characters only, without spaces or line breaks (as an Authorization header carries it); generate one with: openssl rand -hex 32'
  );
  // The secret is never repeated.
  expect(result.lines.join('\n')).not.toContain('ab12cd34');
});

it('refuses a token file whose token has blank lines or spaces around it', () => {
  const file = join(dir, 'token');
  writeFileSync(file, '  ab12cd34ef56ab12cd34ef56\n\n');
  const result = refusal({ metrics: { auth: { type: 'bearer', token_file: file } } });
  expect(result.status).toBe(2);
  expect(result.lines).toContain(
    '<file>: metrics.auth.token_file: must hold visible ASCII characters only, without spaces or line breaks (one final newline is allowed); generate one with: openssl rand -hex 32'
  );
  expect(result.lines.join('\n')).not.toContain('ab12cd34');
});

it.each(['256.1.1.1', '1.2.3', '10.0.0.300', '0x7f.1'])('refuses %s as a listen host', (host) => {
  const result = refusal({ metrics: { address: `${host}:9090` } });
  expect(result.status).toBe(2);
  expect(result.lines).toContain(
    `<file>: metrics.address: "${host}:9090": "${host}" is neither an IP address nor a host name`
  );
});

it('refuses a stream heartbeat under a second', () => {
  const result = refusal({ api: { stream: { heartbeat_seconds: 1e-6 } } });
  expect(result.status).toBe(2);
  expect(result.lines).toContain('<file>: api.stream.heartbeat_seconds: must be at least 1 (got 0.000001)');
});

it.each([
  [
    'schema errors',
    {
      variant: 'v'.repeat(100_000),
      logging: { level: 'l'.repeat(100_000) },
      metrics: { rate_limit: { ['k'.repeat(100_000)]: 1 } },
    },
    3,
  ],
  [
    'checks after the schema',
    {
      logging: { output: `relative/${'o'.repeat(100_000)}` },
      metrics: { address: 'a'.repeat(100_000), auth: { type: 'bearer', token_file: `/${'t'.repeat(100_000)}` } },
    },
    3,
  ],
])('repeats at most a short piece of each long value (%s), and says how long it was', (_, config, errors) => {
  const result = refusal(config);
  expect(result.status).toBe(2);
  const problems = result.lines.filter((line) => line.startsWith('<file>: '));
  expect(problems).toHaveLength(errors);
  for (const line of problems) {
    expect(line.length, line.slice(0, 120)).toBeLessThan(400);
    expect(line).toMatch(/\(1000\d\d characters\)/);
  }
});

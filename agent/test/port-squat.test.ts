// A local user's program listening at the agent's address while the agent is
// not running (its port is above 1024: any user may bind it), when root asks
// `zviz health`, `zviz metrics` or `zviz top` how the agent is. They sent it
// the agent's bearer token (and believed its answers): with the token, the
// user reads every tenant's decisions from the real agent once it is back.
// Now they look at who listens there first (agent/src/cli/listener-owner.ts;
// docs/security.md, "The agent against local users"). What counts is what
// the user's listener received.
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { freePort, waitFor } from '@zviz/test-support/ports';
import { describeWhere, root } from '@zviz/test-support/requirements';
import { zvizAsync } from './support/agent-process';

/** This machine's name, which its /etc/hosts gives a loopback address (checked in beforeAll). */
const HOST_NAME = hostname();

/** A uid (and gid) no account of the test machine uses. */
const STRANGER = 54_322;
const TOKEN = 'zviz-squat-token-5f0c2a9e81d34b7c';

/** The stranger's listener: answers every request as a healthy agent would, and prints what it received. */
const LISTENER = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const server = net.createServer((socket) => {
  process.stdout.write('connection\\n');
  socket.on('data', (d) => {
    process.stdout.write(d.toString('latin1'));
    const body = JSON.stringify({ status: 'healthy', version: 'squatter', uptime: 1, containers: 0, broker: { status: 'ok', inflight: 0 } });
    socket.end('HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + body.length + '\\r\\nConnection: close\\r\\n\\r\\n' + body);
  });
  socket.on('error', () => {});
});
server.listen(Number(port), host, () => process.stdout.write('listening\\n'));
`;

describeWhere([root], "a local user's program at the agent's address", () => {
  let dir: string;
  let listener: ChildProcess;
  let received = '';
  const configs: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zviz-squat-'));
    const port = await freePort();
    for (const [name, host] of [
      ['ipv4', '127.0.0.1'],
      ['wildcard', '0.0.0.0'],
      // A name of this machine, as /etc/hosts gives it (Debian names the host there).
      ["this machine's name", HOST_NAME],
    ]) {
      configs[name] = join(dir, `${name}.yaml`);
      writeFileSync(
        configs[name],
        `metrics:\n  address: ${host}:${port}\n  auth:\n    type: bearer\n    token: ${TOKEN}\n`,
        { mode: 0o600 }
      );
    }
    const named = await lookup(HOST_NAME, { all: true });
    expect(
      named.map((a) => a.address),
      `this machine's name ${HOST_NAME} should name 127.0.0.1 (/etc/hosts), where the stranger listens`
    ).toContain('127.0.0.1');
    listener = spawn(process.execPath, ['-e', LISTENER, '127.0.0.1', String(port)], {
      uid: STRANGER,
      gid: STRANGER,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    listener.stdout!.on('data', (d: Buffer) => (received += d.toString('latin1')));
    await waitFor('the stranger to listen', async () => received.includes('listening'));
  });

  afterAll(async () => {
    if (listener && listener.exitCode === null) {
      const gone = once(listener, 'exit');
      listener.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['ipv4', 'wildcard', "this machine's name"])(
    '`zviz health` and `zviz metrics` (metrics.address %s) send it nothing and say who listens',
    async (config) => {
      const health = await zvizAsync(['health', '--config', configs[config]]);
      expect(health.status, health.stderr).toBe(3);
      expect(health.stderr).toContain(`is served by a program of uid ${STRANGER}, not by root`);
      expect(health.stdout).not.toContain('squatter');
      const metrics = await zvizAsync(['metrics', '--config', configs[config]]);
      expect(metrics.stderr).toContain(`is served by a program of uid ${STRANGER}, not by root`);
      // It prints its own exposition instead, as when no agent answers.
      expect(metrics.stdout).toContain('# TYPE zviz_build_info gauge');
      expect(received).not.toContain('connection');
      expect(received).not.toContain(TOKEN);
    }
  );
});
